/**
 * The router's part of the shared contract: the request a caller sends (with its limits), the route decision,
 * circuit-breaker snapshots and transitions, the aggregated (fan-out) response and the live snapshot the panel
 * polls. The sanitizing validator itself lives in `src/main/conductor/routing/validate-request.ts`; these
 * schemas describe shapes. Additive changes only.
 */
import { z } from 'zod'
import { ConductorErrorSchema } from './errors.ts'

/** Size limits of an incoming request; every field has a default and is configurable (router config). */
export const RequestLimitsSchema = z.object({
  /** Max characters of `content` after sanitization. */
  contentMaxChars: z.number().int().min(1).default(16_384),
  /** Max UTF-8 bytes of the whole request serialised as JSON. */
  payloadMaxBytes: z.number().int().min(64).default(64 * 1024),
  /** Max nesting depth of `metadata` (a flat object is depth 1). */
  metadataMaxDepth: z.number().int().min(1).max(64).default(8),
  /** Max keys (all levels together) and array items in `metadata`. */
  metadataMaxEntries: z.number().int().min(1).default(1_000),
  /** Max platforms a request may target explicitly. */
  targetMaxPlatforms: z.number().int().min(1).default(8)
})
export type RequestLimits = z.infer<typeof RequestLimitsSchema>

/** A platform name: what rules and `target` name, what a plugin manifest declares. */
export const PlatformNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9_-]*$/, 'must be lowercase letters, digits, "-" or "_", starting with a letter')

/**
 * The request a caller sends (shape only; the router also sanitizes, normalises unicode and enforces limits).
 * `target` names the platform(s) explicitly; several platforms fan out.
 */
export const RouteRequestInputSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9._:-]+$/, 'may contain only letters, digits, ".", "_", ":" and "-"')
    .optional(),
  type: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'must start with a letter and contain only letters, digits, ".", "_" or "-"'),
  content: z.string(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  target: z.union([PlatformNameSchema, z.array(PlatformNameSchema).min(1)]).optional()
})
export type RouteRequestInput = z.infer<typeof RouteRequestInputSchema>

/** A request after validation and sanitization: id assigned, target normalised to a list. */
export const RouteRequestSchema = z.object({
  id: z.string(),
  type: z.string(),
  content: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  target: z.array(PlatformNameSchema).optional()
})
export type RouteRequest = z.infer<typeof RouteRequestSchema>

/** What `determineRoute` decides, without executing anything. */
export const RouteDecisionSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    requestId: z.string(),
    /** The first (or only) platform. */
    platform: z.string(),
    /** Every platform the request goes to, in a stable order (fan-out when more than one). */
    platforms: z.array(z.string()),
    /** The instance the balancer would pick for `platform` now. */
    instanceId: z.string(),
    /** The instance per platform. */
    instances: z.record(z.string(), z.string()),
    ruleId: z.string(),
    timeoutMs: z.number(),
    /** The matched rule's `priority`: the order among requests waiting for a busy platform (higher first). */
    priority: z.number(),
    /** In words: which condition of which rule matched. */
    reason: z.string()
  }),
  z.object({ ok: z.literal(false), error: ConductorErrorSchema, ruleId: z.string().nullable() })
])
export type RouteDecision = z.infer<typeof RouteDecisionSchema>

/** One platform's outcome inside a response. */
export const PlatformOutcomeSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    platform: z.string(),
    instanceId: z.string(),
    output: z.unknown(),
    durationMs: z.number()
  }),
  z.object({
    ok: z.literal(false),
    platform: z.string(),
    instanceId: z.string().nullable(),
    error: ConductorErrorSchema,
    durationMs: z.number(),
    /** The dead-letter entry this platform's failure was stored as (a fan-out stores one per platform). */
    dlqId: z.string().optional()
  })
])
export type PlatformOutcome = z.infer<typeof PlatformOutcomeSchema>

/**
 * The answer to `routeRequest`, the same shape for one platform or a fan-out. `status`: `ok` every platform
 * answered; `partial` some failed; `failed` all failed; `rejected` nothing was executed (invalid request,
 * no route). `error` is set unless `ok`; `dlqId` is the dead-letter entry the failure was handed to (for a
 * fan-out, the first failed platform's; each failed result carries its own `dlqId`).
 */
export const RouteResponseSchema = z.object({
  requestId: z.string().nullable(),
  ruleId: z.string().nullable(),
  ok: z.boolean(),
  status: z.enum(['ok', 'partial', 'failed', 'rejected']),
  results: z.array(PlatformOutcomeSchema),
  error: ConductorErrorSchema.optional(),
  dlqId: z.string().nullable(),
  /** Why the hand-off to the dead-letter queue failed, when it did. */
  dlqError: ConductorErrorSchema.optional(),
  durationMs: z.number()
})
export type RouteResponse = z.infer<typeof RouteResponseSchema>

export const BreakerStateSchema = z.enum(['closed', 'open', 'half-open', 'forced-open'])
export type BreakerState = z.infer<typeof BreakerStateSchema>

/** One state change of a breaker: when, why, and whether an operator did it (with their reason). */
export const BreakerTransitionSchema = z.object({
  from: BreakerStateSchema,
  to: BreakerStateSchema,
  atMs: z.number(),
  cause: z.string(),
  manual: z.boolean()
})
export type BreakerTransition = z.infer<typeof BreakerTransitionSchema>

/** What an operator needs to see of one breaker. */
export const BreakerSnapshotSchema = z.object({
  platform: z.string(),
  state: BreakerStateSchema,
  sinceMs: z.number(),
  consecutiveFailures: z.number(),
  consecutiveThreshold: z.number(),
  /** Failures / calls over the last `windowMs`; null before `minimumCalls` calls were seen in the window. */
  failureRate: z.number().nullable(),
  failureRateThreshold: z.number(),
  windowMs: z.number(),
  callsInWindow: z.number(),
  minimumCalls: z.number(),
  lastFailure: z.object({ atMs: z.number(), cause: z.string() }).nullable(),
  /** When the next half-open probe is let through (open state only). */
  nextProbeAtMs: z.number().nullable(),
  lastProbe: z.object({ atMs: z.number(), ok: z.boolean(), cause: z.string().nullable() }).nullable(),
  /** Most recent last. */
  transitions: z.array(BreakerTransitionSchema)
})
export type BreakerSnapshot = z.infer<typeof BreakerSnapshotSchema>

export const InstanceSnapshotSchema = z.object({
  instanceId: z.string(),
  state: z.enum(['starting', 'ready', 'restarting', 'down', 'stopped', 'failed']),
  healthy: z.boolean(),
  inFlight: z.number(),
  restarts: z.number(),
  startedAtMs: z.number().nullable(),
  lastExit: z.object({ atMs: z.number(), reason: z.string(), detail: z.string() }).nullable(),
  lastHealthCheck: z.object({ atMs: z.number(), ok: z.boolean(), detail: z.string().nullable() }).nullable(),
  nextRestartAtMs: z.number().nullable()
})
export type InstanceSnapshot = z.infer<typeof InstanceSnapshotSchema>

export const PluginSnapshotSchema = z.object({
  name: z.string(),
  platform: z.string(),
  version: z.string(),
  source: z.enum(['builtin', 'user']),
  dir: z.string(),
  instances: z.array(InstanceSnapshotSchema),
  /** Permissions the manifest asked for that the operator's config did not grant. */
  deniedPermissions: z.array(z.string())
})
export type PluginSnapshot = z.infer<typeof PluginSnapshotSchema>

/** A plugin that could not be loaded: which file, and why. */
export const PluginLoadErrorSchema = z.object({ file: z.string(), reason: z.string(), atMs: z.number() })
export type PluginLoadError = z.infer<typeof PluginLoadErrorSchema>

export const PluginsSnapshotSchema = z.object({
  plugins: z.array(PluginSnapshotSchema),
  loadErrors: z.array(PluginLoadErrorSchema)
})
export type PluginsSnapshot = z.infer<typeof PluginsSnapshotSchema>

/** Request counts by outcome, as kept by the router since start. */
export const OutcomeCountsSchema = z.object({
  ok: z.number(),
  failed: z.number(),
  rejected: z.number(),
  dlqHandOffs: z.number()
})
export type OutcomeCounts = z.infer<typeof OutcomeCountsSchema>

/** The router's live state for the panel; cheap to produce once a second. */
export const RouterSnapshotSchema = z.object({
  atMs: z.number(),
  strategy: z.string(),
  totals: OutcomeCountsSchema,
  inFlight: z.number(),
  platforms: z.array(
    z.object({
      platform: z.string(),
      counts: OutcomeCountsSchema,
      breaker: BreakerSnapshotSchema,
      instances: z.array(
        z.object({
          instanceId: z.string(),
          inFlight: z.number(),
          routed: z.number(),
          /** The instance's own breaker (closed when per-instance breakers are off). */
          breaker: BreakerStateSchema.optional()
        })
      )
    })
  ),
  rules: z.array(z.object({ id: z.string(), platforms: z.array(z.string()), source: z.enum(['config', 'builtin']), hits: z.number() }))
})
export type RouterSnapshot = z.infer<typeof RouterSnapshotSchema>
