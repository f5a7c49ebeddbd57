/**
 * What the panel transport needs from the engine. The lead's `src/main/engine.ts` implements this over the
 * runner, plugin manager, router and dead-letter queue; the transport depends on nothing else, so both
 * transports and every test run against a fake of it. Expected failures are `Result` data, never throws.
 */
import type {
  DlqBulkAction,
  DlqBulkPreview,
  DlqBulkResult,
  DlqCounts,
  DlqEntry,
  DlqEntryDetail,
  DlqErrorGroup,
  DlqFilter,
  DlqPage,
  DlqPageRequest
} from '../../shared/dlq.ts'
import type { ConductorError } from '../../shared/errors.ts'
import type { DlqIdsResult, PlatformMetrics, PluginIsolation, ProcessView, SpareLauncher, TestRouteResult } from '../../shared/panel.ts'
import type { Result } from '../../shared/result.ts'
import type { BreakerSnapshot, BreakerTransition, InstanceSnapshot, PluginsSnapshot, RouterSnapshot } from '../../shared/routing.ts'
import type { ResourceSample, SandboxExit } from '../../shared/sandbox.ts'

/** Live state read once per tick; must be cheap (no I/O beyond the DLQ's cached counts). */
export interface EngineLiveState {
  /** Rates and latencies per platform (from the routing metrics). */
  metrics: PlatformMetrics[]
  /** `router.snapshot()`: breakers, counts, rules. */
  router: RouterSnapshot
  /** The plugin manager's snapshot: plugins, their instances, load errors. */
  plugins: PluginsSnapshot
  /** `runner.instances()`, mapped. */
  processes: ProcessView[]
  dlqCounts: DlqCounts
}

/** Things that happened; the transport batches them into the next tick and the incident timeline. */
export type EngineEvent =
  | { type: 'sample'; sample: ResourceSample }
  | { type: 'exit'; platform: string; exit: SandboxExit }
  | { type: 'breaker'; platform: string; transition: BreakerTransition }
  | { type: 'instanceState'; platform: string; instanceId: string; state: InstanceSnapshot['state']; atMs: number; detail?: string }
  | { type: 'dlqAdded'; entry: DlqEntry }

export interface EngineDlqPort {
  list(request: DlqPageRequest): Promise<Result<DlqPage, ConductorError>>
  /** A read: never counts as an attempt. */
  get(id: string): Promise<Result<DlqEntryDetail, ConductorError>>
  /** Schedules an immediate retry of each entry (a dead entry starts a fresh attempt count). */
  retry(ids: string[]): Promise<Result<DlqIdsResult, ConductorError>>
  discard(ids: string[], reason: string): Promise<Result<DlqIdsResult, ConductorError>>
  undoDiscard(ids: string[], reason?: string): Promise<Result<DlqIdsResult, ConductorError>>
  /** Keeps the original request; the next retry sends the edited one. */
  editPayload(id: string, request: Record<string, unknown>, reason?: string): Promise<Result<DlqEntry, ConductorError>>
  bulkPreview(filter: DlqFilter, action: DlqBulkAction): Promise<Result<DlqBulkPreview, ConductorError>>
  bulkApply(token: string, reason?: string): Promise<Result<DlqBulkResult, ConductorError>>
  groups(): Promise<Result<DlqErrorGroup[], ConductorError>>
}

export interface EnginePort {
  live(): EngineLiveState
  /** Isolation layers per plugin, with evidence (static between restarts). */
  isolation(): PluginIsolation[]
  /** Launchers kept started ahead of time, with their memory (reads /proc: snapshot only, not per tick). */
  spares(): SpareLauncher[]
  /** Recent samples still in the runner's ring buffer, oldest first. */
  recentSamples(): ResourceSample[]
  /** Recent exits (kills, crashes), oldest first. */
  recentExits(): SandboxExit[]
  /** Registers a listener for engine events; returns the unsubscribe function. */
  subscribe(listener: (event: EngineEvent) => void): () => void
  /**
   * `execute: false` = determineRoute, `true` = routeRequest. A rejected or failed request is a result with
   * `error` set, not a failed call.
   */
  testRoute(request: unknown, execute: boolean): Promise<TestRouteResult>
  dlq: EngineDlqPort
  restartInstance(instanceId: string): Promise<Result<{ instanceId: string }, ConductorError>>
  resetBreaker(platform: string, reason: string): Result<BreakerSnapshot, ConductorError>
  forceOpenBreaker(platform: string, reason: string): Result<BreakerSnapshot, ConductorError>
  /** Wall clock in epoch ms (injectable in tests). */
  now(): number
}
