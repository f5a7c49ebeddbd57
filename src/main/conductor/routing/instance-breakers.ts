/**
 * Per-instance breakers, beside the platform breaker: one broken instance among healthy ones never trips the
 * platform (its failures are interleaved with the others' successes), so without these it would keep getting
 * its share of traffic. An instance whose breaker is open is skipped by the balancer until its probe time.
 */
import { EventEmitter } from 'node:events'
import type { BreakerState, BreakerTransition } from '../../../shared/routing.ts'
import { PlatformBreaker } from './circuit-breaker.ts'
import type { BreakerConfig } from './router-config.ts'

export interface InstanceBreakerEvents {
  transition: [BreakerTransition & { platform: string; instanceId: string }]
}

export class InstanceBreakers extends EventEmitter<InstanceBreakerEvents> {
  private readonly config: BreakerConfig
  private readonly breakers = new Map<string, PlatformBreaker>()

  constructor(config: BreakerConfig) {
    super()
    this.config = config
  }

  /** The breaker of an instance (created on first use). */
  get(platform: string, instanceId: string): PlatformBreaker {
    let breaker = this.breakers.get(instanceId)
    if (breaker === undefined) {
      breaker = new PlatformBreaker(instanceId, this.config)
      breaker.on('transition', ({ platform: _name, ...transition }) => this.emit('transition', { platform, instanceId, ...transition }))
      this.breakers.set(instanceId, breaker)
    }
    return breaker
  }

  /** False while the instance's breaker would reject a call (open before its probe time, half-open, forced). */
  usable(instanceId: string): boolean {
    const breaker = this.breakers.get(instanceId)
    return breaker === undefined || breaker.check() === null
  }

  /** The earliest probe time among these instances' open breakers, or null. */
  earliestProbeAtMs(instanceIds: readonly string[]): number | null {
    let earliest: number | null = null
    for (const id of instanceIds) {
      const at = this.breakers.get(id)?.nextProbeAtMs() ?? null
      if (at !== null && (earliest === null || at < earliest)) earliest = at
    }
    return earliest
  }

  /** Closes an instance's breaker (no-op when it has none or it is closed). */
  reset(instanceId: string, reason: string): void {
    this.breakers.get(instanceId)?.reset(reason)
  }

  state(instanceId: string): BreakerState {
    return this.breakers.get(instanceId)?.state ?? 'closed'
  }
}
