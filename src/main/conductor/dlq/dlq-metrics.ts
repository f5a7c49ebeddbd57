/**
 * DLQ metrics (prom-client). The queue owns its own `Registry` unless the host passes one (the engine-wide
 * `metricsRegistry`, once it exists): a metric name can be registered only once per registry, so share a
 * registry only with a single queue.
 */
import { Counter, Gauge, Registry } from 'prom-client'
import type { DlqCounts } from '../../../shared/dlq.ts'

export interface DlqMetrics {
  registry: Registry
  /** Refreshes the gauges from the queue's counts. */
  update(counts: DlqCounts): void
  enqueued: Counter<'result'>
  replays: Counter<'outcome'>
}

export function createDlqMetrics(registry: Registry = new Registry()): DlqMetrics {
  const entries = new Gauge({
    name: 'conductor_dlq_entries',
    help: 'Dead-letter entries by state',
    labelNames: ['state'] as const,
    registers: [registry]
  })
  const capacity = new Gauge({
    name: 'conductor_dlq_capacity_entries',
    help: 'Maximum live (pending + retrying + dead) entries; enqueue fails with DLQ_FULL beyond it',
    registers: [registry]
  })
  const full = new Gauge({ name: 'conductor_dlq_full', help: '1 while the DLQ is full', registers: [registry] })
  const enqueued = new Counter({
    name: 'conductor_dlq_enqueue_total',
    help: 'Enqueue calls by result (added, duplicate, full, unavailable)',
    labelNames: ['result'] as const,
    registers: [registry]
  })
  const replays = new Counter({
    name: 'conductor_dlq_replays_total',
    help: 'Replays by outcome (delivered, failed, deferred, invalid)',
    labelNames: ['outcome'] as const,
    registers: [registry]
  })
  return {
    registry,
    enqueued,
    replays,
    update(counts) {
      for (const state of ['pending', 'retrying', 'resolved', 'dead', 'discarded'] as const) {
        entries.set({ state }, counts[state])
      }
      capacity.set(counts.capacity)
      full.set(counts.full ? 1 : 0)
    }
  }
}
