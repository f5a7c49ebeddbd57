/**
 * The fake engine's dead-letter queue: in memory, same observable rules as the real one for what the panel
 * shows (states, attempts, discard with reason, filters with a match count, preview tokens, error groups).
 */
import type { DlqAttempt, DlqBulkAction, DlqBulkPreview, DlqBulkResult, DlqCounts, DlqEntry, DlqEntryDetail, DlqErrorGroup, DlqFilter, DlqOperatorAction, DlqPage, DlqPageRequest } from '../../../src/shared/dlq.ts'
import type { ConductorError } from '../../../src/shared/errors.ts'
import type { DlqIdsResult } from '../../../src/shared/panel.ts'
import { err, ok, type Result } from '../../../src/shared/result.ts'
import type { EngineDlqPort, EngineEvent } from '../../../src/main/transport/engine-port.ts'

export interface FakeDlqDeps {
  now: () => number
  emit: (event: EngineEvent) => void
  /** Replays one entry through the engine. */
  deliver: (entry: DlqEntry) => { ok: true } | { ok: false; error: ConductorError; deferred: boolean }
}

export class FakeDlq implements EngineDlqPort {
  readonly #deps: FakeDlqDeps
  readonly #entries = new Map<string, { entry: DlqEntry; attempts: DlqAttempt[]; actions: DlqOperatorAction[] }>()
  readonly #previews = new Map<string, DlqBulkPreview & { ids: string[] }>()
  #actionId = 1
  capacity = 10_000

  constructor(deps: FakeDlqDeps) {
    this.#deps = deps
  }

  /** Adds a failed request (the router's hand-off); returns its id. */
  add(request: Record<string, unknown>, platform: string | null, ruleId: string | null, error: ConductorError, instanceId: string | null): string {
    const now = this.#deps.now()
    const id = String(request['id'])
    const signature = `${error.code}:${platform ?? '-'}:${error.message.replace(/\d+|req-\S+/g, '#')}`
    const entry: DlqEntry = {
      id, state: 'pending', platform, ruleId, request, originalRequest: null, attemptCount: 0, maxAttempts: 5, round: 1,
      nextAttemptAtMs: now + 1000, lastDelayMs: 1000, createdAtMs: now, updatedAtMs: now, firstFailedAtMs: now, lastFailedAtMs: now,
      lastError: { code: error.code, message: error.message }, signature, deadReason: null, discard: null, resolvedAtMs: null
    }
    const attempt: DlqAttempt = { atMs: now, durationMs: 3, origin: 'router', outcome: 'failed', round: 1, n: null, platform, instanceId, error, note: null }
    this.#entries.set(id, { entry, attempts: [attempt], actions: [] })
    this.#deps.emit({ type: 'dlqAdded', entry: structuredClone(entry) })
    return id
  }

  counts(): DlqCounts {
    const c = { pending: 0, retrying: 0, resolved: 0, dead: 0, discarded: 0 }
    for (const { entry } of this.#entries.values()) c[entry.state]++
    const live = c.pending + c.retrying + c.dead
    return { ...c, live, capacity: this.capacity, warningAt: Math.floor(this.capacity * 0.8), full: live >= this.capacity }
  }

  #matches(entry: DlqEntry, filter: DlqFilter): boolean {
    if (filter.states && !filter.states.includes(entry.state)) return false
    if (filter.platforms && !filter.platforms.includes(entry.platform ?? '')) return false
    if (filter.signature && entry.signature !== filter.signature) return false
    if (filter.text) {
      const hay = `${entry.lastError?.message ?? ''} ${JSON.stringify(entry.request)}`.toLowerCase()
      if (!hay.includes(filter.text.toLowerCase())) return false
    }
    return true
  }

  #select(filter: DlqFilter): DlqEntry[] {
    return [...this.#entries.values()].map((x) => x.entry).filter((e) => this.#matches(e, filter)).sort((a, b) => b.lastFailedAtMs - a.lastFailedAtMs || a.id.localeCompare(b.id))
  }

  async list(request: DlqPageRequest): Promise<Result<DlqPage, ConductorError>> {
    const all = this.#select(request.filter ?? {})
    const offset = request.cursor ? Number(request.cursor) : 0
    const limit = request.limit ?? 50
    const entries = all.slice(offset, offset + limit).map((e) => structuredClone(e))
    return ok({ entries, total: all.length, nextCursor: offset + limit < all.length ? String(offset + limit) : null, asOfMs: this.#deps.now() })
  }

  async get(id: string): Promise<Result<DlqEntryDetail, ConductorError>> {
    const found = this.#entries.get(id)
    if (!found) return err({ code: 'NOT_FOUND', message: `no dead letter ${id}`, id })
    return ok(structuredClone({ entry: found.entry, attempts: found.attempts, actions: found.actions }))
  }

  #record(kind: DlqOperatorAction['kind'], entryId: string | null, reason: string | null): void {
    const action: DlqOperatorAction = { id: this.#actionId++, atMs: this.#deps.now(), kind, entryId, reason, detail: {} }
    if (entryId) this.#entries.get(entryId)?.actions.push(action)
  }

  #update(entry: DlqEntry, patch: Partial<DlqEntry>): void {
    Object.assign(entry, patch, { updatedAtMs: this.#deps.now() })
  }

  /** Retries now through the engine: delivered → resolved, failed → an attempt, deferred → no attempt. */
  async retry(ids: string[]): Promise<Result<DlqIdsResult, ConductorError>> {
    const result: DlqIdsResult = { done: [], failed: [] }
    for (const id of ids) {
      const found = this.#entries.get(id)
      if (!found || found.entry.state === 'resolved' || found.entry.state === 'discarded') {
        result.failed.push({ id, error: { code: 'NOT_FOUND', message: `no retryable dead letter ${id}`, id } })
        continue
      }
      const { entry, attempts } = found
      if (entry.state === 'dead') this.#update(entry, { round: entry.round + 1, attemptCount: 0, deadReason: null })
      this.#record('retry', id, null)
      const now = this.#deps.now()
      const outcome = this.#deps.deliver(entry)
      if (outcome.ok) {
        attempts.push({ atMs: now, durationMs: 3, origin: 'replay', outcome: 'delivered', round: entry.round, n: entry.attemptCount + 1, platform: entry.platform, instanceId: null, error: null, note: null })
        this.#update(entry, { state: 'resolved', attemptCount: entry.attemptCount + 1, resolvedAtMs: now, nextAttemptAtMs: null })
      } else if (outcome.deferred) {
        attempts.push({ atMs: now, durationMs: 0, origin: 'replay', outcome: 'deferred', round: entry.round, n: null, platform: entry.platform, instanceId: null, error: outcome.error, note: 'breaker open' })
        this.#update(entry, { state: 'pending', nextAttemptAtMs: now + 10_000 })
      } else {
        const n = entry.attemptCount + 1
        attempts.push({ atMs: now, durationMs: 3, origin: 'replay', outcome: 'failed', round: entry.round, n, platform: entry.platform, instanceId: null, error: outcome.error, note: null })
        const dead = n >= entry.maxAttempts
        this.#update(entry, { state: dead ? 'dead' : 'pending', attemptCount: n, lastFailedAtMs: now, lastError: { code: outcome.error.code, message: outcome.error.message }, nextAttemptAtMs: dead ? null : now + 2 ** n * 1000, deadReason: dead ? 'max attempts' : null })
      }
      result.done.push(id)
    }
    return ok(result)
  }

  async discard(ids: string[], reason: string): Promise<Result<DlqIdsResult, ConductorError>> {
    const result: DlqIdsResult = { done: [], failed: [] }
    for (const id of ids) {
      const found = this.#entries.get(id)
      if (!found || found.entry.state === 'discarded' || found.entry.state === 'resolved') {
        result.failed.push({ id, error: { code: 'NOT_FOUND', message: `no discardable dead letter ${id}`, id } })
        continue
      }
      const now = this.#deps.now()
      this.#update(found.entry, { state: 'discarded', discard: { reason, atMs: now, previousState: found.entry.state }, nextAttemptAtMs: null })
      this.#record('discard', id, reason)
      result.done.push(id)
    }
    return ok(result)
  }

  async undoDiscard(ids: string[], reason?: string): Promise<Result<DlqIdsResult, ConductorError>> {
    const result: DlqIdsResult = { done: [], failed: [] }
    for (const id of ids) {
      const found = this.#entries.get(id)
      if (!found?.entry.discard || found.entry.state !== 'discarded') {
        result.failed.push({ id, error: { code: 'NOT_FOUND', message: `no discarded dead letter ${id}`, id } })
        continue
      }
      this.#update(found.entry, { state: found.entry.discard.previousState, discard: null })
      this.#record('undoDiscard', id, reason ?? null)
      result.done.push(id)
    }
    return ok(result)
  }

  async editPayload(id: string, request: Record<string, unknown>, reason?: string): Promise<Result<DlqEntry, ConductorError>> {
    const found = this.#entries.get(id)
    if (!found) return err({ code: 'NOT_FOUND', message: `no dead letter ${id}`, id })
    this.#update(found.entry, { originalRequest: found.entry.originalRequest ?? found.entry.request, request })
    this.#record('editPayload', id, reason ?? null)
    return ok(structuredClone(found.entry))
  }

  async bulkPreview(filter: DlqFilter, action: DlqBulkAction): Promise<Result<DlqBulkPreview, ConductorError>> {
    const ids = this.#select(filter).map((e) => e.id)
    const now = this.#deps.now()
    const preview = { token: `preview-${this.#previews.size + 1}`, action, filter, count: ids.length, asOfMs: now, expiresAtMs: now + 300_000, sampleIds: ids.slice(0, 5) }
    this.#previews.set(preview.token, { ...preview, ids })
    return ok(preview)
  }

  async bulkApply(token: string, reason?: string): Promise<Result<DlqBulkResult, ConductorError>> {
    const preview = this.#previews.get(token)
    if (!preview) return err({ code: 'NOT_FOUND', message: 'preview expired or unknown', id: token })
    if (preview.action === 'discard' && !reason) return err({ code: 'BAD_REQUEST', message: 'a discard needs a reason', issues: [{ path: 'reason', message: 'required' }] })
    this.#previews.delete(token)
    const done = preview.action === 'retry' ? await this.retry(preview.ids) : await this.discard(preview.ids, reason ?? '')
    const applied = done.ok ? done.value.done.length : 0
    const skipped: Record<string, number> = {}
    if (preview.ids.length > applied) skipped['state changed'] = preview.ids.length - applied
    return ok({ token, action: preview.action, requested: preview.ids.length, applied, skipped, atMs: this.#deps.now() })
  }

  async groups(): Promise<Result<DlqErrorGroup[], ConductorError>> {
    const groups = new Map<string, DlqErrorGroup>()
    for (const { entry } of this.#entries.values()) {
      if (entry.state !== 'pending' && entry.state !== 'dead' && entry.state !== 'retrying') continue
      const g = groups.get(entry.signature)
      if (g) {
        g.count++
        g.firstSeenMs = Math.min(g.firstSeenMs, entry.firstFailedAtMs)
        g.lastSeenMs = Math.max(g.lastSeenMs, entry.lastFailedAtMs)
      } else {
        groups.set(entry.signature, {
          signature: entry.signature, code: entry.lastError?.code ?? 'UNKNOWN', platform: entry.platform, pattern: entry.signature.split(':').slice(2).join(':'),
          count: 1, firstSeenMs: entry.firstFailedAtMs, lastSeenMs: entry.lastFailedAtMs, sampleMessage: entry.lastError?.message ?? ''
        })
      }
    }
    return ok([...groups.values()].sort((a, b) => b.count - a.count))
  }
}
