/**
 * In-memory counters behind the router's live snapshot: plain numbers updated on the request path, so the
 * panel can poll once a second without scraping prom-client (whose reads are async and format text).
 */
import type { BreakerState, OutcomeCounts, RouterSnapshot } from '../../../shared/routing.ts'
import type { PlatformBreaker } from './circuit-breaker.ts'
import type { CompiledRule } from './rules.ts'

function zero(): OutcomeCounts {
  return { ok: 0, failed: 0, rejected: 0, dlqHandOffs: 0 }
}

export class RouterStats {
  private readonly totals = zero()
  private readonly byPlatform = new Map<string, OutcomeCounts>()
  private readonly routed = new Map<string, number>()
  private readonly ruleHits = new Map<string, number>()
  private readonly instancesByPlatform = new Map<string, Set<string>>()
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
  finished(platform: string, outcome: 'ok' | 'failed', handedOff: boolean): void {
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

  private platform(platform: string): OutcomeCounts {
    let counts = this.byPlatform.get(platform)
    if (counts === undefined) {
      counts = zero()
      this.byPlatform.set(platform, counts)
    }
    return counts
  }
}
