/**
 * Backpressure and priority: at most `admission.maxInFlightPerInstance` requests run on an instance; the rest
 * wait in the platform's line, highest rule priority first, live requests before dead-letter retries of the
 * same priority, then in arrival order. The wait counts against the request's timeout; a full line or a wait
 * that outlasts the timeout fails with OVERLOADED and goes to the dead-letter queue, never reaching a plugin.
 */
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { RequestRouter } from '../../../../src/main/conductor/router.ts'
import type { RouterConfigInput } from '../../../../src/main/conductor/routing/router-config.ts'
import type { ExecuteOptions } from '../../../../src/main/conductor/sandbox/runner-api.ts'
import { createRoutingMetrics } from '../../../../src/main/conductor/routing/routing-metrics.ts'
import type { PluginRequest } from '../../../../src/shared/request.ts'
import type { SandboxResult } from '../../../../src/shared/sandbox.ts'
import { FakeDirectory, MemorySink } from './fakes.ts'

/** A runner whose calls stay open until the test finishes them, so the order they started in is visible. */
class HeldRunner {
  readonly started: Array<{ instanceId: string; content: string; timeoutMs: number | undefined }> = []
  private readonly open: Array<() => void> = []

  execute(instanceId: string, request: PluginRequest, options: ExecuteOptions = {}): Promise<SandboxResult> {
    this.started.push({ instanceId, content: request.content, timeoutMs: options.timeoutMs })
    return new Promise((resolve) =>
      this.open.push(() =>
        resolve({ status: 'ok', output: request.content, instanceId, stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, exitCode: null, signal: null, durationMs: 1, peakRssBytes: 0, cpuMs: 0 })
      )
    )
  }

  /** Finishes the oldest open call. */
  finishOne(): void {
    this.open.shift()?.()
  }

  get openCalls(): number {
    return this.open.length
  }
}

const RULES: RouterConfigInput['rules'] = [
  { id: 'urgent', match: { content: '^urgent' }, platform: 'chat', priority: 10 },
  { id: 'normal', match: {}, platform: 'chat', priority: 0 }
]

function setup(config: RouterConfigInput = {}, instances = ['chat-1']) {
  const runner = new HeldRunner()
  const directory = new FakeDirectory({ chat: instances })
  const deadLetters = new MemorySink()
  const metrics = createRoutingMetrics(new Registry())
  const router = new RequestRouter({ config: { rules: RULES, builtinRules: false, ...config }, directory, runner, deadLetters, metrics })
  return { router, runner, directory, deadLetters, metrics }
}

/** Lets queued promise continuations run (a grant resolves through a few microtasks). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('admission: backpressure and priority', () => {
  it('runs at most maxInFlightPerInstance per instance and serves the waiting line by priority, then arrival', async () => {
    const { router, runner } = setup({ admission: { maxInFlightPerInstance: 2 } })
    const answers = ['a', 'b', 'c', 'd', 'urgent e', 'f', 'urgent g'].map((content) => router.routeRequest({ type: 'msg', content }))
    await settle()
    expect(runner.started.map((s) => s.content)).toEqual(['a', 'b'])
    expect(router.platformMetrics().find((m) => m.platform === 'chat')).toMatchObject({ inFlight: 2, queued: 5 })
    for (let i = 0; i < 5; i++) {
      runner.finishOne()
      await settle()
    }
    expect(runner.started.map((s) => s.content)).toEqual(['a', 'b', 'urgent e', 'urgent g', 'c', 'd', 'f'])
    while (runner.openCalls > 0) {
      runner.finishOne()
      await settle()
    }
    const responses = await Promise.all(answers)
    expect(responses.map((r) => r.ok)).toEqual([true, true, true, true, true, true, true])
    expect(responses.map((r) => r.results[0]?.ok && r.results[0].output)).toEqual(['a', 'b', 'c', 'd', 'urgent e', 'f', 'urgent g'])
    expect(router.platformMetrics().find((m) => m.platform === 'chat')).toMatchObject({ inFlight: 0, queued: 0 })
  })

  it('spreads the limit over every instance before anyone waits', async () => {
    const { router, runner } = setup({ admission: { maxInFlightPerInstance: 1 } }, ['chat-1', 'chat-2', 'chat-3'])
    for (const content of ['a', 'b', 'c', 'd']) void router.routeRequest({ type: 'msg', content })
    await settle()
    expect(runner.started.map((s) => s.instanceId).sort()).toEqual(['chat-1', 'chat-2', 'chat-3'])
    expect(router.platformMetrics().find((m) => m.platform === 'chat')?.queued).toBe(1)
    while (runner.openCalls > 0) {
      runner.finishOne()
      await settle()
    }
    expect(runner.started).toHaveLength(4)
  })

  it('spills an affinity key whose instance is full to another for that request only, keeping the binding', async () => {
    const { router, runner } = setup({ admission: { maxInFlightPerInstance: 1 }, balancing: { strategy: 'affinity', affinityKey: 'channelId' } }, ['chat-1', 'chat-2'])
    const send = (content: string) => void router.routeRequest({ type: 'msg', content, metadata: { channelId: 'c1' } })
    send('a')
    await settle()
    send('b')
    await settle()
    const [first, spilled] = runner.started.map((s) => s.instanceId)
    expect(spilled).not.toBe(first)
    while (runner.openCalls > 0) {
      runner.finishOne()
      await settle()
    }
    send('c')
    await settle()
    expect(runner.started[2]?.instanceId).toBe(first)
    runner.finishOne()
  })

  it('puts a dead-letter retry behind live requests of the same priority, but not behind lower ones', async () => {
    const { router, runner } = setup({ admission: { maxInFlightPerInstance: 1 } })
    void router.routeRequest({ type: 'msg', content: 'first' })
    await settle()
    const replay = router.replay({ id: 'r1', type: 'msg', content: 'retry' })
    void router.routeRequest({ type: 'msg', content: 'live' })
    void router.routeRequest({ type: 'msg', content: 'urgent live' })
    await settle()
    while (runner.openCalls > 0) {
      runner.finishOne()
      await settle()
    }
    expect(runner.started.map((s) => s.content)).toEqual(['first', 'urgent live', 'live', 'retry'])
    expect(await replay).toMatchObject({ kind: 'delivered', response: 'retry' })
  })

  it('counts the wait against the timeout: the sandbox gets what is left', async () => {
    const { router, runner } = setup({ admission: { maxInFlightPerInstance: 1 }, timeoutMs: 1_000 })
    void router.routeRequest({ type: 'msg', content: 'a' })
    void router.routeRequest({ type: 'msg', content: 'b' })
    await new Promise((resolve) => setTimeout(resolve, 200))
    runner.finishOne()
    await settle()
    expect(runner.started[0]?.timeoutMs).toBe(1_000)
    const left = runner.started[1]?.timeoutMs ?? 0
    expect(left).toBeLessThanOrEqual(820)
    expect(left).toBeGreaterThan(0)
    runner.finishOne()
  })

  it('fails a wait that outlasts the timeout with OVERLOADED, hands it to the DLQ, and never runs it', async () => {
    const { router, runner, deadLetters } = setup({ admission: { maxInFlightPerInstance: 1 }, timeoutMs: 50 })
    void router.routeRequest({ type: 'msg', content: 'hog' })
    const response = await router.routeRequest({ type: 'msg', content: 'late', id: 'late-1' })
    expect(response).toMatchObject({ ok: false, status: 'failed', error: { code: 'OVERLOADED', platform: 'chat', reason: 'wait_timeout' } })
    expect(response.error?.code === 'OVERLOADED' && response.error.waitedMs).toBeGreaterThanOrEqual(45)
    expect(response.dlqId).toBe(deadLetters.entries.get('late-1')?.id)
    expect(response.dlqId).not.toBeNull()
    expect(deadLetters.entries.get('late-1')?.attempts[0]?.error.code).toBe('OVERLOADED')
    expect(runner.started.map((s) => s.content)).toEqual(['hog'])
    expect(router.platformMetrics().find((m) => m.platform === 'chat')?.queued).toBe(0)
    runner.finishOne()
  })

  it('answers at once when the line is full, and the breaker does not count it as a failure', async () => {
    const { router, runner } = setup({ admission: { maxInFlightPerInstance: 1, maxQueuedPerPlatform: 2 } })
    for (const content of ['a', 'b', 'c']) void router.routeRequest({ type: 'msg', content })
    await settle()
    const refused = await router.routeRequest({ type: 'msg', content: 'd' })
    expect(refused.error).toMatchObject({ code: 'OVERLOADED', reason: 'queue_full', waitedMs: 0 })
    expect(refused.error?.message).toMatch(/2 requests already wait/)
    expect(router.breaker('chat').snapshot().state).toBe('closed')
    expect(router.breaker('chat').snapshot().consecutiveFailures).toBe(0)
    while (runner.openCalls > 0) {
      runner.finishOne()
      await settle()
    }
    expect(runner.started.map((s) => s.content)).toEqual(['a', 'b', 'c'])
  })

  it('fails the waiting line with NO_INSTANCE when its last instance goes down', async () => {
    const { router, runner, directory } = setup({ admission: { maxInFlightPerInstance: 1 } })
    void router.routeRequest({ type: 'msg', content: 'a' })
    const waiting = router.routeRequest({ type: 'msg', content: 'b' })
    await settle()
    directory.set('chat-1', { state: 'down', healthy: false })
    runner.finishOne()
    expect((await waiting).error).toMatchObject({ code: 'NO_INSTANCE', platform: 'chat' })
    expect(runner.started).toHaveLength(1)
  })

  it('takes a cancelled waiter out of the line without running it', async () => {
    const { router, runner } = setup({ admission: { maxInFlightPerInstance: 1 } })
    void router.routeRequest({ type: 'msg', content: 'a' })
    const abort = new AbortController()
    const cancelled = router.routeRequest({ type: 'msg', content: 'b' }, { signal: abort.signal })
    await settle()
    abort.abort()
    expect((await cancelled).error).toMatchObject({ code: 'OVERLOADED', reason: 'cancelled' })
    expect(router.platformMetrics().find((m) => m.platform === 'chat')?.queued).toBe(0)
    runner.finishOne()
    await settle()
    expect(runner.started).toHaveLength(1)
  })

  it('with no limit (null) nothing ever waits', async () => {
    const { router, runner } = setup({ admission: { maxInFlightPerInstance: null } })
    for (let i = 0; i < 200; i++) void router.routeRequest({ type: 'msg', content: `m${i}` })
    await settle()
    expect(runner.started).toHaveLength(200)
    while (runner.openCalls > 0) runner.finishOne()
  })

  it('says in determineRoute when a request would wait, and exports the line length as a metric', async () => {
    const { router, runner, metrics } = setup({ admission: { maxInFlightPerInstance: 1 } })
    void router.routeRequest({ type: 'msg', content: 'a' })
    void router.routeRequest({ type: 'msg', content: 'b' })
    await settle()
    const decision = router.determineRoute({ type: 'msg', content: 'c' })
    expect(decision).toMatchObject({ ok: true, platform: 'chat', instanceId: 'chat-1', priority: 0 })
    expect(decision.ok && decision.reason).toMatch(/would wait \(chat: all 1 instance\(s\) at 1 in flight, 1 waiting\)/)
    expect(await metrics.registry.getSingleMetricAsString('conductor_router_queued')).toMatch(/conductor_router_queued\{platform="chat"\} 1/)
    while (runner.openCalls > 0) {
      runner.finishOne()
      await settle()
    }
    const idle = router.determineRoute({ type: 'msg', content: 'c' })
    expect(idle.ok && idle.reason).not.toMatch(/would wait/)
  })
})
