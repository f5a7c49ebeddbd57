/**
 * The router's failure path ends in this store, and the store's retries go back through the router: a real
 * `RequestRouter` (with the router tests' in-process runner and the flaky fixture plugin) and a real queue.
 * A fan-out is stored as one entry per failed platform, so a retry never re-delivers to one that succeeded.
 */
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import type { DeadLetterQueue } from '../../../../src/main/conductor/dlq/dead-letter-queue.ts'
import type { DlqConfigInput } from '../../../../src/main/conductor/dlq/dlq-config.ts'
import { RequestRouter } from '../../../../src/main/conductor/router.ts'
import type { RouterConfigInput } from '../../../../src/main/conductor/routing/router-config.ts'
import { createRoutingMetrics } from '../../../../src/main/conductor/routing/routing-metrics.ts'
import { startFakes, type FakeRunner } from '../router/fakes.ts'
import { FLAKY } from '../router/paths.ts'
import { FakeClock, nextEvent, openQueue, tempDir } from './helpers.ts'

describe('router → dead-letter queue → router', () => {
  let temp: ReturnType<typeof tempDir> | null = null
  let runner: FakeRunner | null = null
  let queue: DeadLetterQueue | null = null
  afterEach(async () => {
    await queue?.close()
    await runner?.close()
    temp?.cleanup()
  })

  /** A started queue in a temp dir whose replays go through a real router over the flaky plugin's platforms. */
  async function setup(platforms: string[], options: { router?: RouterConfigInput; dlq?: DlqConfigInput } = {}) {
    temp = tempDir()
    const fakes = await startFakes(Object.fromEntries(platforms.map((p) => [p, { modulePath: FLAKY, instances: 1 }])))
    runner = fakes.runner
    const clock = new FakeClock(Date.now())
    let router: RequestRouter | null = null
    const q = openQueue(join(temp.dir, 'dlq.sqlite'), {
      clock,
      random: () => 0.5,
      ...(options.dlq ? { config: options.dlq } : {}),
      replayer: { replay: (request, replayOptions) => (router as RequestRouter).replay(request, replayOptions) }
    })
    queue = q
    router = new RequestRouter({ config: options.router ?? {}, directory: fakes.directory, runner: fakes.runner, deadLetters: q, metrics: createRoutingMetrics(new Registry()) })
    q.start()
    return { fakes, clock, q, router }
  }

  it('stores a failed request with its attempt, defers retries while the breaker is open, and delivers the edited request', async () => {
    const { fakes, clock, q, router } = await setup(['flaky'])

    const response = await router.routeRequest({ id: 'r-1', type: 'x', content: 'fail', target: 'flaky', metadata: { user: 'u1' } })
    expect(response).toMatchObject({ ok: false, dlqId: 'r-1' })
    const stored = q.get('r-1')
    if (!stored.ok) throw new Error('not stored')
    expect(stored.value.entry).toMatchObject({ state: 'pending', platform: 'flaky', attemptCount: 0, lastError: { code: 'PLUGIN_ERROR' } })
    expect(stored.value.attempts).toMatchObject([{ origin: 'router', outcome: 'failed', instanceId: 'flaky-1' }])

    expect(router.forceOpenBreaker('flaky', 'maintenance').ok).toBe(true)
    const deferred = nextEvent(q, 'dlq.entryUpdated', (e) => e.previousState === 'retrying')
    clock.advance((stored.value.entry.nextAttemptAtMs ?? 0) - clock.now())
    expect((await deferred).entry).toMatchObject({ state: 'pending', attemptCount: 0 })
    const callsWhileOpen = fakes.runner.calls

    expect(router.resetBreaker('flaky', 'maintenance over').ok).toBe(true)
    expect(q.operations.editPayload('r-1', { type: 'x', content: 'hello again', target: ['flaky'], metadata: { user: 'u1' } }, 'drop the fail command').ok).toBe(true)
    const resolved = nextEvent(q, 'dlq.entryUpdated', (e) => e.entry.state === 'resolved')
    q.operations.retry('r-1', 'breaker reset')
    clock.advance(0)
    expect((await resolved).entry).toMatchObject({ id: 'r-1', attemptCount: 1, originalRequest: { content: 'fail' } })
    expect(callsWhileOpen).toBe(1)
    expect(fakes.runner.calls).toBe(2)
  })

  it('retries each failed platform of a fan-out on its own and never re-delivers to one that succeeded', async () => {
    const { fakes, clock, q, router } = await setup(['alpha', 'beta'], {
      router: { rules: [{ id: 'broadcast', match: { type: 'broadcast' }, platforms: ['alpha', 'beta'] }], breaker: { consecutiveFailures: 100, minimumCalls: 100 } },
      dlq: { backoff: { baseMs: 1_000, capMs: 1_000, jitter: 'none' }, maxAttempts: 5 }
    })
    for (const id of ['alpha-1', 'beta-1']) await fakes.runner.execute(id, { id: `switch-${id}`, type: 'x', content: 'fail:on', metadata: {} })

    const response = await router.routeRequest({ id: 'fan-1', type: 'broadcast', content: 'hello' })
    expect(response).toMatchObject({ ok: false, status: 'failed', dlqId: 'fan-1@alpha' })
    expect(response.results).toMatchObject([
      { ok: false, platform: 'alpha', dlqId: 'fan-1@alpha' },
      { ok: false, platform: 'beta', dlqId: 'fan-1@beta' }
    ])
    expect(q.counts()).toMatchObject({ pending: 2 })
    for (const platform of ['alpha', 'beta']) {
      const stored = q.get(`fan-1@${platform}`)
      if (!stored.ok) throw new Error(`no entry for ${platform}`)
      expect(stored.value.entry).toMatchObject({ platform, ruleId: 'broadcast', request: { id: 'fan-1', target: [platform] } })
      expect(stored.value.attempts).toMatchObject([{ origin: 'router', platform }])
    }

    // alpha recovers, beta keeps failing: the first retry delivers to alpha and fails on beta.
    await fakes.runner.execute('alpha-1', { id: 'switch-off', type: 'x', content: 'fail:off', metadata: {} })
    const alphaResolved = nextEvent(q, 'dlq.entryUpdated', (e) => e.entry.id === 'fan-1@alpha' && e.entry.state === 'resolved')
    const betaFailedOnce = nextEvent(q, 'dlq.entryUpdated', (e) => e.entry.id === 'fan-1@beta' && e.previousState === 'retrying')
    clock.advance(1_000)
    await alphaResolved
    expect((await betaFailedOnce).entry).toMatchObject({ state: 'pending', attemptCount: 1 })
    const alphaCalls = fakes.runner.callsByInstance.get('alpha-1')
    const betaCalls = fakes.runner.callsByInstance.get('beta-1') ?? 0

    // The next retry goes to beta only.
    const betaFailedTwice = nextEvent(q, 'dlq.entryUpdated', (e) => e.entry.id === 'fan-1@beta' && e.previousState === 'retrying')
    clock.advance(1_000)
    expect((await betaFailedTwice).entry).toMatchObject({ state: 'pending', attemptCount: 2 })
    expect(fakes.runner.callsByInstance.get('alpha-1')).toBe(alphaCalls)
    expect(fakes.runner.callsByInstance.get('beta-1')).toBe(betaCalls + 1)

    // Routing the same request again is idempotent per platform entry.
    await router.routeRequest({ id: 'fan-1', type: 'broadcast', content: 'hello' })
    expect(q.counts()).toMatchObject({ pending: 1, resolved: 1 })
  })
})
