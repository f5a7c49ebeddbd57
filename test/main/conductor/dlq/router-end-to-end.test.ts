/**
 * The router's failure path ends in this store, and the store's retries go back through the router: a real
 * `RequestRouter` (with the router tests' in-process runner and the flaky fixture plugin) and a real queue.
 */
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import type { DeadLetterQueue } from '../../../../src/main/conductor/dlq/dead-letter-queue.ts'
import { RequestRouter } from '../../../../src/main/conductor/router.ts'
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

  it('stores a failed request with its attempt, defers retries while the breaker is open, and delivers the edited request', async () => {
    temp = tempDir()
    const fakes = await startFakes({ flaky: { modulePath: FLAKY, instances: 1 } })
    runner = fakes.runner
    const clock = new FakeClock(Date.now())
    let router: RequestRouter | null = null
    const q = openQueue(join(temp.dir, 'dlq.sqlite'), {
      clock,
      random: () => 0.5,
      replayer: { replay: (request, options) => (router as RequestRouter).replay(request, options) }
    })
    queue = q
    router = new RequestRouter({ directory: fakes.directory, runner: fakes.runner, deadLetters: q, metrics: createRoutingMetrics(new Registry()) })
    q.start()

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
})
