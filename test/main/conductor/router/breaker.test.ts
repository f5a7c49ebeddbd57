import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { RequestRouter } from '../../../../src/main/conductor/router.ts'
import type { RouterConfigInput } from '../../../../src/main/conductor/routing/router-config.ts'
import { BreakerSnapshotSchema, type BreakerTransition } from '../../../../src/shared/routing.ts'
import { MemorySink, startFakes, type FakeRunner } from './fakes.ts'
import { FLAKY } from './paths.ts'

const T0 = Date.UTC(2026, 0, 1)
let runner: FakeRunner | null = null

beforeEach(() => {
  // cockatiel reads Date.now() for the open → half-open delay: fake only the clock, real timers stay.
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(T0)
})
afterEach(async () => {
  vi.useRealTimers()
  await runner?.close()
  runner = null
})

async function setup(breaker: RouterConfigInput['breaker'] = {}) {
  const fakes = await startFakes({ flaky: { modulePath: FLAKY, instances: 1 } })
  runner = fakes.runner
  const sink = new MemorySink()
  const router = new RequestRouter({ config: { breaker: { resetTimeoutMs: 10_000, ...breaker } }, directory: fakes.directory, runner: fakes.runner, deadLetters: sink })
  const transitions: Array<BreakerTransition & { platform: string }> = []
  router.on('breakerTransition', (t) => transitions.push(t))
  const send = (content: string) => router.routeRequest({ type: 'x', content, target: 'flaky' })
  return { router, runner: fakes.runner, sink, transitions, send }
}

describe('platform circuit breaker', () => {
  it('opens after 3 consecutive failures, rejects fast, lets one probe through after the reset time and closes on success', async () => {
    const { router, runner, transitions, send } = await setup()
    const breaker = router.breaker('flaky')
    for (let i = 0; i < 2; i++) expect((await send('fail')).error?.code).toBe('PLUGIN_ERROR')
    expect(breaker.state).toBe('closed')
    expect((await send('fail')).error?.code).toBe('PLUGIN_ERROR')
    expect(breaker.state).toBe('open')
    expect(transitions).toEqual([
      { platform: 'flaky', from: 'closed', to: 'open', atMs: T0, manual: false, cause: expect.stringMatching(/3 consecutive failures \(threshold 3\); last: PLUGIN_ERROR: failed on demand/) }
    ])

    const callsWhenOpened = runner.calls
    vi.setSystemTime(T0 + 9_999)
    const rejected = await send('hello')
    expect(rejected).toMatchObject({ ok: false, error: { code: 'CIRCUIT_OPEN', platform: 'flaky', retryAtMs: T0 + 10_000 } })
    expect(rejected.dlqId).not.toBeNull()
    expect(runner.calls).toBe(callsWhenOpened)
    expect(breaker.snapshot()).toMatchObject({ state: 'open', sinceMs: T0, nextProbeAtMs: T0 + 10_000, lastFailure: { cause: 'PLUGIN_ERROR: failed on demand' } })

    vi.setSystemTime(T0 + 10_000)
    const probe = send('hello')
    const concurrent = await send('hello') // while the probe is in flight: rejected, not queued
    expect(concurrent.error?.code).toBe('CIRCUIT_OPEN')
    expect(concurrent.error?.message).toMatch(/probe is in flight/)
    expect((await probe).ok).toBe(true)
    expect(runner.calls).toBe(callsWhenOpened + 1)
    expect(breaker.state).toBe('closed')
    expect(transitions.map((t) => `${t.from}->${t.to}`)).toEqual(['closed->open', 'open->half-open', 'half-open->closed'])
    const snapshot = BreakerSnapshotSchema.parse(breaker.snapshot())
    expect(snapshot).toMatchObject({ state: 'closed', sinceMs: T0 + 10_000, lastProbe: { atMs: T0 + 10_000, ok: true, cause: null }, nextProbeAtMs: null, consecutiveFailures: 0 })
    expect(snapshot.transitions).toHaveLength(3)
  })

  it('re-opens when the half-open probe fails and records the probe result', async () => {
    const { router, send } = await setup()
    for (let i = 0; i < 3; i++) await send('fail')
    vi.setSystemTime(T0 + 10_000)
    expect((await send('fail')).error?.code).toBe('PLUGIN_ERROR')
    const snapshot = router.breaker('flaky').snapshot()
    expect(snapshot).toMatchObject({ state: 'open', sinceMs: T0 + 10_000, nextProbeAtMs: T0 + 20_000, lastProbe: { ok: false, cause: 'PLUGIN_ERROR: failed on demand' } })
    expect(snapshot.transitions.at(-1)).toMatchObject({ from: 'half-open', to: 'open', cause: expect.stringMatching(/half-open probe failed/) })
  })

  it('opens on a failure rate over the window even without consecutive failures', async () => {
    const { router, send } = await setup({ consecutiveFailures: 100, failureRateThreshold: 0.5, minimumCalls: 6, windowMs: 60_000 })
    for (const content of ['ok', 'fail', 'ok', 'fail', 'fail', 'ok']) await send(content)
    expect(router.breaker('flaky').snapshot()).toMatchObject({ state: 'closed', callsInWindow: 6, failureRate: 0.5, failureRateThreshold: 0.5, windowMs: 60_000 })
    await send('fail')
    const snapshot = router.breaker('flaky').snapshot()
    expect(snapshot.state).toBe('open')
    expect(snapshot.transitions[0]?.cause).toMatch(/failure rate 57% over 60000 ms \(4\/7\) exceeds 50%/)
  })

  it('forgets failures that left the window', async () => {
    const { router, send } = await setup({ consecutiveFailures: 100, minimumCalls: 4, windowMs: 10_000 })
    await send('fail')
    await send('fail')
    await send('fail')
    vi.setSystemTime(T0 + 20_000)
    expect(router.breaker('flaky').snapshot()).toMatchObject({ callsInWindow: 0, failureRate: null })
    await send('ok')
    await send('fail')
    await send('ok')
    await send('ok')
    expect(router.breaker('flaky').snapshot()).toMatchObject({ state: 'closed', callsInWindow: 4, failureRate: 0.25 })
  })

  it('can be forced open and reset by an operator, with the reason recorded', async () => {
    const { router, runner, send, transitions } = await setup()
    const breaker = router.breaker('flaky')
    expect(router.forceOpenBreaker('flaky', 'maintenance of the Discord gateway')).toMatchObject({ ok: true, value: { state: 'forced-open' } })
    const before = runner.calls
    vi.setSystemTime(T0 + 60_000)
    expect((await send('hello')).error).toMatchObject({ code: 'CIRCUIT_OPEN', message: expect.stringMatching(/forced open/) })
    expect(runner.calls).toBe(before)
    breaker.reset('maintenance done')
    expect((await send('hello')).ok).toBe(true)
    expect(transitions.map(({ from, to, manual, cause }) => ({ from, to, manual, cause }))).toEqual([
      { from: 'closed', to: 'forced-open', manual: true, cause: 'forced open by operator: maintenance of the Discord gateway' },
      { from: 'forced-open', to: 'closed', manual: true, cause: 'reset by operator: maintenance done' }
    ])
  })

  it('resets an automatically opened breaker without an intermediate transition', async () => {
    const { router, send, transitions } = await setup()
    for (let i = 0; i < 3; i++) await send('fail')
    expect(router.resetBreaker('flaky', 'fixed the plugin config')).toMatchObject({ ok: true, value: { state: 'closed' } })
    expect(router.resetBreaker('nope', 'x')).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
    expect(router.breaker('flaky').snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0, callsInWindow: 0 })
    expect(transitions.map((t) => `${t.from}->${t.to}:${t.manual}`)).toEqual(['closed->open:false', 'open->closed:true'])
    expect((await send('hello')).ok).toBe(true)
  })

  it('defers a replay while open without executing it, so no attempt is burned', async () => {
    const { router, runner, sink } = await setup()
    for (let i = 0; i < 3; i++) await router.routeRequest({ type: 'x', content: 'fail', target: 'flaky' })
    const before = runner.calls
    const entries = sink.entries.size
    const outcome = await router.replay({ id: 'retry-1', type: 'x', content: 'hello', target: ['flaky'] })
    expect(outcome).toEqual({ kind: 'deferred', reason: expect.stringMatching(/circuit for flaky is open/), retryAtMs: T0 + 10_000 })
    expect(runner.calls).toBe(before)
    expect(sink.entries.size).toBe(entries)
    vi.setSystemTime(T0 + 10_000)
    expect(await router.replay({ id: 'retry-1', type: 'x', content: 'hello', target: ['flaky'] })).toMatchObject({ kind: 'delivered', attempt: null })
    expect(sink.entries.size).toBe(entries)
  })
})

describe('per-instance breakers', () => {
  it('skip one broken instance while its sibling serves, and probe it again after the reset time', async () => {
    const fakes = await startFakes({ flaky: { modulePath: FLAKY, instances: 2 } })
    runner = fakes.runner
    const router = new RequestRouter({ config: { breaker: { resetTimeoutMs: 10_000 } }, directory: fakes.directory, runner: fakes.runner })
    const transitions: string[] = []
    router.on('instanceBreakerTransition', (t) => transitions.push(`${t.instanceId}:${t.from}->${t.to}`))
    await fakes.runner.execute('flaky-1', { id: 'switch', type: 'x', content: 'fail:on', metadata: {} })
    const send = async () => router.routeRequest({ type: 'x', content: 'hello', target: 'flaky' })
    const outcomes: string[] = []
    for (let i = 0; i < 16; i++) {
      const r = await send()
      outcomes.push(`${r.results[0]?.instanceId}:${r.ok ? 'ok' : r.error?.code}`)
    }
    // Round-robin alternates until flaky-1 has failed 3 times in a row; then only flaky-2 is used.
    expect(outcomes.slice(0, 6)).toEqual(['flaky-1:PLUGIN_ERROR', 'flaky-2:ok', 'flaky-1:PLUGIN_ERROR', 'flaky-2:ok', 'flaky-1:PLUGIN_ERROR', 'flaky-2:ok'])
    expect(outcomes.slice(6).every((o) => o === 'flaky-2:ok')).toBe(true)
    expect(router.breaker('flaky').state).toBe('closed')
    expect(transitions).toEqual(['flaky-1:closed->open'])
    expect(router.snapshot().platforms.find((p) => p.platform === 'flaky')?.instances.map((i) => `${i.instanceId}:${i.breaker}`)).toEqual(['flaky-1:open', 'flaky-2:closed'])

    await fakes.runner.execute('flaky-1', { id: 'switch-off', type: 'x', content: 'fail:off', metadata: {} })
    vi.setSystemTime(T0 + 10_000)
    const probed = new Set<string | null>()
    for (let i = 0; i < 4; i++) probed.add((await send()).results[0]?.instanceId ?? null)
    expect(probed).toEqual(new Set(['flaky-1', 'flaky-2']))
    expect(transitions).toEqual(['flaky-1:closed->open', 'flaky-1:open->half-open', 'flaky-1:half-open->closed'])
  })

  it('defers a replay until the earliest instance probe when every instance breaker is open', async () => {
    const fakes = await startFakes({ flaky: { modulePath: FLAKY, instances: 2 } })
    runner = fakes.runner
    const router = new RequestRouter({ config: { breaker: { resetTimeoutMs: 10_000, consecutiveFailures: 100, minimumCalls: 1000 } }, directory: fakes.directory, runner: fakes.runner })
    // The platform breaker will not trip (high thresholds); the instance breakers use the same config, so force them.
    for (const id of ['flaky-1', 'flaky-2']) router.instanceBreaker('flaky', id)?.forceOpen('test')
    const before = fakes.runner.calls
    expect(await router.replay({ id: 'r', type: 'x', content: 'hi', target: ['flaky'] })).toMatchObject({ kind: 'deferred', reason: expect.stringMatching(/open instance breaker/) })
    expect(fakes.runner.calls).toBe(before)
  })
})
