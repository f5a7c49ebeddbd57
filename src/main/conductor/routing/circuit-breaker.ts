/**
 * A platform's circuit breaker: cockatiel's `CircuitBreakerPolicy` wrapped with what an operator needs.
 *
 * Why cockatiel rather than opossum: cockatiel is typed, dependency-free, treats a *returned* value as a
 * failure (`orWhenResult`), so sandbox outcomes stay data instead of being turned into exceptions, and takes a
 * pluggable trip condition (`IBreaker`, here `FailureWindow`). opossum wraps a function per breaker, owns its
 * own timeout and counts through a rolling-stats emitter that is harder to read back.
 *
 * Added on top: state and since when, failure rate vs threshold over an explicit window, last cause, the last
 * N transitions with time and cause, next half-open probe time and the probe's result, manual force-open and
 * reset with a recorded reason, a `transition` event on every change, and fail-fast while a probe is in
 * flight (cockatiel would queue those calls behind the probe).
 *
 * Time: cockatiel reads `Date.now()` for the open → half-open delay, so this wrapper reads `Date.now()` too;
 * tests control both with `vi.useFakeTimers()` / `vi.setSystemTime()`.
 */
import { EventEmitter } from 'node:events'
import { BrokenCircuitError, CircuitState, IsolatedCircuitError, circuitBreaker, handleAll, type CircuitBreakerPolicy } from 'cockatiel'
import type { ConductorError } from '../../../shared/errors.ts'
import type { BreakerSnapshot, BreakerState, BreakerTransition } from '../../../shared/routing.ts'
import { FailureWindow } from './failure-window.ts'
import type { BreakerConfig } from './router-config.ts'

/** What a guarded call returns: success or failure is decided from the value, never from a throw. */
export interface GuardedOutcome {
  ok: boolean
  /** Short cause of a failure, e.g. `PLUGIN_TIMEOUT: exceeded 5000 ms`. */
  cause?: string
}

export interface BreakerEvents {
  transition: [BreakerTransition & { platform: string }]
}

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'forced-open'
}

export class PlatformBreaker extends EventEmitter<BreakerEvents> {
  readonly platform: string
  private readonly config: BreakerConfig
  private readonly window: FailureWindow
  private readonly policy: CircuitBreakerPolicy
  private current: BreakerState = 'closed'
  private sinceMs = Date.now()
  private openedAtMs: number | null = null
  private pendingCause: string | null = null
  private pendingManual = false
  private silent = false
  private isolation: { dispose(): void } | null = null
  private lastFailure: { atMs: number; cause: string } | null = null
  private lastProbe: { atMs: number; ok: boolean; cause: string | null } | null = null
  private readonly transitions: BreakerTransition[] = []

  constructor(platform: string, config: BreakerConfig) {
    super()
    this.platform = platform
    this.config = config
    this.window = new FailureWindow(config)
    this.policy = circuitBreaker(handleAll.orWhenResult((r) => !(r as GuardedOutcome).ok), {
      halfOpenAfter: config.resetTimeoutMs,
      breaker: this.window
    })
    this.policy.onStateChange((state) => this.onStateChange(STATE_NAMES[state]))
  }

  get state(): BreakerState {
    return this.current
  }

  /** When an open breaker lets its next probe through; null unless open. */
  nextProbeAtMs(): number | null {
    return this.current === 'open' && this.openedAtMs !== null ? this.openedAtMs + this.config.resetTimeoutMs : null
  }

  /** Side-effect free: null when a call would be let through now, else the `CIRCUIT_OPEN` error. */
  check(): Extract<ConductorError, { code: 'CIRCUIT_OPEN' }> | null {
    const nextProbe = this.nextProbeAtMs()
    switch (this.current) {
      case 'closed':
        return null
      case 'open':
        if (nextProbe !== null && Date.now() >= nextProbe) return null
        return { code: 'CIRCUIT_OPEN', message: `circuit for ${this.platform} is open: ${this.lastFailure?.cause ?? 'failures'}`, platform: this.platform, retryAtMs: nextProbe ?? undefined }
      case 'half-open':
        return { code: 'CIRCUIT_OPEN', message: `circuit for ${this.platform} is half-open: a probe is in flight`, platform: this.platform, retryAtMs: Date.now() + this.config.resetTimeoutMs }
      case 'forced-open':
        return { code: 'CIRCUIT_OPEN', message: `circuit for ${this.platform} was forced open by an operator`, platform: this.platform }
    }
  }

  /** Runs `fn` through the breaker; rejects fast (without calling `fn`) when open or while a probe is in flight. */
  async run<T extends GuardedOutcome>(fn: () => Promise<T>): Promise<{ rejected: false; value: T } | { rejected: true; error: ConductorError }> {
    const blocked = this.check()
    if (blocked !== null) return { rejected: true, error: blocked }
    const probing = this.current === 'open'
    try {
      const value = await this.policy.execute(() => fn())
      if (!value.ok) this.lastFailure = { atMs: Date.now(), cause: value.cause ?? 'failed' }
      if (probing) this.lastProbe = { atMs: Date.now(), ok: value.ok, cause: value.ok ? null : (value.cause ?? 'failed') }
      return { rejected: false, value }
    } catch (cause) {
      if (cause instanceof BrokenCircuitError || cause instanceof IsolatedCircuitError) {
        return { rejected: true, error: this.check() ?? { code: 'CIRCUIT_OPEN', message: cause.message, platform: this.platform } }
      }
      throw cause
    }
  }

  /** Holds the breaker open until `reset`; the reason is recorded in the transition. */
  forceOpen(reason: string): void {
    if (this.current === 'forced-open') return
    this.pendingCause = `forced open by operator: ${reason}`
    this.pendingManual = true
    this.isolation = this.policy.isolate()
  }

  /** Closes the breaker (from any state) and clears its counters; the reason is recorded. */
  reset(reason: string): void {
    if (this.current === 'closed') return
    if (this.isolation === null) {
      // cockatiel has no reset for an automatically opened circuit: isolate then release, silently in between.
      this.silent = true
      this.isolation = this.policy.isolate()
      this.silent = false
    }
    this.window.clear()
    this.pendingCause = `reset by operator: ${reason}`
    this.pendingManual = true
    const handle = this.isolation
    this.isolation = null
    handle.dispose()
  }

  snapshot(): BreakerSnapshot {
    const { calls, failures } = this.window.totals()
    return {
      platform: this.platform,
      state: this.current,
      sinceMs: this.sinceMs,
      consecutiveFailures: this.window.consecutiveFailures,
      consecutiveThreshold: this.config.consecutiveFailures,
      failureRate: calls >= this.config.minimumCalls ? failures / calls : null,
      failureRateThreshold: this.config.failureRateThreshold,
      windowMs: this.config.windowMs,
      callsInWindow: calls,
      minimumCalls: this.config.minimumCalls,
      lastFailure: this.lastFailure,
      nextProbeAtMs: this.nextProbeAtMs(),
      lastProbe: this.lastProbe,
      transitions: [...this.transitions]
    }
  }

  private onStateChange(to: BreakerState): void {
    // The isolate-then-release inside `reset` is one operator action: only its final transition is shown.
    if (this.silent) return
    const from = this.current
    const atMs = Date.now()
    let cause = this.pendingCause
    if (cause === null) {
      if (to === 'open') cause = `${this.window.tripReason}; last: ${this.lastFailureCause()}`
      else if (to === 'half-open') cause = `reset timeout of ${this.config.resetTimeoutMs} ms elapsed; letting one probe through`
      else if (to === 'closed') cause = 'half-open probe succeeded'
      else cause = 'isolated'
    }
    const transition: BreakerTransition = { from, to, atMs, cause, manual: this.pendingManual }
    this.pendingCause = null
    this.pendingManual = false
    this.current = to
    this.sinceMs = atMs
    this.openedAtMs = to === 'open' ? atMs : null
    this.transitions.push(transition)
    if (this.transitions.length > this.config.transitionsKept) this.transitions.shift()
    this.emit('transition', { platform: this.platform, ...transition })
  }

  /** cockatiel records the failing value before it trips; read the cause from it. */
  private lastFailureCause(): string {
    const failure = this.policy.lastFailure
    if (failure === undefined) return 'unknown'
    if ('value' in failure) return (failure.value as GuardedOutcome).cause ?? 'failed'
    return failure.error instanceof Error ? failure.error.message : String(failure.error)
  }
}
