import { performance } from 'node:perf_hooks'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { RequestRouter } from '../../../../src/main/conductor/router.ts'
import type { RouterConfigInput } from '../../../../src/main/conductor/routing/router-config.ts'
import { RouteResponseSchema, RouterSnapshotSchema } from '../../../../src/shared/routing.ts'
import { MemorySink, startFakes, type FakeRunner } from './fakes.ts'
import { ANDROID, DISCORD, FLAKY } from './paths.ts'

let runner: FakeRunner | null = null
afterEach(async () => {
  await runner?.close()
  runner = null
})

async function setup(config: RouterConfigInput = {}) {
  const fakes = await startFakes({
    discord: { modulePath: DISCORD, instances: 2 },
    android: { modulePath: ANDROID, instances: 2 },
    flaky: { modulePath: FLAKY, instances: 1 }
  })
  runner = fakes.runner
  const sink = new MemorySink()
  const router = new RequestRouter({ config, directory: fakes.directory, runner: fakes.runner, deadLetters: sink })
  return { router, sink, ...fakes }
}

describe('routeRequest', () => {
  it('answers Discord commands and Android API calls through the plugins', async () => {
    const { router } = await setup()
    const ping = await router.routeRequest({ type: 'discord', content: '!ping', metadata: { channelId: 'c1' } })
    expect(RouteResponseSchema.parse(ping)).toMatchObject({ ok: true, status: 'ok', ruleId: 'builtin:discord-type', dlqId: null })
    expect(ping.results[0]).toMatchObject({ ok: true, platform: 'discord', output: { kind: 'command', command: 'ping', reply: 'Pong!', channelId: 'c1' } })
    const post = await router.routeRequest({ type: 'app', content: 'POST /api/message {"text":"hi","deviceId":"d7"}' })
    expect(post.results[0]).toMatchObject({ ok: true, platform: 'android', output: { status: 201, body: { accepted: true, reply: 'Demi: hi', deviceId: 'd7' } } })
    const missing = await router.routeRequest({ type: 'android', content: 'GET /api/nothing' })
    expect(missing.results[0]).toMatchObject({ ok: true, output: { status: 404 } })
    const plain = await router.routeRequest({ type: 'android', content: 'hello there' })
    expect(plain.results[0]).toMatchObject({ ok: true, output: { status: 400 } })
  })

  it('delivers a broadcast to Discord as a message and to Android as a notification (the panel sample)', async () => {
    const { router } = await setup()
    const response = await router.routeRequest({ type: 'broadcast', content: 'Maintenance at 22:00', target: ['discord', 'android'] })
    expect(RouteResponseSchema.parse(response)).toMatchObject({ ok: true, status: 'ok', ruleId: 'request:target' })
    expect(response.results).toEqual([
      expect.objectContaining({ ok: true, platform: 'discord', output: expect.objectContaining({ kind: 'message', reply: 'Demi: Maintenance at 22:00' }) }),
      expect.objectContaining({ ok: true, platform: 'android', output: expect.objectContaining({ status: 202, body: { notification: 'Demi: Maintenance at 22:00', notificationNo: 1 } }) })
    ])
  })

  it('times out a plugin slower than the route timeout within the deadline plus slack, and the instance stays usable', async () => {
    const { router, runner } = await setup({ rules: [{ id: 'slow', match: { content: '^sleep:' }, platform: 'flaky', timeoutMs: 100 }] })
    const started = performance.now()
    const response = await router.routeRequest({ type: 'x', content: 'sleep:30000' })
    const elapsedMs = performance.now() - started
    expect(response).toMatchObject({ ok: false, status: 'failed', error: { code: 'PLUGIN_TIMEOUT', platform: 'flaky', instanceId: 'flaky-1', timeoutMs: 100 } })
    expect(elapsedMs).toBeGreaterThanOrEqual(95)
    expect(elapsedMs).toBeLessThan(100 + 2_000)
    expect(runner.live.get('flaky-1')?.info.inFlight).toBe(0)
    const next = await router.routeRequest({ type: 'x', content: 'still there?', target: 'flaky' })
    expect(next.results[0]).toMatchObject({ ok: true, instanceId: 'flaky-1', output: { echo: 'still there?' } })
    expect((await router.routeRequest({ type: 'x', content: 'stats', target: 'flaky' })).results[0]).toMatchObject({ output: { cancelled: 1 } })
  })

  it('hands a failure to the dead-letter queue with its attempts and answers with the entry id', async () => {
    const { router, sink } = await setup()
    const response = await router.routeRequest({ id: 'r-fail', type: 'x', content: 'fail', target: 'flaky', metadata: { user: 'u1' } })
    expect(response).toMatchObject({ ok: false, status: 'failed', dlqId: 'dlq-1', error: { code: 'PLUGIN_ERROR', message: 'failed on demand' } })
    const entry = sink.entries.get('r-fail')
    expect(entry).toMatchObject({
      request: { id: 'r-fail', type: 'x', content: 'fail', metadata: { user: 'u1' }, target: ['flaky'] },
      route: { platform: 'flaky', ruleId: 'request:target' },
      attempts: [{ platform: 'flaky', instanceId: 'flaky-1', error: { code: 'PLUGIN_ERROR' } }]
    })
  })

  it('reports a dead-letter queue that refuses the entry', async () => {
    const { router, sink } = await setup()
    sink.failWith = { code: 'DLQ_FULL', message: 'dead-letter queue is full', capacity: 10 }
    const response = await router.routeRequest({ type: 'x', content: 'fail', target: 'flaky' })
    expect(response).toMatchObject({ ok: false, dlqId: null, dlqError: { code: 'DLQ_FULL', capacity: 10 }, error: { code: 'PLUGIN_ERROR' } })
  })

  it('never rejects when the dead-letter sink throws or the instance vanished under it', async () => {
    const { router, sink, runner } = await setup()
    sink.enqueue = () => Promise.reject(new Error('disk on fire'))
    runner.crash('flaky-1') // the directory still lists it as ready: the runner throws for the unknown instance
    const response = await router.routeRequest({ type: 'x', content: 'hi', target: 'flaky' })
    expect(response).toMatchObject({
      ok: false,
      status: 'failed',
      dlqId: null,
      error: { code: 'INTERNAL', message: 'unknown instance flaky-1' },
      dlqError: { code: 'DLQ_UNAVAILABLE', message: 'disk on fire' }
    })
  })

  it('aggregates a fan-out with one failing platform into one success and one failure', async () => {
    const { router, sink } = await setup({ rules: [{ id: 'broadcast', match: { type: 'broadcast' }, platforms: ['discord', 'flaky'], timeoutMs: 1_234 }] })
    const response = await router.routeRequest({ id: 'fan-1', type: 'broadcast', content: 'fail' })
    expect(RouteResponseSchema.parse(response)).toMatchObject({ ok: false, status: 'partial', ruleId: 'broadcast', dlqId: 'dlq-1', error: { code: 'PLUGIN_ERROR' } })
    expect(response.results).toEqual([
      { ok: true, platform: 'discord', instanceId: expect.stringMatching(/^discord-/), output: expect.objectContaining({ reply: 'Demi: fail' }), durationMs: expect.any(Number) },
      { ok: false, platform: 'flaky', instanceId: 'flaky-1', error: expect.objectContaining({ code: 'PLUGIN_ERROR' }), durationMs: expect.any(Number), dlqId: 'dlq-1' }
    ])
    // Only the failed platform is stored, as its own entry, so a retry does not deliver to discord twice.
    expect([...sink.entries.keys()]).toEqual(['fan-1@flaky'])
    expect(sink.entries.get('fan-1@flaky')).toMatchObject({ entryId: 'fan-1@flaky', request: { id: 'fan-1', target: ['flaky'] }, route: { platform: 'flaky', ruleId: 'broadcast' } })
    // Retrying the stored part keeps the fan-out rule's deadline, not the default.
    const stored = sink.entries.get('fan-1@flaky')!.request as Record<string, unknown>
    await router.replay(stored)
    expect(runner!.timeouts.at(-1)).toBe(1_234)
    const allOk = await router.routeRequest({ type: 'x', content: 'hi', target: ['android', 'discord'] })
    expect(allOk).toMatchObject({ ok: true, status: 'ok', ruleId: 'request:target' })
    expect(allOk.results.map((r) => r.platform)).toEqual(['android', 'discord'])
  })
})

describe('replay (the dead-letter queue retry path)', () => {
  it('delivers, fails, defers and refuses as the port documents, never creating a dead-letter entry', async () => {
    const { router, sink, directory, runner } = await setup()
    expect(await router.replay({ id: 'a', type: 'discord', content: '!ping' })).toMatchObject({ kind: 'delivered', attempt: null, response: { reply: 'Pong!' } })
    const failed = await router.replay({ id: 'b', type: 'x', content: 'fail', target: ['flaky'] })
    expect(failed).toMatchObject({ kind: 'failed', attempt: { platform: 'flaky', instanceId: 'flaky-1', error: { code: 'PLUGIN_ERROR' } } })
    directory.set('flaky-1', { state: 'down' })
    const calls = runner.calls
    expect(await router.replay({ id: 'c', type: 'x', content: 'hi', target: ['flaky'] })).toEqual({ kind: 'deferred', reason: expect.stringMatching(/no ready, healthy instance of flaky/), retryAtMs: null })
    expect(runner.calls).toBe(calls)
    expect(await router.replay({ id: 'd', type: 'fax', content: 'plain' })).toMatchObject({ kind: 'invalid', error: { code: 'ROUTE_NOT_FOUND' } })
    expect(await router.replay({ id: 'e', type: 'x', content: 'hi', target: ['gone'] })).toMatchObject({ kind: 'invalid', error: { code: 'ROUTE_NOT_FOUND', platform: 'gone' } })
    expect(await router.replay({ id: 'f', content: 'no type' })).toMatchObject({ kind: 'invalid', error: { code: 'BAD_REQUEST', issues: [{ path: 'type' }] } })
    expect(sink.entries.size).toBe(0)
  })
})

describe('snapshot and metrics', () => {
  it('counts outcomes per platform, rule hits and in-flight in a cheap snapshot that matches the contract', async () => {
    const { router } = await setup()
    await router.routeRequest({ type: 'discord', content: '!ping' })
    await router.routeRequest({ type: 'android', content: 'GET /api/status' })
    await router.routeRequest({ type: 'x', content: 'fail', target: 'flaky' })
    await router.routeRequest({ type: 'nope', content: 'nothing' })
    const snapshot = RouterSnapshotSchema.parse(router.snapshot())
    expect(snapshot.totals).toEqual({ ok: 2, failed: 1, rejected: 1, dlqHandOffs: 1 })
    expect(snapshot.inFlight).toBe(0)
    expect(snapshot.platforms.find((p) => p.platform === 'flaky')).toMatchObject({ counts: { failed: 1, dlqHandOffs: 1 }, breaker: { state: 'closed', consecutiveFailures: 1 }, instances: [{ instanceId: 'flaky-1', routed: 1, inFlight: 0 }] })
    expect(snapshot.rules.find((r) => r.id === 'builtin:discord-type')?.hits).toBe(1)
  })

  it('gives requests/s, errors/s and latency percentiles per platform over a recent window', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      vi.setSystemTime(1_000_000)
      const { router } = await setup()
      // Before any traffic every platform is listed at zero, with no latency yet.
      expect(router.platformMetrics(10_000).find((m) => m.platform === 'discord')).toEqual({ platform: 'discord', requestsPerSec: 0, errorsPerSec: 0, p50Ms: null, p95Ms: null, inFlight: 0, queued: 0 })
      for (let i = 0; i < 4; i++) await router.routeRequest({ type: 'discord', content: '!ping' })
      await router.routeRequest({ type: 'x', content: 'fail', target: 'flaky' })
      const metrics = router.platformMetrics(10_000)
      expect(metrics.find((m) => m.platform === 'discord')).toEqual({ platform: 'discord', requestsPerSec: 0.4, errorsPerSec: 0, p50Ms: expect.any(Number), p95Ms: expect.any(Number), inFlight: 0, queued: 0 })
      expect(metrics.find((m) => m.platform === 'flaky')).toMatchObject({ requestsPerSec: 0.1, errorsPerSec: 0.1 })
      vi.setSystemTime(1_000_000 + 10_001)
      expect(router.platformMetrics(10_000).find((m) => m.platform === 'discord')).toMatchObject({ requestsPerSec: 0, p50Ms: null })
    } finally {
      vi.useRealTimers()
    }
  })

  it('exports prom-client metrics for requests, latencies, breakers, in-flight and DLQ hand-offs', async () => {
    const { router } = await setup()
    await router.routeRequest({ type: 'discord', content: '!ping' })
    await router.routeRequest({ type: 'x', content: 'fail', target: 'flaky' })
    const text = await router.metrics.registry.metrics()
    expect(text).toMatch(/conductor_router_requests_total\{platform="discord",rule="builtin:discord-type",outcome="ok"\} 1/)
    expect(text).toMatch(/conductor_router_requests_total\{platform="flaky",rule="request:target",outcome="failed"\} 1/)
    expect(text).toMatch(/conductor_router_end_to_end_seconds_count\{platform="discord",outcome="ok"\} 1/)
    expect(text).toMatch(/conductor_router_routing_seconds_count 2/)
    expect(text).toMatch(/conductor_router_breaker_state\{platform="flaky"\} 0/)
    expect(text).toMatch(/conductor_router_in_flight\{platform="flaky",instance="flaky-1"\} 0/)
    expect(text).toMatch(/conductor_router_dlq_handoffs_total\{platform="flaky",result="stored"\} 1/)
  })
})
