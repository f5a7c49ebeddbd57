/**
 * What the dead-letter queue needs from storage. The queue owns the rules (states, backoff, capacity); the
 * store owns persistence and queries. All calls are synchronous; `transaction` groups writes into one commit
 * (one fsync), which is how group commit and bulk actions stay cheap.
 */
import type {
  DlqAttempt,
  DlqEntry,
  DlqErrorGroup,
  DlqFilter,
  DlqOperatorAction,
  DlqState
} from '../../../shared/dlq.ts'

export interface DlqPageQuery {
  filter: DlqFilter
  limit: number
  /** Keyset position: entries strictly after it in (lastFailedAtMs desc, seq desc) order. */
  after: { lastFailedAtMs: number; seq: number } | null
}

export interface DlqStore {
  /** Runs `fn` in one write transaction; rolls back and rethrows if it throws. */
  transaction<T>(fn: () => T): T
  has(id: string): boolean
  get(id: string): DlqEntry | null
  /** `requestJson`: `entry.request` already serialised by the caller (saves serialising it twice). */
  insert(entry: DlqEntry, attempts: readonly DlqAttempt[], requestJson?: string): void
  /** Writes every mutable field of `entry`; `payloadChanged` re-indexes the payload for search. */
  update(entry: DlqEntry, payloadChanged?: boolean): void
  appendAttempt(id: string, attempt: DlqAttempt): void
  attempts(id: string): DlqAttempt[]
  recordAction(action: Omit<DlqOperatorAction, 'id'>): DlqOperatorAction
  actions(entryId: string | null, limit: number): DlqOperatorAction[]
  /** Pending entries due at or before `nowMs`, earliest first. */
  due(nowMs: number, limit: number): DlqEntry[]
  nextDueAtMs(): number | null
  inState(state: DlqState): DlqEntry[]
  page(query: DlqPageQuery): { entries: Array<DlqEntry & { seq: number }>; total: number }
  matchingIds(filter: DlqFilter): string[]
  errorGroups(filter: DlqFilter): DlqErrorGroup[]
  countsByState(): Record<DlqState, number>
  /** Deletes entries in `state` whose resolve/discard time is before `beforeMs`; returns their ids. */
  deleteExpired(state: 'resolved' | 'discarded', beforeMs: number): string[]
  close(): void
}
