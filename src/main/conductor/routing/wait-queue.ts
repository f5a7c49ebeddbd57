/**
 * The waiting line of one platform when every usable instance is at its in-flight limit. Order: higher
 * `priority` first; at equal priority a live request goes before a dead-letter retry (a retry never overtakes
 * the traffic it competes with); then arrival order. A waiter leaves the line when it is granted a slot, when
 * its deadline passes, when its caller aborts, or when the line is failed as a whole.
 *
 * Buckets per (priority, live/retry) kept sorted: configs use a handful of priorities, so finding a bucket is a
 * short scan. A waiter that leaves early is taken out at once (a scan of its bucket, bounded by `capacity`), so a
 * line that is never served does not keep what timed out.
 */

export type WaitOutcome<G> =
  | { granted: true; grant: G }
  | { granted: false; reason: 'wait_timeout' | 'cancelled'; waitedMs: number }
  | { granted: false; reason: 'failed'; error: unknown; waitedMs: number }

export interface Waiter<D> {
  readonly data: D
  readonly priority: number
  readonly retry: boolean
}

interface Entry<D, G> extends Waiter<D> {
  readonly enqueuedAt: number
  bucket: Bucket<D, G>
  settle: ((outcome: WaitOutcome<G>) => void) | null
  timer: ReturnType<typeof setTimeout> | null
  unlisten: (() => void) | null
}

interface Bucket<D, G> {
  readonly rank: number
  readonly entries: Array<Entry<D, G>>
  head: number
}

export class WaitQueue<D, G> {
  readonly capacity: number
  private readonly buckets: Array<Bucket<D, G>> = []
  private waiting = 0

  constructor(capacity: number) {
    this.capacity = capacity
  }

  get size(): number {
    return this.waiting
  }

  /**
   * Joins the line; the promise settles with a grant, or with why the wait ended. Null when the line is full
   * (the caller answers at once instead of waiting).
   */
  wait(waiter: Waiter<D>, timeoutMs: number, signal?: AbortSignal): Promise<WaitOutcome<G>> | null {
    if (this.waiting >= this.capacity) return null
    if (signal?.aborted) return Promise.resolve({ granted: false, reason: 'cancelled', waitedMs: 0 })
    return new Promise((resolve) => {
      const bucket = this.bucketFor(rankOf(waiter))
      const entry: Entry<D, G> = { ...waiter, enqueuedAt: performance.now(), bucket, settle: resolve, timer: null, unlisten: null }
      entry.timer = setTimeout(() => this.leave(entry, 'wait_timeout'), Math.max(0, timeoutMs))
      if (signal !== undefined) {
        const onAbort = (): void => this.leave(entry, 'cancelled')
        signal.addEventListener('abort', onAbort, { once: true })
        entry.unlisten = () => signal.removeEventListener('abort', onAbort)
      }
      bucket.entries.push(entry)
      this.waiting++
    })
  }

  /** Who goes next, without removing them. */
  peek(): Waiter<D> | undefined {
    const bucket = this.buckets[0]
    return bucket?.entries[bucket.head]
  }

  /** Hands `grant` to the next waiter; false when nobody waits. */
  grantNext(grant: G): boolean {
    const bucket = this.buckets[0]
    const entry = bucket?.entries[bucket.head]
    if (bucket === undefined || entry === undefined) return false
    bucket.head++
    this.compact(bucket)
    this.settle(entry, { granted: true, grant })
    return true
  }

  /** Ends every wait with `error` (e.g. the platform has no usable instance left). */
  failAll(error: unknown): void {
    for (const bucket of this.buckets.splice(0)) {
      for (let i = bucket.head; i < bucket.entries.length; i++) {
        const entry = bucket.entries[i] as Entry<D, G>
        if (entry.settle !== null) this.settle(entry, { granted: false, reason: 'failed', error, waitedMs: performance.now() - entry.enqueuedAt })
      }
    }
  }

  private leave(entry: Entry<D, G>, reason: 'wait_timeout' | 'cancelled'): void {
    if (entry.settle === null) return
    const { bucket } = entry
    const index = bucket.entries.indexOf(entry, bucket.head)
    if (index !== -1) {
      bucket.entries.splice(index, 1)
      this.compact(bucket)
    }
    this.settle(entry, { granted: false, reason, waitedMs: performance.now() - entry.enqueuedAt })
  }

  private settle(entry: Entry<D, G>, outcome: WaitOutcome<G>): void {
    const settle = entry.settle
    if (settle === null) return
    entry.settle = null
    if (entry.timer !== null) clearTimeout(entry.timer)
    entry.unlisten?.()
    this.waiting--
    settle(outcome)
  }

  /** Drops a drained bucket, or the served prefix of a long one, so memory follows the line's length. */
  private compact(bucket: Bucket<D, G>): void {
    if (bucket.head === bucket.entries.length) {
      const index = this.buckets.indexOf(bucket)
      if (index !== -1) this.buckets.splice(index, 1)
    } else if (bucket.head > 1024 && bucket.head * 2 > bucket.entries.length) {
      bucket.entries.splice(0, bucket.head)
      bucket.head = 0
    }
  }

  private bucketFor(rank: number): Bucket<D, G> {
    let index = 0
    while (index < this.buckets.length && (this.buckets[index] as Bucket<D, G>).rank > rank) index++
    const existing = this.buckets[index]
    if (existing !== undefined && existing.rank === rank) return existing
    const bucket: Bucket<D, G> = { rank, entries: [], head: 0 }
    this.buckets.splice(index, 0, bucket)
    return bucket
  }
}

/** Higher ranks go first: priority, then live before retry. */
function rankOf(waiter: Waiter<unknown>): number {
  return waiter.priority * 2 + (waiter.retry ? 0 : 1)
}
