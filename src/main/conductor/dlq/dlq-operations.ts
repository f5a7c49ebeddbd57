/**
 * Operator actions on the queue: retry, discard (with a reason, undoable), undo, edit-before-retry, and
 * filter-scoped bulk retry/discard through a frozen preview. Each action is one transaction that also records
 * the action (time, kind, reason, detail), so the audit trail can never disagree with the data.
 */
import type { DlqBulkAction, DlqBulkPreview, DlqBulkResult, DlqEntry, DlqFilter, DlqOperatorAction, DlqState } from '../../../shared/dlq.ts'
import { DlqFilterSchema } from '../../../shared/dlq.ts'
import { fieldIssuesOf, type ConductorError } from '../../../shared/errors.ts'
import { err, ok, type Result } from '../../../shared/result.ts'
import { BulkPreviews } from './bulk-previews.ts'
import type { DlqConfig } from './dlq-config.ts'
import type { DlqStore } from './dlq-store.ts'
import { discardEntry, editPayload, manualRetry, undoDiscard, type Refusal, type TransitionContext } from './entry-transitions.ts'
import type { DlqClock } from './retry-scheduler.ts'

export function refusalError(id: string, refusal: Refusal | 'full' | 'notFound', capacity: number): ConductorError {
  if (refusal === 'notFound') return { code: 'NOT_FOUND', message: `No dead-letter entry ${id}`, id }
  if (refusal === 'full') return { code: 'DLQ_FULL', message: `Dead-letter queue is full (${capacity} entries)`, capacity }
  return { code: 'BAD_REQUEST', message: `Entry ${id}: ${refusal}`, issues: [{ path: 'state', message: refusal }] }
}

export interface EntryChange {
  before: DlqState
  entry: DlqEntry
}

export interface DlqOperationsDeps {
  store: DlqStore
  config: DlqConfig
  clock: DlqClock
  context: () => TransitionContext
  /** Whether `n` more live entries fit under the cap. */
  hasRoomFor: (n: number) => boolean
  capacity: () => number
  /** Whether a replay of this entry is still running (an undone discard must not start a second one). */
  replaying: (id: string) => boolean
  /** Called after commit with what changed, so counts, events and the scheduler follow. */
  changed: (changes: readonly EntryChange[], actions: readonly DlqOperatorAction[]) => void
}

type Transform = (entry: DlqEntry, ctx: TransitionContext) => DlqEntry | Refusal
const BULK_CHUNK = 500
const LIVE = new Set<DlqState>(['pending', 'retrying', 'dead'])

export class DlqOperations {
  readonly #d: DlqOperationsDeps
  readonly #previews: BulkPreviews

  constructor(deps: DlqOperationsDeps) {
    this.#d = deps
    this.#previews = new BulkPreviews(deps.config.bulkPreviewTtlMs)
  }

  /** Retries now. A `dead` entry starts a new round with a fresh attempt count. */
  retry(id: string, reason: string | null = null): Result<DlqEntry, ConductorError> {
    return this.#single(id, 'retry', reason, manualRetry)
  }

  discard(id: string, reason: string): Result<DlqEntry, ConductorError> {
    return this.#single(id, 'discard', reason, (entry, ctx) => discardEntry(entry, reason, ctx.nowMs))
  }

  undoDiscard(id: string, reason: string | null = null): Result<DlqEntry, ConductorError> {
    return this.#single(id, 'undoDiscard', reason, (entry, ctx) => undoDiscard(entry, ctx.nowMs, this.#d.replaying(entry.id)))
  }

  /** Replaces the payload the next replay sends; the first original is kept in `originalRequest`. */
  editPayload(id: string, request: Record<string, unknown>, reason: string | null = null): Result<DlqEntry, ConductorError> {
    return this.#single(id, 'editPayload', reason, (entry, ctx) => editPayload(entry, request, ctx.nowMs), true)
  }

  /** Freezes the set matching `filter` now; `applyBulk(token)` acts on exactly that set. */
  previewBulk(action: DlqBulkAction, filter: DlqFilter): Result<DlqBulkPreview, ConductorError> {
    const parsed = DlqFilterSchema.safeParse(filter)
    if (!parsed.success) {
      return err({ code: 'BAD_REQUEST', message: 'Invalid filter', issues: fieldIssuesOf(parsed.error) })
    }
    const ids = this.#d.store.matchingIds(parsed.data)
    const s = this.#previews.freeze(action, parsed.data, ids, this.#d.clock.now())
    const { token, asOfMs, expiresAtMs } = s
    return ok({ token, action, filter: s.filter, count: ids.length, asOfMs, expiresAtMs, sampleIds: ids.slice(0, 20) })
  }

  applyBulk(token: string, reason: string | null = null): Result<DlqBulkResult, ConductorError> {
    const selection = this.#previews.take(token, this.#d.clock.now())
    if (selection === null) return err({ code: 'NOT_FOUND', message: 'Unknown or expired bulk preview token', id: token })
    const discarding = selection.action === 'discard'
    if (discarding && (reason === null || reason.trim() === '')) {
      return err({ code: 'BAD_REQUEST', message: 'A discard needs a reason', issues: [{ path: 'reason', message: 'required' }] })
    }
    const transform: Transform = discarding
      ? (entry, ctx) => discardEntry(entry, reason ?? '', ctx.nowMs)
      : manualRetry
    const kind = discarding ? 'discard' : 'retry'
    const skipped: Record<string, number> = {}
    let applied = 0
    for (let start = 0; start < selection.ids.length; start += BULK_CHUNK) {
      const chunk = selection.ids.slice(start, start + BULK_CHUNK)
      const changes = this.#d.store.transaction(() => {
        const ctx = this.#d.context()
        const done: EntryChange[] = []
        for (const id of chunk) {
          const current = this.#d.store.get(id)
          const next = current === null ? 'gone' : transform(current, ctx)
          if (typeof next === 'string' || current === null) {
            skipped[next as string] = (skipped[next as string] ?? 0) + 1
            continue
          }
          this.#d.store.update(next)
          this.#d.store.recordAction({ atMs: ctx.nowMs, kind, entryId: id, reason, detail: { bulkToken: token } })
          done.push({ before: current.state, entry: next })
        }
        return done
      })
      applied += changes.length
      this.#d.changed(changes, [])
    }
    const atMs = this.#d.clock.now()
    const result: DlqBulkResult = { token, action: selection.action, requested: selection.ids.length, applied, skipped, atMs }
    const summary = this.#d.store.transaction(() =>
      this.#d.store.recordAction({
        atMs,
        kind: discarding ? 'bulkDiscard' : 'bulkRetry',
        entryId: null,
        reason,
        detail: { ...result, filter: selection.filter, asOfMs: selection.asOfMs }
      })
    )
    this.#d.changed([], [summary])
    return ok(result)
  }

  #single(
    id: string,
    kind: DlqOperatorAction['kind'],
    reason: string | null,
    transform: Transform,
    payloadChanged = false
  ): Result<DlqEntry, ConductorError> {
    const outcome = this.#d.store.transaction(() => {
      const current = this.#d.store.get(id)
      if (current === null) return 'notFound' as const
      const ctx = this.#d.context()
      const next = transform(current, ctx)
      if (typeof next === 'string') return next
      if (!LIVE.has(current.state) && LIVE.has(next.state) && !this.#d.hasRoomFor(1)) return 'full' as const
      this.#d.store.update(next, payloadChanged)
      const detail: Record<string, unknown> = { from: current.state, to: next.state }
      if (payloadChanged) detail.previousRequest = current.request
      const action = this.#d.store.recordAction({ atMs: ctx.nowMs, kind, entryId: id, reason, detail })
      return { change: { before: current.state, entry: next }, action }
    })
    if (typeof outcome === 'string') return err(refusalError(id, outcome, this.#d.capacity()))
    this.#d.changed([outcome.change], [outcome.action])
    return ok(outcome.change.entry)
  }
}
