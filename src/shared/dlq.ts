/**
 * The dead-letter queue's side of the contract: what the panel lists, filters, previews and streams.
 * Types come from `z.infer` only. Times are epoch milliseconds (`...Ms`). Additive changes only.
 */
import { z } from 'zod'
import { ConductorErrorSchema } from './errors.ts'

/**
 * `pending` waits for its next replay, `retrying` has a replay in flight, `resolved` was delivered, `dead`
 * exhausted its attempts or can never be delivered (stays until a person acts), `discarded` was set aside by a
 * person with a reason (undo possible).
 */
export const DlqStateSchema = z.enum(['pending', 'retrying', 'resolved', 'dead', 'discarded'])
export type DlqState = z.infer<typeof DlqStateSchema>

/**
 * One delivery attempt. `origin: 'router'` are the router's own attempts before the entry was queued;
 * `replay` are the queue's. Only `failed` and `delivered` replays count toward `maxAttempts` (`n` is then the
 * 1-based attempt number within the round); `deferred` (breaker open) and `invalid` never count.
 */
export const DlqAttemptSchema = z.object({
  atMs: z.number(),
  durationMs: z.number(),
  origin: z.enum(['router', 'replay']),
  outcome: z.enum(['failed', 'delivered', 'deferred', 'invalid', 'interrupted']),
  /** Manual retries of a dead entry start a new round with a fresh attempt count. */
  round: z.number().int(),
  n: z.number().int().nullable(),
  platform: z.string().nullable(),
  instanceId: z.string().nullable(),
  error: ConductorErrorSchema.nullable(),
  /** Free text for outcomes without a ConductorError (e.g. a deferral reason). */
  note: z.string().nullable()
})
export type DlqAttempt = z.infer<typeof DlqAttemptSchema>

export const DlqDiscardSchema = z.object({
  reason: z.string(),
  atMs: z.number(),
  /** The state undo returns the entry to. */
  previousState: DlqStateSchema
})

export const DlqEntrySchema = z.object({
  /**
   * Enqueue is idempotent on it: the request id, or `<requestId>@<platform>` for one failed platform of a
   * fan-out (each is its own entry, so a retry never re-delivers to a platform that already succeeded).
   */
  id: z.string(),
  state: DlqStateSchema,
  platform: z.string().nullable(),
  ruleId: z.string().nullable(),
  /** The request the next replay sends (edited, if a person edited it). */
  request: z.record(z.string(), z.unknown()),
  /** The request as first queued, kept when the payload was edited; null if never edited. */
  originalRequest: z.record(z.string(), z.unknown()).nullable(),
  attemptCount: z.number().int(),
  maxAttempts: z.number().int(),
  round: z.number().int(),
  nextAttemptAtMs: z.number().nullable(),
  /** The backoff delay that set `nextAttemptAtMs` (decorrelated jitter grows from it). */
  lastDelayMs: z.number().nullable(),
  createdAtMs: z.number(),
  updatedAtMs: z.number(),
  firstFailedAtMs: z.number(),
  lastFailedAtMs: z.number(),
  lastError: z.object({ code: z.string(), message: z.string() }).nullable(),
  /** Normalised error signature of the last failure (see error groups). */
  signature: z.string(),
  deadReason: z.string().nullable(),
  discard: DlqDiscardSchema.nullable(),
  resolvedAtMs: z.number().nullable()
})
export type DlqEntry = z.infer<typeof DlqEntrySchema>

export const DlqOperatorActionKindSchema = z.enum([
  'retry',
  'discard',
  'undoDiscard',
  'editPayload',
  'bulkRetry',
  'bulkDiscard'
])

/** Every operator action, kept with time and reason. */
export const DlqOperatorActionSchema = z.object({
  id: z.number().int(),
  atMs: z.number(),
  kind: DlqOperatorActionKindSchema,
  entryId: z.string().nullable(),
  reason: z.string().nullable(),
  detail: z.record(z.string(), z.unknown())
})
export type DlqOperatorAction = z.infer<typeof DlqOperatorActionSchema>

export const DlqEntryDetailSchema = z.object({
  entry: DlqEntrySchema,
  attempts: z.array(DlqAttemptSchema),
  actions: z.array(DlqOperatorActionSchema)
})
export type DlqEntryDetail = z.infer<typeof DlqEntryDetailSchema>

/** Structured filters; all present fields must match. `text` is full-text over error text and payload. */
export const DlqFilterSchema = z.object({
  states: z.array(DlqStateSchema).optional(),
  platforms: z.array(z.string()).optional(),
  signature: z.string().optional(),
  text: z.string().min(1).max(500).optional(),
  /** Range on the last failure time, inclusive. */
  fromMs: z.number().optional(),
  toMs: z.number().optional(),
  minAttempts: z.number().int().min(0).optional(),
  maxAttempts: z.number().int().min(0).optional()
})
export type DlqFilter = z.infer<typeof DlqFilterSchema>

export const DlqPageRequestSchema = z.object({
  filter: DlqFilterSchema.prefault({}),
  limit: z.number().int().min(1).max(500).default(50),
  /** Opaque cursor from the previous page's `nextCursor`. Pages are ordered newest failure first. */
  cursor: z.string().optional()
})
export type DlqPageRequest = z.input<typeof DlqPageRequestSchema>

export const DlqPageSchema = z.object({
  entries: z.array(DlqEntrySchema),
  /** How many entries match the filter in total (the search's match count). */
  total: z.number().int(),
  nextCursor: z.string().nullable(),
  asOfMs: z.number()
})
export type DlqPage = z.infer<typeof DlqPageSchema>

export const DlqErrorGroupSchema = z.object({
  signature: z.string(),
  code: z.string(),
  platform: z.string().nullable(),
  /** The normalised message pattern (numbers, ids, uuids replaced by placeholders). */
  pattern: z.string(),
  count: z.number().int(),
  firstSeenMs: z.number(),
  lastSeenMs: z.number(),
  sampleMessage: z.string()
})
export type DlqErrorGroup = z.infer<typeof DlqErrorGroupSchema>

export const DlqBulkActionSchema = z.enum(['retry', 'discard'])
export type DlqBulkAction = z.infer<typeof DlqBulkActionSchema>

/** "N match as of T": the token acts on exactly these entries, never on later arrivals. */
export const DlqBulkPreviewSchema = z.object({
  token: z.string(),
  action: DlqBulkActionSchema,
  filter: DlqFilterSchema,
  count: z.number().int(),
  asOfMs: z.number(),
  expiresAtMs: z.number(),
  sampleIds: z.array(z.string())
})
export type DlqBulkPreview = z.infer<typeof DlqBulkPreviewSchema>

export const DlqBulkResultSchema = z.object({
  token: z.string(),
  action: DlqBulkActionSchema,
  /** Entries in the previewed set. */
  requested: z.number().int(),
  applied: z.number().int(),
  /** Entries skipped because their state changed since the preview, keyed by the reason. */
  skipped: z.record(z.string(), z.number().int()),
  atMs: z.number()
})
export type DlqBulkResult = z.infer<typeof DlqBulkResultSchema>

export const DlqCountsSchema = z.object({
  pending: z.number().int(),
  retrying: z.number().int(),
  resolved: z.number().int(),
  dead: z.number().int(),
  discarded: z.number().int(),
  /** Entries that hold capacity: pending + retrying + dead. */
  live: z.number().int(),
  capacity: z.number().int(),
  warningAt: z.number().int(),
  full: z.boolean()
})
export type DlqCounts = z.infer<typeof DlqCountsSchema>

/** What the panel shows about the queue's policy: caps, retention and the backoff schedule. */
export const DlqSettingsSchema = z.object({
  maxAttempts: z.number().int(),
  jitter: z.enum(['full', 'decorrelated', 'none']),
  /** Delay bounds before each replay of a round (decorrelated: from the base delay; it grows per entry). */
  schedule: z.array(z.object({ attempt: z.number().int(), minMs: z.number(), maxMs: z.number() })),
  capacity: z.number().int(),
  warningAt: z.number().int(),
  retryConcurrency: z.number().int(),
  /** null = kept forever. */
  retention: z.object({ resolvedMs: z.number().nullable(), discardedMs: z.number().nullable() })
})
export type DlqSettings = z.infer<typeof DlqSettingsSchema>

/** The events the queue emits (and the panel streams), by name. */
export const DlqEventSchemas = {
  'dlq.entryAdded': z.object({ entry: DlqEntrySchema }),
  'dlq.entryUpdated': z.object({ entry: DlqEntrySchema, previousState: DlqStateSchema }),
  'dlq.entriesRemoved': z.object({ ids: z.array(z.string()), reason: z.string() }),
  'dlq.actionRecorded': z.object({ action: DlqOperatorActionSchema }),
  'dlq.capacityWarning': z.object({ counts: DlqCountsSchema }),
  'dlq.full': z.object({ counts: DlqCountsSchema, rejectedId: z.string() }),
  'dlq.storeRecovered': z.object({ reason: z.string(), movedTo: z.array(z.string()), atMs: z.number() })
} as const
export type DlqEventName = keyof typeof DlqEventSchemas
export type DlqEventMap = { [K in DlqEventName]: z.infer<(typeof DlqEventSchemas)[K]> }
