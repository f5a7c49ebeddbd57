/**
 * DLQ metrics (prom-client), registered into the shared `metricsRegistry` by default; tests pass their own
 * `new Registry()`. A second queue on the same registry replaces this file's metrics (last queue wins).
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { DlqCounts } from '../../../shared/dlq.ts'
import { metricsRegistry } from '../metrics.ts'

const NAMES = [
  'conductor_dlq_entries',
  'conductor_dlq_capacity_entries',
  'conductor_dlq_full',
  'conductor_dlq_enqueue_total',
  'conductor_dlq_replays_total'
]

export interface DlqMetrics {
  registry: Registry
  /** Refreshes the gauges from the queue's counts. */
  update(counts: DlqCounts): void
  enqueued: Counter<'result'>
  replays: Counter<'outcome'>
}

export function createDlqMetrics(registry: Registry = metricsRegistry): DlqMetrics {
  for (const name of NAMES) registry.removeSingleMetric(name)
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
