/**
 * In-memory counters behind the router's live snapshot: plain numbers updated on the request path, so the
 * panel can poll once a second without scraping prom-client (whose reads are async and format text).
 */
import type { PlatformMetrics } from '../../../shared/panel.ts'
import type { BreakerState, OutcomeCounts, RouterSnapshot } from '../../../shared/routing.ts'
import type { PlatformBreaker } from './circuit-breaker.ts'
import type { CompiledRule } from './rules.ts'

/** Completions kept per platform for rates and percentiles (a ring; older ones fall out). */
const RECENT_CAPACITY = 4_096

interface Recent {
  atMs: Float64Array
  durationMs: Float64Array
  ok: Uint8Array
  next: number
  size: number
}

function zero(): OutcomeCounts {
  return { ok: 0, failed: 0, rejected: 0, dlqHandOffs: 0 }
}

export class RouterStats {
  private readonly totals = zero()
  private readonly byPlatform = new Map<string, OutcomeCounts>()
  private readonly routed = new Map<string, number>()
  private readonly ruleHits = new Map<string, number>()
  private readonly instancesByPlatform = new Map<string, Set<string>>()
  private readonly recent = new Map<string, Recent>()
  private readonly rules: readonly CompiledRule[]

  constructor(rules: readonly CompiledRule[]) {
    this.rules = rules
  }

  ruleHit(ruleId: string): void {
    this.ruleHits.set(ruleId, (this.ruleHits.get(ruleId) ?? 0) + 1)
  }

  /** Records that a request was executed on this instance. */
  routedTo(platform: string, instanceId: string): void {
    this.routed.set(instanceId, (this.routed.get(instanceId) ?? 0) + 1)
    let ids = this.instancesByPlatform.get(platform)
    if (ids === undefined) {
      ids = new Set()
      this.instancesByPlatform.set(platform, ids)
    }
    ids.add(instanceId)
  }

  /** A request refused before execution (invalid, no route). */
  rejected(platform: string | null): void {
    this.totals.rejected++
    if (platform !== null) this.platform(platform).rejected++
  }

  /** One platform's part of a request ended; `handedOff` when its failure reached the dead-letter queue. */
  finished(platform: string, outcome: 'ok' | 'failed', handedOff: boolean, durationMs = 0, atMs = Date.now()): void {
    let recent = this.recent.get(platform)
    if (recent === undefined) {
      recent = { atMs: new Float64Array(RECENT_CAPACITY), durationMs: new Float64Array(RECENT_CAPACITY), ok: new Uint8Array(RECENT_CAPACITY), next: 0, size: 0 }
      this.recent.set(platform, recent)
    }
    recent.atMs[recent.next] = atMs
    recent.durationMs[recent.next] = durationMs
    recent.ok[recent.next] = outcome === 'ok' ? 1 : 0
    recent.next = (recent.next + 1) % RECENT_CAPACITY
    recent.size = Math.min(RECENT_CAPACITY, recent.size + 1)
    const counts = this.platform(platform)
    counts[outcome]++
    this.totals[outcome]++
    if (handedOff) {
      counts.dlqHandOffs++
      this.totals.dlqHandOffs++
    }
  }

  snapshot(strategy: string, breakers: PlatformBreaker[], inFlight: ReadonlyMap<string, number>, instanceBreaker: (instanceId: string) => BreakerState): RouterSnapshot {
    let total = 0
    for (const n of inFlight.values()) total += n
    const platforms = breakers.map((breaker) => {
      const ids = this.instancesByPlatform.get(breaker.platform) ?? new Set<string>()
      return {
        platform: breaker.platform,
        counts: { ...(this.byPlatform.get(breaker.platform) ?? zero()) },
        breaker: breaker.snapshot(),
        instances: [...ids].sort().map((instanceId) => ({
          instanceId,
          inFlight: inFlight.get(instanceId) ?? 0,
          routed: this.routed.get(instanceId) ?? 0,
          breaker: instanceBreaker(instanceId)
        }))
      }
    })
    return {
      atMs: Date.now(),
      strategy,
      totals: { ...this.totals },
      inFlight: total,
      platforms,
      rules: this.rules.map((rule) => ({ id: rule.id, platforms: rule.platforms, source: rule.source, hits: this.ruleHits.get(rule.id) ?? 0 }))
    }
  }

  /**
   * Rates and latency percentiles per platform over the last `windowMs` (from the last 4,096 completions per
   * platform, so at very high rates the effective window is shorter and the rate is computed over it).
   * `known` platforms without a completion yet are listed too, at zero: no traffic is a fact, not a gap.
   */
  platformMetrics(loadOf: (platform: string) => { inFlight: number; queued: number }, windowMs = 10_000, nowMs = Date.now(), known: Iterable<string> = []): PlatformMetrics[] {
    const out: PlatformMetrics[] = []
    for (const platform of known) {
      if (!this.recent.has(platform)) out.push({ platform, requestsPerSec: 0, errorsPerSec: 0, p50Ms: null, p95Ms: null, ...loadOf(platform) })
    }
    for (const [platform, recent] of this.recent) {
      const since = nowMs - windowMs
      const durations: number[] = []
      let errors = 0
      let oldest = nowMs
      for (let i = 0; i < recent.size; i++) {
        const at = recent.atMs[i] as number
        if (at <= since) continue
        durations.push(recent.durationMs[i] as number)
        if (recent.ok[i] === 0) errors++
        if (at < oldest) oldest = at
      }
      const spanMs = recent.size === RECENT_CAPACITY && durations.length === RECENT_CAPACITY ? Math.max(1, nowMs - oldest) : windowMs
      durations.sort((a, b) => a - b)
      const pick = (p: number) => (durations.length === 0 ? null : (durations[Math.min(durations.length - 1, Math.floor(durations.length * p))] as number))
      out.push({
        platform,
        requestsPerSec: (durations.length * 1_000) / spanMs,
        errorsPerSec: (errors * 1_000) / spanMs,
        p50Ms: pick(0.5),
        p95Ms: pick(0.95),
        ...loadOf(platform)
      })
    }
    return out
  }

  private platform(platform: string): OutcomeCounts {
    let counts = this.byPlatform.get(platform)
    if (counts === undefined) {
      counts = zero()
      this.byPlatform.set(platform, counts)
    }
    return counts
  }
}
