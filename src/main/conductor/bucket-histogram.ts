/**
 * A Prometheus histogram for hot paths (the router's latencies, every sandbox request), registered in a
 * prom-client `Registry` as a custom metric (the registry formats any metric that has `name`, `help`, `type`
 * and `get()`), exported in the same text format as prom-client's own (cumulative `_bucket{le,…}`, `_sum`,
 * `_count`).
 *
 * Why not prom-client's `Histogram`: its `observe` copies, validates and hashes the label set on every call,
 * which on the request path cost about as much as validating and routing the request. Here a labelled child
 * is found once (`labels(...)`, kept by the caller) and `observe` is a bucket search and three additions.
 */
import type { Registry } from 'prom-client'
import { LabelledChildren } from './labelled-children.ts'

export interface BucketHistogramOptions<L extends string> {
  name: string
  help: string
  labelNames?: readonly L[]
  /** Upper bounds in the metric's unit (seconds, bytes), ascending; `+Inf` is implied. */
  buckets: readonly number[]
  registers: Registry[]
}

/** One label set's counts: per bucket (not cumulative; the last slot is +Inf), sum and count. */
export class BucketChild {
  readonly counts: Float64Array
  sum = 0
  count = 0
  private readonly bounds: readonly number[]
  readonly labels: Record<string, string>

  constructor(bounds: readonly number[], labels: Record<string, string>) {
    this.bounds = bounds
    this.labels = labels
    this.counts = new Float64Array(bounds.length + 1)
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return
    const bounds = this.bounds
    let i = 0
    while (i < bounds.length && value > (bounds[i] as number)) i++
    this.counts[i] = (this.counts[i] as number) + 1
    this.sum += value
    this.count++
  }
}

interface ExportedValue {
  value: number
  labels: Record<string, string | number>
  metricName: string
  /** As prom-client's buckets carry (no exemplars here). */
  exemplar?: null
}

export class BucketHistogram<L extends string = never> {
  readonly name: string
  readonly help: string
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  readonly labelNames: readonly L[]
  private readonly bounds: readonly number[]
  private readonly children: LabelledChildren<BucketChild>

  constructor(options: BucketHistogramOptions<L>) {
    this.name = options.name
    this.help = options.help
    this.labelNames = options.labelNames ?? []
    const bounds = (this.bounds = [...options.buckets].sort((a, b) => a - b))
    this.children = new LabelledChildren(this.name, this.labelNames, (labels) => new BucketChild(bounds, labels))
    for (const registry of options.registers) registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0])
  }

  /** The child of one label set, in `labelNames` order; keep it and call its `observe`. */
  labels(...values: string[]): BucketChild {
    return this.children.get(values)
  }

  /** Observes into the unlabelled child (only for a histogram without labels). */
  observe(value: number): void {
    this.labels().observe(value)
  }

  reset(): void {
    this.children.all.clear()
  }

  /** prom-client's metric read: cumulative buckets, then sum and count, per label set. */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: ExportedValue[] }> {
    const values: ExportedValue[] = []
    for (const child of this.children.all.values()) {
      let cumulative = 0
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += child.counts[i] as number
        const le = i < this.bounds.length ? (this.bounds[i] as number) : '+Inf'
        values.push({ value: cumulative, labels: { le, ...child.labels }, metricName: `${this.name}_bucket`, exemplar: null })
      }
      values.push({ value: child.sum, labels: { ...child.labels }, metricName: `${this.name}_sum` })
      values.push({ value: child.count, labels: { ...child.labels }, metricName: `${this.name}_count` })
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }
}
