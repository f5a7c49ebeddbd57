/**
 * A Prometheus counter for hot paths: a prom-client `Counter` whose counts live as plain numbers, one per label
 * set, and are copied into it only when it is read (`collect`). prom-client's own `inc` copies, validates and
 * hashes the label set on every call; here a caller finds a label set's child once (`labels(...)`) and keeps it,
 * and `inc` is an addition. Same exposition as a plain prom-client counter.
 */
import { Counter, type Registry } from 'prom-client'

export interface TallyCounterOptions<L extends string> {
  name: string
  help: string
  labelNames: readonly L[]
  registers: Registry[]
}

/** One label set's count. */
export class TallyChild {
  count = 0
  readonly labels: Partial<Record<string, string>>

  constructor(labels: Partial<Record<string, string>>) {
    this.labels = labels
  }

  inc(by = 1): void {
    this.count += by
  }
}

export class TallyCounter<L extends string> {
  /** The prom-client counter the registry reads. */
  readonly counter: Counter<L>
  private readonly name: string
  private readonly labelNames: readonly L[]
  private readonly children = new Map<string, TallyChild>()

  constructor(options: TallyCounterOptions<L>) {
    this.name = options.name
    this.labelNames = options.labelNames
    const children = this.children
    this.counter = new Counter<L>({
      name: options.name,
      help: options.help,
      labelNames: options.labelNames,
      registers: options.registers,
      collect() {
        this.reset()
        for (const child of children.values()) if (child.count > 0) this.inc(child.labels, child.count)
      }
    })
  }

  /** The child of one label set, values in `labelNames` order; keep it and call its `inc`. */
  labels(...values: string[]): TallyChild {
    if (values.length !== this.labelNames.length) throw new Error(`${this.name}: expected ${this.labelNames.length} label values, got ${values.length}`)
    const key = values.join('\u0000')
    let child = this.children.get(key)
    if (child === undefined) {
      const labels: Partial<Record<string, string>> = {}
      this.labelNames.forEach((name, i) => (labels[name] = values[i]))
      child = new TallyChild(labels)
      this.children.set(key, child)
    }
    return child
  }
}
