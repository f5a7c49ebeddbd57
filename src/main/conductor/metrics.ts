/**
 * Conductor's Prometheus metrics. `metricsRegistry` is the one registry every area registers into (the router
 * adds its own metrics to it from its own file); `metricsRegistry.metrics()` yields the text exposition.
 * `isolationMetrics.record` is called by the sandbox for every finished request.
 */
import { Registry } from 'prom-client'
import type { SandboxStatus } from '../../shared/sandbox.ts'
import { BucketHistogram, type BucketChild } from './bucket-histogram.ts'
import { TallyCounter, type TallyChild } from './tally-counter.ts'

export const metricsRegistry = new Registry()

const executions = new TallyCounter({
  name: 'conductor_sandbox_executions_total',
  help: 'Sandbox requests by plugin and outcome',
  labelNames: ['plugin', 'outcome'] as const,
  registers: [metricsRegistry]
})

const duration = new BucketHistogram({
  name: 'conductor_sandbox_duration_seconds',
  help: 'Wall time of sandbox requests, in seconds',
  labelNames: ['plugin', 'outcome'] as const,
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
  registers: [metricsRegistry]
})

const peakRss = new BucketHistogram({
  name: 'conductor_sandbox_peak_rss_bytes',
  help: 'Peak resident memory of the sandbox process tree seen during a request, in bytes',
  labelNames: ['plugin'] as const,
  buckets: [32, 64, 128, 256, 512, 1024, 2048].map((mb) => mb * 1024 * 1024),
  registers: [metricsRegistry]
})

export interface ExecutionRecord {
  plugin: string
  outcome: SandboxStatus
  durationMs: number
  peakRssBytes: number
}

interface Series {
  executions: TallyChild
  duration: BucketChild
  peakRss: BucketChild
}

// Looked up once per (plugin, outcome): record() runs for every sandbox request.
const series = new Map<string, Series>()

function seriesFor(plugin: string, outcome: SandboxStatus): Series {
  const key = `${plugin}\u0000${outcome}`
  let found = series.get(key)
  if (!found) {
    found = { executions: executions.labels(plugin, outcome), duration: duration.labels(plugin, outcome), peakRss: peakRss.labels(plugin) }
    series.set(key, found)
  }
  return found
}

export const isolationMetrics = {
  record(entry: ExecutionRecord): void {
    const s = seriesFor(entry.plugin, entry.outcome)
    s.executions.inc()
    s.duration.observe(entry.durationMs / 1000)
    if (entry.peakRssBytes > 0) s.peakRss.observe(entry.peakRssBytes)
  }
}
