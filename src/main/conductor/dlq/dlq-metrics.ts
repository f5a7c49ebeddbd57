/**
 * DLQ metrics (prom-client), registered into the shared `metricsRegistry` by default; tests pass their own
 * `new Registry()`. A second queue on the same registry replaces this file's metrics (last queue wins).
 */
import { Gauge, type Registry } from 'prom-client'
import type { DlqCounts } from '../../../shared/dlq.ts'
import { metricsRegistry } from '../metrics.ts'
import { TallyCounter } from '../tally-counter.ts'

const NAMES = [
  'conductor_dlq_entries',
  'conductor_dlq_capacity_entries',
  'conductor_dlq_full',
  'conductor_dlq_enqueue_total',
  'conductor_dlq_replays_total'
]

export interface DlqMetrics {
  registry: Registry
  /** Every enqueue call counts (one batch commits many): counted without prom-client's per-call label hashing. */
  enqueued: TallyCounter<'result'>
  replays: TallyCounter<'outcome'>
}

/** Gauges read `counts()` when scraped (no cost per enqueue); counters are bumped by the queue. */
export function createDlqMetrics(counts: () => DlqCounts, registry: Registry = metricsRegistry): DlqMetrics {
  for (const name of NAMES) registry.removeSingleMetric(name)
  new Gauge({
    name: 'conductor_dlq_entries',
    help: 'Dead-letter entries by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const now = counts()
      for (const state of ['pending', 'retrying', 'resolved', 'dead', 'discarded'] as const) this.set({ state }, now[state])
    }
  })
  new Gauge({
    name: 'conductor_dlq_capacity_entries',
    help: 'Maximum live (pending + retrying + dead) entries; enqueue fails with DLQ_FULL beyond it',
    registers: [registry],
    collect() {
      this.set(counts().capacity)
    }
  })
  new Gauge({
    name: 'conductor_dlq_full',
    help: '1 while the DLQ is full',
    registers: [registry],
    collect() {
      this.set(counts().full ? 1 : 0)
    }
  })
  const enqueued = new TallyCounter({
    name: 'conductor_dlq_enqueue_total',
    help: 'Enqueue calls by result (added, full)',
    labelNames: ['result'] as const,
    registers: [registry]
  })
  const replays = new TallyCounter({
    name: 'conductor_dlq_replays_total',
    help: 'Replays by outcome (delivered, failed, deferred, invalid)',
    labelNames: ['outcome'] as const,
    registers: [registry]
  })
  return { registry, enqueued, replays }
}
