/**
 * Live engine state: metrics, breakers (from the router snapshot), plugins and their instances, processes,
 * DLQ counts, redrive jobs. Replaced on each batched update, keeping unchanged objects by identity.
 */
import type { DlqCounts } from '../../../shared/dlq.ts'
import type { PanelSnapshot, PanelUpdate, PlatformMetrics, PluginIsolation, ProcessView, RedriveJob, SpareLauncher } from '../../../shared/panel.ts'
import type { BreakerSnapshot, PluginSnapshot, RouterSnapshot } from '../../../shared/routing.ts'
import { reuse, reuseList, reuseRecord } from './history.ts'

export interface LiveState {
  atMs: number
  /** Platforms in display order (plugins first, then any the router knows). */
  platforms: string[]
  metrics: Record<string, PlatformMetrics>
  breakers: Record<string, BreakerSnapshot>
  plugins: Record<string, PluginSnapshot>
  loadErrors: PanelSnapshot['plugins']['loadErrors']
  processes: Record<string, ProcessView>
  dlqCounts: DlqCounts | null
  jobs: RedriveJob[]
  isolation: PluginIsolation[]
  /** As of the last snapshot (not per tick). */
  spares: SpareLauncher[]
  totals: RouterSnapshot['totals'] | null
}

export const initialLive: LiveState = {
  atMs: 0,
  platforms: [],
  metrics: {},
  breakers: {},
  plugins: {},
  loadErrors: [],
  processes: {},
  dlqCounts: null,
  jobs: [],
  isolation: [],
  spares: [],
  totals: null
}

/** A changed plugin keeps its unchanged instance objects, so only the rows that changed re-render. */
function shareInstances(prev: PluginSnapshot | undefined, next: PluginSnapshot): PluginSnapshot {
  if (!prev) return next
  const before = new Map(prev.instances.map((i) => [i.instanceId, i]))
  return { ...next, instances: next.instances.map((i) => reuse(before.get(i.instanceId), i)) }
}

/** Applies the live part of a snapshot or an update to the previous live state. */
export function applyLive(prev: LiveState, next: PanelSnapshot | PanelUpdate): LiveState {
  const platforms = [...new Set([...next.plugins.plugins.map((p) => p.platform), ...next.router.platforms.map((p) => p.platform)])]
  return {
    atMs: next.atMs,
    platforms: reuseList(prev.platforms, platforms),
    metrics: reuseRecord(prev.metrics, next.metrics, (m) => m.platform),
    breakers: reuseRecord(prev.breakers, next.router.platforms.map((p) => p.breaker), (b) => b.platform),
    plugins: reuseRecord(prev.plugins, next.plugins.plugins.map((p) => shareInstances(prev.plugins[p.platform], p)), (p) => p.platform),
    loadErrors: reuseList(prev.loadErrors, next.plugins.loadErrors),
    processes: reuseRecord(prev.processes, next.processes, (p) => p.instanceId),
    dlqCounts: reuse(prev.dlqCounts ?? undefined, next.dlqCounts),
    jobs: reuseList(prev.jobs, next.jobs),
    isolation: 'isolation' in next ? reuseList(prev.isolation, next.isolation) : prev.isolation,
    spares: 'spares' in next ? reuseList(prev.spares, next.spares) : prev.spares,
    totals: reuse(prev.totals ?? undefined, next.router.totals)
  }
}
