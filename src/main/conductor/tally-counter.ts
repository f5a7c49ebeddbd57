/**
 * A Prometheus counter for hot paths: a prom-client `Counter` whose counts live as plain numbers, one per label
 * set, and are copied into it only when it is read (`collect`). prom-client's own `inc` copies, validates and
 * hashes the label set on every call; here a caller finds a label set's child once (`labels(...)`) and keeps it,
 * and `inc` is an addition. Same exposition as a plain prom-client counter.
 */
import { Counter, type Registry } from 'prom-client'
import { LabelledChildren } from './labelled-children.ts'

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
  private readonly children: LabelledChildren<TallyChild>

  constructor(options: TallyCounterOptions<L>) {
    const children = (this.children = new LabelledChildren(options.name, options.labelNames, (labels) => new TallyChild(labels)))
    this.counter = new Counter<L>({
      name: options.name,
      help: options.help,
      labelNames: options.labelNames,
      registers: options.registers,
      collect() {
        this.reset()
        for (const child of children.all.values()) if (child.count > 0) this.inc(child.labels, child.count)
      }
    })
  }

  /** The child of one label set, values in `labelNames` order; keep it and call its `inc`. */
  labels(...values: string[]): TallyChild {
    return this.children.get(values)
  }
}
