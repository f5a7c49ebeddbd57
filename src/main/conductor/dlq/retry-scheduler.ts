/**
 * One timer for the earliest due entry — never polling. Whenever something changes (an enqueue, a replay
 * finished, an operator retry), `poke()` re-reads the earliest due time and re-arms the single timer. When it
 * fires, at most `concurrency - inFlight` due entries are taken and replayed; each finished replay pokes again.
 */

/** Time and timers, injectable so tests drive the schedule deterministically. */
export interface DlqClock {
  now(): number
  setTimer(fn: () => void, delayMs: number): unknown
  clearTimer(handle: unknown): void
}

export const systemClock: DlqClock = {
  now: () => Date.now(),
  setTimer: (fn, delayMs) => setTimeout(fn, delayMs),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>)
}

export interface RetrySchedulerOptions<T> {
  clock: DlqClock
  concurrency: number
  nextDueAtMs: () => number | null
  /** Takes up to `limit` entries due at `nowMs` and marks them in flight before returning. */
  takeDue: (nowMs: number, limit: number) => T[]
  run: (item: T) => Promise<void>
  onError: (cause: unknown) => void
}

// setTimeout's delay is a signed 32-bit int; a longer wait would fire at once.
const MAX_TIMER_MS = 2 ** 31 - 1
const ERROR_RETRY_MS = 5_000

export class RetryScheduler<T> {
  readonly #o: RetrySchedulerOptions<T>
  #timer: unknown = null
  #timerAtMs: number | null = null
  #inFlight = new Set<Promise<void>>()
  #running = false

  constructor(options: RetrySchedulerOptions<T>) {
    this.#o = options
  }

  get inFlight(): number {
    return this.#inFlight.size
  }

  /** When the single timer will fire next, or null if idle. */
  get timerAtMs(): number | null {
    return this.#timerAtMs
  }

  start(): void {
    this.#running = true
    this.poke()
  }

  /** Stops taking new work and waits for replays in flight. */
  async stop(): Promise<void> {
    this.#running = false
    this.#clear()
    await Promise.allSettled([...this.#inFlight])
  }

  /** Cheaper `poke` for a known new due time (no store read): re-arms only if it is earlier than the timer. */
  pokeAt(dueAtMs: number): void {
    if (!this.#running || this.#inFlight.size >= this.#o.concurrency) return
    if (this.#timer !== null && this.#timerAtMs !== null && this.#timerAtMs <= dueAtMs) return
    this.#arm(dueAtMs)
  }

  poke(): void {
    if (!this.#running) return
    if (this.#inFlight.size >= this.#o.concurrency) {
      this.#clear()
      return
    }
    let dueAt: number | null
    try {
      dueAt = this.#o.nextDueAtMs()
    } catch (cause) {
      this.#o.onError(cause)
      this.#arm(this.#o.clock.now() + ERROR_RETRY_MS)
      return
    }
    if (dueAt === null) {
      this.#clear()
      return
    }
    if (this.#timer !== null && this.#timerAtMs === dueAt) return
    this.#arm(dueAt)
  }

  #arm(dueAtMs: number): void {
    this.#clear()
    const delayMs = Math.min(MAX_TIMER_MS, Math.max(0, dueAtMs - this.#o.clock.now()))
    this.#timerAtMs = dueAtMs
    this.#timer = this.#o.clock.setTimer(() => this.#fire(), delayMs)
  }

  #clear(): void {
    if (this.#timer !== null) this.#o.clock.clearTimer(this.#timer)
    this.#timer = null
    this.#timerAtMs = null
  }

  #fire(): void {
    this.#timer = null
    this.#timerAtMs = null
    if (!this.#running) return
    let items: T[]
    try {
      items = this.#o.takeDue(this.#o.clock.now(), this.#o.concurrency - this.#inFlight.size)
    } catch (cause) {
      // A broken store must not turn the single timer into a busy loop: report, and look again in a while.
      this.#o.onError(cause)
      this.#arm(this.#o.clock.now() + ERROR_RETRY_MS)
      return
    }
    for (const item of items) {
      const job: Promise<void> = this.#o
        .run(item)
        .catch((cause: unknown) => this.#o.onError(cause))
        .finally(() => {
          this.#inFlight.delete(job)
          this.poke()
        })
      this.#inFlight.add(job)
    }
    this.poke()
  }
}
