/**
 * The children of a labelled hot-path metric (`BucketHistogram`, `TallyCounter`): one per label set, found by
 * its values in label-name order and made on first use. Callers keep the child they get.
 */
export class LabelledChildren<C> {
  readonly all = new Map<string, C>()
  private readonly metric: string
  private readonly labelNames: readonly string[]
  private readonly make: (labels: Record<string, string>) => C

  constructor(metric: string, labelNames: readonly string[], make: (labels: Record<string, string>) => C) {
    this.metric = metric
    this.labelNames = labelNames
    this.make = make
  }

  get(values: readonly string[]): C {
    if (values.length !== this.labelNames.length) throw new Error(`${this.metric}: expected ${this.labelNames.length} label values, got ${values.length}`)
    const key = values.join('\u0000')
    let child = this.all.get(key)
    if (child === undefined) {
      const labels: Record<string, string> = {}
      this.labelNames.forEach((name, i) => (labels[name] = values[i] as string))
      child = this.make(labels)
      this.all.set(key, child)
    }
    return child
  }
}
