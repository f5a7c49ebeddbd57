/**
 * Group commit over a synchronous database. `submit` parks the item and schedules one flush on the next turn
 * of the event loop (`setImmediate`, so every enqueue made in the current turn — including those made from
 * promise continuations — joins the same batch). The flush runs `commit` once for the whole batch (one
 * transaction, one fsync) and only then settles each caller with its own outcome.
 */

export interface GroupCommitOptions<I, O> {
  /** Commits the batch in one transaction and returns one outcome per item, in order. May throw. */
  commit: (items: readonly I[]) => O[]
  /** The outcome every item of a batch gets when `commit` threw (nothing of the batch was committed). */
  failed: (cause: unknown, item: I) => O
  maxBatch: number
  /** Defaults to `setImmediate`. */
  schedule?: (fn: () => void) => void
}

interface Waiting<I, O> {
  item: I
  settle: (outcome: O) => void
}

export class GroupCommitter<I, O> {
  readonly #options: GroupCommitOptions<I, O>
  #queue: Array<Waiting<I, O>> = []
  #scheduled = false
  #idle: Array<() => void> = []

  constructor(options: GroupCommitOptions<I, O>) {
    this.#options = options
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((settle) => {
      this.#queue.push({ item, settle })
      this.#arm()
    })
  }

  /** Resolves once everything submitted so far has been committed (or failed). */
  drained(): Promise<void> {
    if (this.#queue.length === 0 && !this.#scheduled) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  #arm(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    ;(this.#options.schedule ?? setImmediate)(() => this.#flush())
  }

  #flush(): void {
    this.#scheduled = false
    const batch = this.#queue.splice(0, this.#options.maxBatch)
    if (this.#queue.length > 0) this.#arm()
    let outcomes: O[]
    try {
      outcomes = this.#options.commit(batch.map((w) => w.item))
    } catch (cause) {
      outcomes = batch.map((w) => this.#options.failed(cause, w.item))
    }
    batch.forEach((waiting, index) => waiting.settle(outcomes[index] as O))
    if (!this.#scheduled) for (const resolve of this.#idle.splice(0)) resolve()
  }
}
