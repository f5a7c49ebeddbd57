/**
 * Turns engine events into one incident timeline per platform: breaker transitions, dead-letter inflow,
 * restarts and kills on one time axis. Bounded: the oldest incidents fall off past `capacity`.
 */
import type { Incident } from '../../shared/panel.ts'
import type { EngineEvent } from './engine-port.ts'

export interface IncidentLogOptions {
  /** Incidents kept in total (default 1000). */
  capacity?: number
}

/** Maps one engine event to an incident, or null for events that are not incidents (samples, routine states). */
export function incidentOf(event: EngineEvent): Incident | null {
  switch (event.type) {
    case 'breaker': {
      const t = event.transition
      const title = `Breaker ${t.from} → ${t.to}${t.manual ? ' (manual)' : ''}`
      return { atMs: t.atMs, platform: event.platform, kind: 'breaker', title, detail: t.cause }
    }
    case 'exit': {
      const e = event.exit
      if (e.reason === 'stopped') return null
      const kind = e.reason === 'timeout' || e.reason === 'memory_limit' || e.reason === 'killed' ? 'kill' : 'exit'
      const label = kind === 'kill' ? `Killed (${e.reason.replace('_', ' ')})` : `Exited (${e.reason})`
      return { atMs: e.atMs, platform: event.platform, kind, title: `${label}: ${e.instanceId}`, detail: e.detail }
    }
    case 'instanceState':
      if (event.state !== 'restarting') return null
      return { atMs: event.atMs, platform: event.platform, kind: 'restart', title: `Restarting ${event.instanceId}`, detail: event.detail ?? '' }
    case 'dlqAdded': {
      const entry = event.entry
      return {
        atMs: entry.createdAtMs,
        platform: entry.platform ?? 'unrouted',
        kind: 'dlq',
        title: `Dead letter: ${entry.lastError?.code ?? 'unknown error'}`,
        detail: entry.lastError?.message ?? ''
      }
    }
    case 'sample':
      return null
  }
}

export class IncidentLog {
  readonly #capacity: number
  #all: Incident[] = []
  #fresh: Incident[] = []

  constructor(options: IncidentLogOptions = {}) {
    this.#capacity = options.capacity ?? 1000
  }

  record(event: EngineEvent): void {
    const incident = incidentOf(event)
    if (!incident) return
    this.#all.push(incident)
    this.#fresh.push(incident)
    if (this.#all.length > this.#capacity) this.#all.splice(0, this.#all.length - this.#capacity)
    if (this.#fresh.length > this.#capacity) this.#fresh.splice(0, this.#fresh.length - this.#capacity)
  }

  /** Every kept incident, oldest first. */
  all(): Incident[] {
    return [...this.#all]
  }

  /** Incidents recorded since the previous call. */
  drainFresh(): Incident[] {
    const fresh = this.#fresh
    this.#fresh = []
    return fresh
  }
}
