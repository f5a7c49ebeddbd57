/**
 * A fan-out whose platforms fail is stored as one dead-letter entry per failed platform, so a retry that
 * succeeds on one platform and fails on another never delivers to the successful one again.
 */
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import type { DeadLetterQueue } from '../../../../src/main/conductor/dlq/dead-letter-queue.ts'
import { RequestRouter } from '../../../../src/main/conductor/router.ts'
import { createRoutingMetrics } from '../../../../src/main/conductor/routing/routing-metrics.ts'
import { startFakes, type FakeRunner } from '../router/fakes.ts'
import { FLAKY } from '../router/paths.ts'
import { delivered, FakeClock, input, nextEvent, openQueue, ScriptedReplayer, tempDir } from './helpers.ts'

describe('fan-out retry', () => {
  let temp: ReturnType<typeof tempDir> | null = null
  let runner: FakeRunner | null = null
  let queue: DeadLetterQueue | null = null
  afterEach(async () => {
    await queue?.close()
    await runner?.close()
    temp?.cleanup()
  })

  it('retries each failed platform of a fan-out on its own and never re-delivers to one that succeeded', async () => {
    temp = tempDir()
    const fakes = await startFakes({ alpha: { modulePath: FLAKY, instances: 1 }, beta: { modulePath: FLAKY, instances: 1 } })
    runner = fakes.runner
    const clock = new FakeClock(Date.now())
    let router: RequestRouter | null = null
    const q = openQueue(join(temp.dir, 'dlq.sqlite'), {
      clock,
      random: () => 0.5,
      config: { backoff: { baseMs: 1_000, capMs: 1_000, jitter: 'none' }, maxAttempts: 5 },
      replayer: { replay: (request, options) => (router as RequestRouter).replay(request, options) }
    })
    queue = q
    router = new RequestRouter({
      config: { rules: [{ id: 'broadcast', match: { type: 'broadcast' }, platforms: ['alpha', 'beta'] }], breaker: { consecutiveFailures: 100, minimumCalls: 100 } },
      directory: fakes.directory,
      runner: fakes.runner,
      deadLetters: q,
      metrics: createRoutingMetrics(new Registry())
    })
    q.start()
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

  it('keys a platform entry by its entry id and keeps the request id through an edit and the replay', async () => {
    temp = tempDir()
    const clock = new FakeClock()
    const replayer = new ScriptedReplayer(delivered)
    const q = openQueue(join(temp.dir, 'dlq.sqlite'), { clock, replayer, config: { backoff: { baseMs: 10, capMs: 10, jitter: 'none' } } })
    queue = q
    const base = input('order-7', { platform: 'alpha' })
    const alpha = { ...base, entryId: 'order-7@alpha', request: { ...base.request, target: ['alpha'] } }
    const beta = { ...base, entryId: 'order-7@beta', route: { platform: 'beta', ruleId: 'rule-1' }, request: { ...base.request, target: ['beta'] } }
    expect(await Promise.all([q.enqueue(alpha), q.enqueue(alpha), q.enqueue(beta)])).toEqual([
      { ok: true, value: { id: 'order-7@alpha' } },
      { ok: true, value: { id: 'order-7@alpha' } },
      { ok: true, value: { id: 'order-7@beta' } }
    ])
    expect(q.counts()).toMatchObject({ pending: 2 })
    const edited = q.operations.editPayload('order-7@alpha', { type: 'message', content: 'edited', target: ['alpha'] }, 'fix typo')
    expect(edited.ok && edited.value.request).toEqual({ id: 'order-7', type: 'message', content: 'edited', target: ['alpha'] })

    q.start()
    const resolved = nextEvent(q, 'dlq.entryUpdated', (e) => e.entry.id === 'order-7@alpha' && e.entry.state === 'resolved')
    clock.advance(10)
    await resolved
    expect(replayer.seen.find((r) => r.content === 'edited')).toMatchObject({ id: 'order-7', target: ['alpha'] })
  })
})
