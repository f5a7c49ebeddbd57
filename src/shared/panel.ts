/**
 * What only the control panel needs beyond the router's (`routing.ts`), the queue's (`dlq.ts`) and the
 * sandbox's (`sandbox.ts`) own shapes: rates and latencies, process views, redrive jobs, test-route results,
 * incidents, and the snapshot / batched update that carry it all. Additive changes only.
 */
import { z } from 'zod'
import { DlqCountsSchema } from './dlq.ts'
import { ConductorErrorSchema } from './errors.ts'
import { PluginsSnapshotSchema, RouteDecisionSchema, RouteResponseSchema, RouterSnapshotSchema } from './routing.ts'
import { InstanceStateSchema, IsolationLayerSchema, ResourceSampleSchema, SandboxExitSchema } from './sandbox.ts'

/** Request metrics of one platform over the last metrics window (rates per second, latencies in ms). */
export const PlatformMetricsSchema = z.object({
  platform: z.string(),
  requestsPerSec: z.number(),
  errorsPerSec: z.number(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
  inFlight: z.number().int(),
  /** Requests waiting because every instance is at its in-flight limit. */
  queued: z.number().int()
})
export type PlatformMetrics = z.infer<typeof PlatformMetricsSchema>

/** One sandbox process as the runner sees it (the plugin manager's instance snapshot says the rest). */
export const ProcessViewSchema = z.object({
  instanceId: z.string(),
  platform: z.string(),
  pid: z.number().nullable(),
  state: InstanceStateSchema,
  /** The RSS budget of the process tree, for the cap line on the memory graph. */
  memoryCapBytes: z.number()
})
export type ProcessView = z.infer<typeof ProcessViewSchema>

/** The isolation layers one plugin's sandboxes enforce, with evidence (from the runner's instance info). */
export const PluginIsolationSchema = z.object({
  plugin: z.string(),
  platform: z.string(),
  layers: z.array(IsolationLayerSchema)
})
export type PluginIsolation = z.infer<typeof PluginIsolationSchema>

/**
 * A launcher the hardened host keeps started ahead of time: `chain` (namespaces entered, cgroup joined, a
 * shell waiting), `rooted` (also inside a plugin's private root), `landlock` (a Node launcher waiting).
 */
export const SpareLauncherSchema = z.object({
  pid: z.number().nullable(),
  kind: z.enum(['chain', 'rooted', 'landlock']),
  /** Resident memory of its process tree when the snapshot was taken; null when it could not be read. */
  rssBytes: z.number().nullable()
})
export type SpareLauncher = z.infer<typeof SpareLauncherSchema>

/** What a retry or discard of explicit ids did, per id. */
export const DlqIdsResultSchema = z.object({
  done: z.array(z.string()),
  failed: z.array(z.object({ id: z.string(), error: ConductorErrorSchema }))
})
export type DlqIdsResult = z.infer<typeof DlqIdsResultSchema>

/** A redrive the panel started: a canary retry of a group, or a retry that waits for a healthy breaker. */
export const RedriveJobSchema = z.object({
  jobId: z.string(),
  kind: z.enum(['canary', 'when-healthy']),
  platform: z.string().nullable(),
  signature: z.string().nullable(),
  status: z.enum(['waiting', 'canary', 'running', 'paused', 'done', 'aborted']),
  /** Why it is in this status, in words. */
  detail: z.string(),
  total: z.number().int(),
  retried: z.number().int(),
  createdAtMs: z.number(),
  /**
   * Whether the job outlives a restart of the engine host. Jobs are held in memory today (false): a restart
   * stops them; entries not yet retried simply stay in the queue. Absent = unknown (older hosts).
   */
  survivesRestart: z.boolean().optional()
})
export type RedriveJob = z.infer<typeof RedriveJobSchema>

/** What "where would it go" / "send it" answered. A rejected request is data here, so the form shows it. */
export const TestRouteResultSchema = z.object({
  executed: z.boolean(),
  /** determineRoute's answer (always computed first). */
  decision: RouteDecisionSchema,
  /** routeRequest's answer, when executed. */
  response: RouteResponseSchema.nullable(),
  /** Wall time of determineRoute and of the whole call, ms. */
  routeMs: z.number(),
  totalMs: z.number()
})
export type TestRouteResult = z.infer<typeof TestRouteResultSchema>

export const IncidentSchema = z.object({
  atMs: z.number(),
  platform: z.string(),
  kind: z.enum(['breaker', 'dlq', 'restart', 'kill', 'exit']),
  title: z.string(),
  detail: z.string()
})
export type Incident = z.infer<typeof IncidentSchema>

const liveFields = {
  atMs: z.number(),
  metrics: z.array(PlatformMetricsSchema),
  /** Breakers are in `router.platforms[].breaker`. */
  router: RouterSnapshotSchema,
  plugins: PluginsSnapshotSchema,
  processes: z.array(ProcessViewSchema),
  dlqCounts: DlqCountsSchema,
  jobs: z.array(RedriveJobSchema)
}

/** Everything the panel needs at start. */
export const PanelSnapshotSchema = z.object({
  ...liveFields,
  isolation: z.array(PluginIsolationSchema),
  /** Idle launchers kept for fast starts (their memory is the price). */
  spares: z.array(SpareLauncherSchema),
  /** Recent resource samples, oldest first (bounded by the server). */
  samples: z.array(ResourceSampleSchema),
  exits: z.array(SandboxExitSchema),
  incidents: z.array(IncidentSchema)
})
export type PanelSnapshot = z.infer<typeof PanelSnapshotSchema>

/** One batched update: live state now, plus what happened since the previous tick. */
export const PanelUpdateSchema = z.object({
  ...liveFields,
  /** Increments by one per tick; a gap tells the client it missed an update. */
  seq: z.number().int(),
  samples: z.array(ResourceSampleSchema),
  exits: z.array(SandboxExitSchema),
  incidents: z.array(IncidentSchema)
})
export type PanelUpdate = z.infer<typeof PanelUpdateSchema>
