/**
 * Group commit over a synchronous database. `submit` parks the item and schedules one flush in a microtask: what
 * is submitted in the same synchronous run, and from the promise continuations already queued (callers resuming
 * after the previous batch), joins the batch. The flush runs `commit` once for the whole batch (one transaction,
 * one fsync) and only then settles each caller with its own outcome.
 *
 * Why a microtask and not the next turn of the event loop (`setImmediate`, as before): waiting out a turn was
 * about a fifth of a sequential enqueue's CPU time and a third of a concurrent one's (measured here). Back-to-back
 * commits in microtasks would hold the event loop, though, so after `yieldAfterMs` of them the next flush waits
 * for a turn (timers, I/O and IPC run in between).
 */

export interface GroupCommitOptions<I, O> {
  /** Commits the batch in one transaction and returns one outcome per item, in order. May throw. */
  commit: (items: readonly I[]) => O[]
  /** The outcome every item of a batch gets when `commit` threw (nothing of the batch was committed). */
  failed: (cause: unknown, item: I) => O
  maxBatch: number
  /** Longest run of back-to-back flushes before the event loop gets a turn; default 5 ms. */
  yieldAfterMs?: number
  /** Replaces the scheduling above (tests). */
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
  /** When the current run of flushes without an event-loop turn began; null after a turn. */
  #runStartedAt: number | null = null

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
    const flush = (): void => this.#flush()
    if (this.#options.schedule) return this.#options.schedule(flush)
    const now = performance.now()
    if (this.#runStartedAt === null) {
      this.#runStartedAt = now
      setImmediate(() => (this.#runStartedAt = null))
    }
    if (now - this.#runStartedAt < (this.#options.yieldAfterMs ?? 5)) queueMicrotask(flush)
    else setImmediate(flush)
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
