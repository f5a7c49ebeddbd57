/**
 * `DlqStore` on `node:sqlite` (WAL, synchronous=FULL). Entries keep their searchable text (every error message
 * and the payload) in an FTS5 trigram table keyed by the entry's `seq`.
 */
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite'
import type {
  DlqAttempt,
  DlqEntry,
  DlqErrorGroup,
  DlqFilter,
  DlqOperatorAction,
  DlqState
} from '../../../shared/dlq.ts'
import type { DlqPageQuery, DlqStore } from './dlq-store.ts'
import { parseSignature } from './error-signature.ts'
import { filterCondition } from './sqlite-filter.ts'

type Row = Record<string, SQLInputValue>

const ENTRY_COLUMNS = `id, state, platform, rule_id, request_json, original_json, attempt_count, max_attempts, round,
  next_attempt_at, last_delay_ms, created_at, updated_at, first_failed_at, last_failed_at, last_error_code,
  last_error_message, signature, dead_reason, discard_reason, discarded_at, discarded_from, resolved_at`

const str = (v: SQLInputValue): string => v as string
const num = (v: SQLInputValue): number => v as number
const strOrNull = (v: SQLInputValue): string | null => (v === null ? null : (v as string))
const numOrNull = (v: SQLInputValue): number | null => (v === null ? null : (v as number))

function rowToEntry(row: Row): DlqEntry {
  const code = strOrNull(row.last_error_code)
  const discardReason = strOrNull(row.discard_reason)
  return {
    id: str(row.id),
    state: str(row.state) as DlqState,
    platform: strOrNull(row.platform),
    ruleId: strOrNull(row.rule_id),
    request: JSON.parse(str(row.request_json)) as Record<string, unknown>,
    originalRequest: row.original_json === null ? null : (JSON.parse(str(row.original_json)) as Record<string, unknown>),
    attemptCount: num(row.attempt_count),
    maxAttempts: num(row.max_attempts),
    round: num(row.round),
    nextAttemptAtMs: numOrNull(row.next_attempt_at),
    lastDelayMs: numOrNull(row.last_delay_ms),
    createdAtMs: num(row.created_at),
    updatedAtMs: num(row.updated_at),
    firstFailedAtMs: num(row.first_failed_at),
    lastFailedAtMs: num(row.last_failed_at),
    lastError: code === null ? null : { code, message: str(row.last_error_message) },
    signature: str(row.signature),
    deadReason: strOrNull(row.dead_reason),
    discard:
      discardReason === null
        ? null
        : { reason: discardReason, atMs: num(row.discarded_at), previousState: str(row.discarded_from) as DlqState },
    resolvedAtMs: numOrNull(row.resolved_at)
  }
}

function entryParams(e: DlqEntry): SQLInputValue[] {
  return [
    e.id, e.state, e.platform, e.ruleId, JSON.stringify(e.request),
    e.originalRequest === null ? null : JSON.stringify(e.originalRequest),
    e.attemptCount, e.maxAttempts, e.round, e.nextAttemptAtMs, e.lastDelayMs, e.createdAtMs, e.updatedAtMs,
    e.firstFailedAtMs, e.lastFailedAtMs, e.lastError?.code ?? null, e.lastError?.message ?? null, e.signature,
    e.deadReason, e.discard?.reason ?? null, e.discard?.atMs ?? null, e.discard?.previousState ?? null,
    e.resolvedAtMs
  ]
}

function rowToAttempt(row: Row): DlqAttempt {
  return {
    atMs: num(row.at_ms),
    durationMs: num(row.duration_ms),
    origin: str(row.origin) as DlqAttempt['origin'],
    outcome: str(row.outcome) as DlqAttempt['outcome'],
    round: num(row.round),
    n: numOrNull(row.n),
    platform: strOrNull(row.platform),
    instanceId: strOrNull(row.instance_id),
    error: row.error_json === null ? null : (JSON.parse(str(row.error_json)) as DlqAttempt['error']),
    note: strOrNull(row.note)
  }
}

function rowToAction(row: Row): DlqOperatorAction {
  return {
    id: num(row.id),
    atMs: num(row.at_ms),
    kind: str(row.kind) as DlqOperatorAction['kind'],
    entryId: strOrNull(row.entry_id),
    reason: strOrNull(row.reason),
    detail: JSON.parse(str(row.detail_json)) as Record<string, unknown>
  }
}

function errorText(attempt: DlqAttempt): string {
  return attempt.error === null ? '' : `${attempt.error.code}: ${attempt.error.message}\n`
}

function payloadText(entry: DlqEntry): string {
  const current = JSON.stringify(entry.request)
  return entry.originalRequest === null ? current : `${current}\n${JSON.stringify(entry.originalRequest)}`
}

export class SqliteDlqStore implements DlqStore {
  readonly #db: DatabaseSync
  readonly #cache = new Map<string, StatementSync>()

  constructor(db: DatabaseSync) {
    this.#db = db
  }

  #stmt(sql: string): StatementSync {
    let statement = this.#cache.get(sql)
    if (statement === undefined) {
      if (this.#cache.size > 256) this.#cache.clear()
      statement = this.#db.prepare(sql)
      this.#cache.set(sql, statement)
    }
    return statement
  }

  #seq(id: string): number | null {
    const row = this.#stmt('SELECT seq FROM entries WHERE id = ?').get(id) as Row | undefined
    return row === undefined ? null : num(row.seq)
  }

  transaction<T>(fn: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE')
    try {
      const value = fn()
      this.#db.exec('COMMIT')
      return value
    } catch (cause) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK')
      throw cause
    }
  }

  has(id: string): boolean {
    return this.#seq(id) !== null
  }

  get(id: string): DlqEntry | null {
    const row = this.#stmt(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE id = ?`).get(id) as Row | undefined
    return row === undefined ? null : rowToEntry(row)
  }

  insert(entry: DlqEntry, attempts: readonly DlqAttempt[]): void {
    const result = this.#stmt(
      `INSERT INTO entries (${ENTRY_COLUMNS}) VALUES (${Array.from({ length: 23 }, () => '?').join(', ')})`
    ).run(...entryParams(entry))
    const seq = Number(result.lastInsertRowid)
    for (const attempt of attempts) this.#insertAttempt(seq, attempt)
    this.#stmt('INSERT INTO entries_fts (rowid, errors, payload) VALUES (?, ?, ?)').run(
      seq,
      attempts.map(errorText).join(''),
      payloadText(entry)
    )
  }

  update(entry: DlqEntry, payloadChanged = false): void {
    const sets = ENTRY_COLUMNS.split(',').slice(1).map((c) => `${c.trim()} = ?`).join(', ')
    const [, ...rest] = entryParams(entry)
    this.#stmt(`UPDATE entries SET ${sets} WHERE id = ?`).run(...rest, entry.id)
    if (payloadChanged) {
      const seq = this.#seq(entry.id)
      this.#stmt('UPDATE entries_fts SET payload = ? WHERE rowid = ?').run(payloadText(entry), seq)
    }
  }

  #insertAttempt(seq: number, a: DlqAttempt): void {
    this.#stmt(
      `INSERT INTO attempts (entry_seq, at_ms, duration_ms, origin, outcome, round, n, platform, instance_id,
         error_json, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
    ).run(seq, a.atMs, a.durationMs, a.origin, a.outcome, a.round, a.n, a.platform, a.instanceId,
      a.error === null ? null : JSON.stringify(a.error), a.note)
  }

  appendAttempt(id: string, attempt: DlqAttempt): void {
    const seq = this.#seq(id)
    if (seq === null) return
    this.#insertAttempt(seq, attempt)
    const text = errorText(attempt)
    if (text !== '') this.#stmt('UPDATE entries_fts SET errors = errors || ? WHERE rowid = ?').run(text, seq)
  }

  attempts(id: string): DlqAttempt[] {
    const rows = this.#stmt(
      'SELECT a.* FROM attempts a JOIN entries e ON e.seq = a.entry_seq WHERE e.id = ? ORDER BY a.at_ms, a.rowid'
    ).all(id) as Row[]
    return rows.map(rowToAttempt)
  }

  recordAction(action: Omit<DlqOperatorAction, 'id'>): DlqOperatorAction {
    const result = this.#stmt(
      'INSERT INTO actions (at_ms, kind, entry_id, reason, detail_json) VALUES (?, ?, ?, ?, ?)'
    ).run(action.atMs, action.kind, action.entryId, action.reason, JSON.stringify(action.detail))
    return { ...action, id: Number(result.lastInsertRowid) }
  }

  actions(entryId: string | null, limit: number): DlqOperatorAction[] {
    const rows = (
      entryId === null
        ? this.#stmt('SELECT * FROM actions ORDER BY id DESC LIMIT ?').all(limit)
        : this.#stmt('SELECT * FROM actions WHERE entry_id = ? ORDER BY id DESC LIMIT ?').all(entryId, limit)
    ) as Row[]
    return rows.map(rowToAction).reverse()
  }

  due(nowMs: number, limit: number): DlqEntry[] {
    const rows = this.#stmt(
      `SELECT ${ENTRY_COLUMNS} FROM entries WHERE state = 'pending' AND next_attempt_at <= ?
       ORDER BY next_attempt_at LIMIT ?`
    ).all(nowMs, limit) as Row[]
    return rows.map(rowToEntry)
  }

  nextDueAtMs(): number | null {
    const row = this.#stmt(
      "SELECT min(next_attempt_at) AS at FROM entries WHERE state = 'pending' AND next_attempt_at IS NOT NULL"
    ).get() as Row
    return numOrNull(row.at ?? null)
  }

  inState(state: DlqState): DlqEntry[] {
    return (this.#stmt(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE state = ?`).all(state) as Row[]).map(rowToEntry)
  }

  page(query: DlqPageQuery): { entries: Array<DlqEntry & { seq: number }>; total: number } {
    const condition = filterCondition(query.filter)
    const total = num((this.#stmt(`SELECT count(*) AS n FROM entries e WHERE ${condition.sql}`).get(...condition.params) as Row).n)
    const keyset = query.after === null ? '' : ' AND (e.last_failed_at < ? OR (e.last_failed_at = ? AND e.seq < ?))'
    const keyParams = query.after === null ? [] : [query.after.lastFailedAtMs, query.after.lastFailedAtMs, query.after.seq]
    const rows = this.#stmt(
      `SELECT e.seq, ${ENTRY_COLUMNS.replace(/(\w+)/g, 'e.$1')} FROM entries e WHERE ${condition.sql}${keyset}
       ORDER BY e.last_failed_at DESC, e.seq DESC LIMIT ?`
    ).all(...condition.params, ...keyParams, query.limit) as Row[]
    return { entries: rows.map((row) => ({ ...rowToEntry(row), seq: num(row.seq) })), total }
  }

  matchingIds(filter: DlqFilter): string[] {
    const condition = filterCondition(filter)
    const rows = this.#stmt(`SELECT e.id FROM entries e WHERE ${condition.sql} ORDER BY e.seq`).all(...condition.params) as Row[]
    return rows.map((row) => str(row.id))
  }

  errorGroups(filter: DlqFilter): DlqErrorGroup[] {
    const condition = filterCondition(filter)
    const rows = this.#stmt(
      `SELECT e.signature AS signature, count(*) AS n, min(e.first_failed_at) AS first_seen,
         max(e.last_failed_at) AS last_seen, max(e.last_error_message) AS sample
       FROM entries e WHERE ${condition.sql} GROUP BY e.signature ORDER BY n DESC, last_seen DESC LIMIT 500`
    ).all(...condition.params) as Row[]
    return rows.map((row) => {
      const parsed = parseSignature(str(row.signature))
      return {
        signature: parsed.signature,
        code: parsed.code,
        platform: parsed.platform,
        pattern: parsed.pattern,
        count: num(row.n),
        firstSeenMs: num(row.first_seen),
        lastSeenMs: num(row.last_seen),
        sampleMessage: strOrNull(row.sample) ?? ''
      }
    })
  }

  countsByState(): Record<DlqState, number> {
    const counts: Record<DlqState, number> = { pending: 0, retrying: 0, resolved: 0, dead: 0, discarded: 0 }
    for (const row of this.#stmt('SELECT state, count(*) AS n FROM entries GROUP BY state').all() as Row[]) {
      counts[str(row.state) as DlqState] = num(row.n)
    }
    return counts
  }

  deleteExpired(state: 'resolved' | 'discarded', beforeMs: number): string[] {
    const column = state === 'resolved' ? 'resolved_at' : 'discarded_at'
    const rows = this.#stmt(`SELECT seq, id FROM entries WHERE state = ? AND ${column} < ?`).all(state, beforeMs) as Row[]
    for (const row of rows) {
      this.#stmt('DELETE FROM entries_fts WHERE rowid = ?').run(row.seq ?? null)
      this.#stmt('DELETE FROM entries WHERE seq = ?').run(row.seq ?? null)
    }
    return rows.map((row) => str(row.id))
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close()
  }
}
