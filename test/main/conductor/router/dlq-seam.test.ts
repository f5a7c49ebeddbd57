/**
 * The router and the real dead-letter queue on both sides of the seam: a failure lands in the queue, a retry
 * goes back through the router without a new entry, an open breaker defers it without burning an attempt.
 */
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import type { DeadLetterInput } from '../../../../src/main/conductor/dlq/dead-letter-port.ts'
import { DeadLetterQueue } from '../../../../src/main/conductor/dlq/dead-letter-queue.ts'
import { DlqConfigSchema } from '../../../../src/main/conductor/dlq/dlq-config.ts'
import { RequestRouter } from '../../../../src/main/conductor/router.ts'
import { createRoutingMetrics } from '../../../../src/main/conductor/routing/routing-metrics.ts'
import type { DlqEntry } from '../../../../src/shared/dlq.ts'
import { startFakes, type FakeRunner } from './fakes.ts'
import { FLAKY } from './paths.ts'

let runner: FakeRunner | null = null
let dlq: DeadLetterQueue | null = null
afterEach(async () => {
  await dlq?.close()
  await runner?.close()
  dlq = null
  runner = null
})

function stateOf(queue: DeadLetterQueue, id: string, state: DlqEntry['state']): Promise<DlqEntry> {
  return new Promise((resolve) => {
    const listener = ({ entry }: { entry: DlqEntry }) => {
      if (entry.id === id && entry.state === state) {
        queue.off('dlq.entryUpdated', listener)
        resolve(entry)
      }
    }
    queue.on('dlq.entryUpdated', listener)
  })
}

describe('router ↔ dead-letter queue', () => {
  it('stores a failure, defers its retry while the breaker is forced open, then delivers it through the router', async () => {
    const fakes = await startFakes({ flaky: { modulePath: FLAKY, instances: 1 } })
    runner = fakes.runner
    let queue: DeadLetterQueue | null = null
    const router = new RequestRouter({
      directory: fakes.directory,
      runner: fakes.runner,
      deadLetters: { enqueue: (input: DeadLetterInput) => (queue as DeadLetterQueue).enqueue(input) },
      metrics: createRoutingMetrics(new Registry())
    })
    const opened = DeadLetterQueue.open({
      config: DlqConfigSchema.parse({ backoff: { baseMs: 1, capMs: 5, jitter: 'none' }, maxAttempts: 5 }),
      path: ':memory:',
      replayer: router,
      metricsRegistry: new Registry()
    })
    if (!opened.ok) throw new Error(opened.error.message)
    queue = dlq = opened.value

    await fakes.runner.execute('flaky-1', { id: 'switch', type: 'x', content: 'fail:on', metadata: {} })
    const failed = await router.routeRequest({ id: 'order-1', type: 'x', content: 'hello', target: 'flaky' })
    expect(failed).toMatchObject({ ok: false, error: { code: 'PLUGIN_ERROR' } })
    const dlqId = failed.dlqId as string
    expect(queue.counts()).toMatchObject({ pending: 1, live: 1 })

    // Breaker forced open: the queue's replay is deferred, not executed, and burns no attempt.
    router.forceOpenBreaker('flaky', 'investigating')
    const callsBefore = fakes.runner.calls
    const backToPending = stateOf(queue, dlqId, 'pending')
    queue.start()
    const afterDeferral = await backToPending
    expect(afterDeferral.attemptCount).toBe(0)
    expect(fakes.runner.calls).toBe(callsBefore)
    const detail = queue.get(dlqId)
    expect(detail.ok && detail.value.attempts.map((a) => a.outcome)).toContain('deferred')

    // Recovered plugin, closed breaker: the queue's retry goes through the router and resolves the entry.
    await fakes.runner.execute('flaky-1', { id: 'switch-off', type: 'x', content: 'fail:off', metadata: {} })
    const resolved = stateOf(queue, dlqId, 'resolved')
    router.resetBreaker('flaky', 'fixed')
    expect((await resolved).state).toBe('resolved')
    expect(queue.counts()).toMatchObject({ resolved: 1, pending: 0, live: 0 })
    expect(router.snapshot().totals.dlqHandOffs).toBe(1)
  })
})
