/**
 * The trip condition of a platform breaker, as a cockatiel `IBreaker`: open after N consecutive failures, or
 * when the failure rate over an explicit sliding window (10 buckets) exceeds a threshold once enough calls
 * were seen. Unlike cockatiel's own breakers it exposes the numbers an operator needs (rate, window, calls)
 * and says in words why it tripped.
 */
import { CircuitState, type IBreaker } from 'cockatiel'
import type { BreakerConfig } from './router-config.ts'

const BUCKETS = 10

interface Bucket {
  startMs: number
  calls: number
  failures: number
}

export class FailureWindow implements IBreaker {
  consecutiveFailures = 0
  /** Why the last `failure()` that returned true tripped the breaker. */
  tripReason = ''
  private readonly buckets: Bucket[] = Array.from({ length: BUCKETS }, () => ({ startMs: 0, calls: 0, failures: 0 }))
  private readonly bucketMs: number
  private readonly config: BreakerConfig
  private readonly now: () => number

  constructor(config: BreakerConfig, now: () => number = Date.now) {
    this.config = config
    this.now = now
    this.bucketMs = Math.max(1, Math.ceil(config.windowMs / BUCKETS))
  }

  /** Serialisable state (cockatiel's `toJSON` contract). */
  get state(): unknown {
    return { consecutiveFailures: this.consecutiveFailures, buckets: this.buckets.map((b) => ({ ...b })) }
  }

  set state(value: unknown) {
    const v = value as { consecutiveFailures?: number } | null
    this.consecutiveFailures = v?.consecutiveFailures ?? 0
  }

  success(state: CircuitState): void {
    this.consecutiveFailures = 0
    if (state === CircuitState.HalfOpen) this.clear()
    this.bucket().calls++
  }

  failure(state: CircuitState): boolean {
    this.consecutiveFailures++
    const bucket = this.bucket()
    bucket.calls++
    bucket.failures++
    if (state !== CircuitState.Closed) {
      this.tripReason = 'half-open probe failed'
      return true
    }
    if (this.consecutiveFailures >= this.config.consecutiveFailures) {
      this.tripReason = `${this.consecutiveFailures} consecutive failures (threshold ${this.config.consecutiveFailures})`
      return true
    }
    const { calls, failures } = this.totals()
    if (calls >= this.config.minimumCalls && failures / calls > this.config.failureRateThreshold) {
      const pct = Math.round((failures / calls) * 100)
      this.tripReason = `failure rate ${pct}% over ${this.config.windowMs} ms (${failures}/${calls}) exceeds ${Math.round(this.config.failureRateThreshold * 100)}%`
      return true
    }
    return false
  }

  /** Calls and failures inside the window ending now. */
  totals(): { calls: number; failures: number } {
    const since = this.now() - this.config.windowMs
    let calls = 0
    let failures = 0
    for (const bucket of this.buckets) {
      if (bucket.startMs > since) {
        calls += bucket.calls
        failures += bucket.failures
      }
    }
    return { calls, failures }
  }

  clear(): void {
    this.consecutiveFailures = 0
    for (const bucket of this.buckets) {
      bucket.startMs = 0
      bucket.calls = 0
      bucket.failures = 0
    }
  }

  private bucket(): Bucket {
    const now = this.now()
    const start = now - (now % this.bucketMs)
    const index = Math.floor(now / this.bucketMs) % BUCKETS
    const bucket = this.buckets[index] as Bucket
    if (bucket.startMs !== start) {
      bucket.startMs = start
      bucket.calls = 0
      bucket.failures = 0
    }
    return bucket
  }
}
