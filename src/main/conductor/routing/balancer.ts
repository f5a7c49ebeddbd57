/**
 * Picks an instance of a platform: round-robin (default), least-outstanding-requests, or affinity by a
 * metadata key (a Discord channel or an Android device stays on one instance while it is usable). Callers
 * pass only usable instances (ready, healthy); `peek` answers without changing any state, `pick` commits.
 * A candidate marked `full` (at its in-flight limit) is never chosen; an affinity key whose instance is full
 * goes elsewhere for this request only and stays bound to its instance.
 */
import type { BalancingConfig } from './router-config.ts'

export interface Candidate {
  instanceId: string
  /** Requests the router currently has in flight on this instance. */
  inFlight: number
  /** At its in-flight limit: usable, but takes nothing more now. */
  full?: boolean
}

export class Balancer {
  readonly strategy: BalancingConfig['strategy']
  private readonly affinityKey: string
  private readonly cursors = new Map<string, number>()
  private readonly affinity = new Map<string, string>()

  constructor(config: BalancingConfig) {
    this.strategy = config.strategy
    this.affinityKey = config.affinityKey
  }

  /** The instance `pick` would choose now, without advancing anything. */
  peek(platform: string, candidates: readonly Candidate[], metadata: Record<string, unknown>): string | null {
    return this.choose(platform, candidates, metadata, false)
  }

  /** Chooses an instance and records the choice (round-robin cursor, affinity binding). */
  pick(platform: string, candidates: readonly Candidate[], metadata: Record<string, unknown>): string | null {
    return this.choose(platform, candidates, metadata, true)
  }

  /** Current affinity bindings (key → instance) of a platform, for tests and the panel. */
  bindings(platform: string): Record<string, string> {
    const out: Record<string, string> = {}
    const prefix = `${platform}\u0000`
    for (const [key, instanceId] of this.affinity) if (key.startsWith(prefix)) out[key.slice(prefix.length)] = instanceId
    return out
  }

  private choose(platform: string, usable: readonly Candidate[], metadata: Record<string, unknown>, commit: boolean): string | null {
    const candidates = usable.some((c) => c.full) ? usable.filter((c) => !c.full) : usable
    if (candidates.length === 0) return null
    switch (this.strategy) {
      case 'least-outstanding':
        return leastOutstanding(candidates, this.cursors.get(platform) ?? 0, (next) => commit && this.cursors.set(platform, next))
      case 'affinity': {
        const raw = metadata[this.affinityKey]
        if (typeof raw === 'string' || typeof raw === 'number') {
          const key = `${platform}\u0000${String(raw)}`
          const bound = this.affinity.get(key)
          if (bound !== undefined && candidates.some((c) => c.instanceId === bound)) return bound
          const chosen = leastOutstanding(candidates, this.cursors.get(platform) ?? 0, (next) => commit && this.cursors.set(platform, next))
          // Bound to a usable instance that is only busy: spill this request, keep the binding.
          const busy = bound !== undefined && usable.some((c) => c.instanceId === bound)
          if (commit && !busy) this.affinity.set(key, chosen)
          return chosen
        }
        return this.roundRobin(platform, candidates, commit)
      }
      case 'round-robin':
        return this.roundRobin(platform, candidates, commit)
    }
  }

  private roundRobin(platform: string, candidates: readonly Candidate[], commit: boolean): string {
    const cursor = this.cursors.get(platform) ?? 0
    if (commit) this.cursors.set(platform, (cursor + 1) % 1_000_000_007)
    return (candidates[cursor % candidates.length] as Candidate).instanceId
  }
}

/** Fewest in-flight requests; ties rotate (so equal load still spreads) starting from `cursor`. */
function leastOutstanding(candidates: readonly Candidate[], cursor: number, advance: (next: number) => unknown): string {
  let best: Candidate | null = null
  for (let i = 0; i < candidates.length; i++) {
    const candidate = candidates[(cursor + i) % candidates.length] as Candidate
    if (best === null || candidate.inFlight < best.inFlight) best = candidate
  }
  advance(cursor + 1)
  return (best as Candidate).instanceId
}
