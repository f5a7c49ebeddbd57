/** Dead-letter queue settings (owned by the DLQ work; extend additively). Durations in ms. */
import { z } from 'zod'

export const DlqBackoffConfigSchema = z.object({
  /** Delay ceiling before the first replay; doubles per attempt. */
  baseMs: z.number().int().min(1).default(1_000),
  /** No replay waits longer than this. */
  capMs: z.number().int().min(1).default(15 * 60_000),
  /**
   * `full`: uniform in [0, min(cap, base·2^(n-1))] (AWS "full jitter"; spreads a burst of failures best).
   * `decorrelated`: uniform in [base, min(cap, previous·3)]. `none`: the exponential ceiling itself.
   */
  jitter: z.enum(['full', 'decorrelated', 'none']).default('full')
})

export const DlqRetentionConfigSchema = z.object({
  /** Delete `resolved` entries this long after they resolved; null keeps them forever. */
  resolvedMs: z.number().int().min(0).nullable().default(null),
  /** Delete `discarded` entries this long after they were discarded; null keeps them forever. */
  discardedMs: z.number().int().min(0).nullable().default(null),
  /** How often the retention sweep runs when a policy is on. */
  sweepIntervalMs: z.number().int().min(1_000).default(60 * 60_000)
})

export const DlqConfigSchema = z.object({
  /** Database file; null means the host picks one (Electron: userData/dlq.sqlite). */
  dbPath: z.string().nullable().default(null),
  /** Replays per round before an entry moves to `dead` (the router's own attempts do not count). */
  maxAttempts: z.number().int().min(1).default(5),
  backoff: DlqBackoffConfigSchema.prefault({}),
  /** Replays in flight at once. */
  retryConcurrency: z.number().int().min(1).default(4),
  /** Entries that hold capacity (pending + retrying + dead). Never evicted: when full, enqueue says DLQ_FULL. */
  maxEntries: z.number().int().min(1).default(100_000),
  /** Fraction of `maxEntries` at which a capacity warning is raised. */
  warnAtFraction: z.number().gt(0).lt(1).default(0.8),
  retention: DlqRetentionConfigSchema.prefault({}),
  groupCommit: z
    .object({
      /** Most enqueues committed in one transaction. */
      maxBatch: z.number().int().min(1).default(512),
      /**
       * Inbox rows (durable, not yet indexed) that trigger indexing them into the entry tables in one batch.
       * Bigger batches write each hot index page once for more entries, but hold the event loop longer.
       */
      indexBatch: z.number().int().min(1).default(256),
      /** WAL pages before SQLite checkpoints (its default is 1000). */
      walAutocheckpointPages: z.number().int().min(100).default(1_000)
    })
    .prefault({}),
  /**
   * How long a write waits for a lock another process holds on the file (an operator's sqlite3 shell, a
   * backup) before it fails. The wait blocks the event loop, so it is short; a failed enqueue is answered
   * DLQ_UNAVAILABLE and a failed replay-outcome write is tried again with backoff.
   */
  busyTimeoutMs: z.number().int().min(0).max(60_000).default(5_000),
  /** How long a bulk preview token stays valid. */
  bulkPreviewTtlMs: z.number().int().min(1_000).default(10 * 60_000)
})
export type DlqConfig = z.infer<typeof DlqConfigSchema>
export type DlqConfigInput = z.input<typeof DlqConfigSchema>
