/**
 * `DlqStore` on `node:sqlite` (WAL, synchronous=FULL). Entries keep their searchable text (every error message
 * and the payload) in an FTS5 trigram table keyed by the entry's `seq`.
 *
 * Inbox: a new entry is made durable as ONE row in `inbox` (a plain rowid table: fewer page writes than even a
 * one-row insert into a table with a text key; the inbox's ids are kept in memory for the idempotency check),
 * so the fsync'd enqueue commit stays small. It is materialised into `entries`,
 * `attempts`, the filter indexes and the FTS table later, in batches, by a transaction that does not fsync on
 * its own (synchronous=NORMAL): if power fails before the next fsync, that batch rolls back as a whole and the
 * rows are still in the inbox. Every read materialises first, so readers never see the difference.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite'
import type { DlqAttempt, DlqEntry, DlqErrorGroup, DlqFilter, DlqOperatorAction, DlqState } from '../../../shared/dlq.ts'
import type { DlqPageQuery, DlqStore } from './dlq-store.ts'
import { parseSignature } from './error-signature.ts'
import { filterCondition } from './sqlite-filter.ts'
import { hasFold } from './sqlite-open.ts'
import {
  ENTRY_COLUMNS, entryParams, errorText, num, numOrNull, payloadText, rowToAction, rowToAttempt, rowToEntry, str,
  strOrNull, type Row
} from './sqlite-rows.ts'

const COLUMN_NAMES = ENTRY_COLUMNS.split(',').map((c) => c.trim())
// attempts_json is kept as JSONB (SQLite's binary JSON): materialising reads ten fields of every attempt, and
// looking them up in JSONB skips re-parsing the attempt's JSON text for each field (about 5 us per entry).
// jsonb_each reads rows written as JSON text by earlier versions just as well.
const INSERT_INBOX = `INSERT INTO inbox (${ENTRY_COLUMNS}, attempts_json, fts_errors, fts_payload)
  VALUES (${Array.from({ length: COLUMN_NAMES.length }, () => '?').join(', ')}, jsonb(?), ?, ?)`
/** Every column but `id`, which finds the row. */
const UPDATE_ENTRY = `UPDATE entries SET ${COLUMN_NAMES.slice(1).map((c) => `${c} = ?`).join(', ')} WHERE id = ?`

export class SqliteDlqStore implements DlqStore {
  readonly #db: DatabaseSync
  readonly #cache = new Map<string, StatementSync>()
  readonly #inboxBatch: number
  /** Ids of the rows in `inbox` (it only ever holds a few hundred). */
  #inboxIds: Set<string>
  #catchUpScheduled = false
  /** `conductor_fold` is there for searches (see sqlite-open.ts). */
  readonly #fold: boolean

  /** `inboxBatch`: inbox rows that trigger a background materialisation (reads always materialise first). */
  constructor(db: DatabaseSync, options: { inboxBatch?: number } = {}) {
    this.#db = db
    this.#fold = hasFold(db)
    this.#inboxBatch = options.inboxBatch ?? 256
    this.#inboxIds = this.#loadInboxIds()
    this.#catchUp()
  }

  #loadInboxIds(): Set<string> {
    return new Set((this.#stmt('SELECT id FROM inbox').all() as Row[]).map((row) => str(row.id)))
  }

  /** Moves every inbox row into the entry tables, oldest first. */
  #catchUp(): void {
    if (this.#inboxIds.size === 0) return
    if (this.#db.isTransaction) {
      this.#drainInbox()
      return
    }
    this.#db.exec('PRAGMA synchronous = NORMAL')
    try {
      this.transaction(() => this.#drainInbox())
    } finally {
      this.#db.exec('PRAGMA synchronous = FULL')
    }
  }

  /** Set-based: three INSERT ... SELECT statements move the whole inbox, with no per-row round trips. */
  #drainInbox(): void {
    this.#stmt(`INSERT INTO entries (${ENTRY_COLUMNS}) SELECT ${ENTRY_COLUMNS} FROM inbox ORDER BY seq`).run()
    this.#stmt(
      `INSERT INTO attempts (entry_seq, ord, at_ms, duration_ms, origin, outcome, round, n, platform, instance_id,
         error_json, note)
       SELECT e.seq, j.key, j.value ->> 'atMs', j.value ->> 'durationMs', j.value ->> 'origin', j.value ->> 'outcome',
         j.value ->> 'round', j.value ->> 'n', j.value ->> 'platform', j.value ->> 'instanceId', j.value ->> 'error',
         j.value ->> 'note'
       FROM inbox i JOIN entries e ON e.id = i.id, jsonb_each(i.attempts_json) j`
    ).run()
    this.#stmt(
      `INSERT INTO entries_fts (rowid, errors, payload)
       SELECT e.seq, i.fts_errors, i.fts_payload FROM inbox i JOIN entries e ON e.id = i.id`
    ).run()
    this.#stmt('DELETE FROM inbox').run()
    this.#inboxIds.clear()
  }

  #scheduleCatchUp(): void {
    if (this.#catchUpScheduled) return
    this.#catchUpScheduled = true
    setImmediate(() => {
      this.#catchUpScheduled = false
      if (!this.#db.isOpen || this.#db.isTransaction) return
      try {
        this.#catchUp()
      } catch {
        // Nothing is lost (the rows stay in the inbox); the next read retries and reports the error to its caller.
      }
    })
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
    this.#catchUp()
    const row = this.#stmt('SELECT seq FROM entries WHERE id = ?').get(id) as Row | undefined
    return row === undefined ? null : num(row.seq)
  }

  transaction<T>(fn: () => T): T {
    // Prepared once (not `exec`, which parses the statement again on every commit).
    this.#stmt('BEGIN IMMEDIATE').run()
    try {
      const value = fn()
      this.#stmt('COMMIT').run()
      return value
    } catch (cause) {
      if (this.#db.isTransaction) this.#stmt('ROLLBACK').run()
      this.#inboxIds = this.#loadInboxIds()
      throw cause
    }
  }

  has(id: string): boolean {
    return (
      this.#stmt('SELECT 1 FROM entries WHERE id = ?').get(id) !== undefined ||
      this.#inboxIds.has(id)
    )
  }

  get(id: string): DlqEntry | null {
    this.#catchUp()
    const row = this.#stmt(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE id = ?`).get(id) as Row | undefined
    return row === undefined ? null : rowToEntry(row)
  }

  insert(entry: DlqEntry, attempts: readonly DlqAttempt[], requestJson?: string): void {
    this.#stmt(INSERT_INBOX).run(
      ...entryParams(entry, requestJson), JSON.stringify(attempts), attempts.map(errorText).join(''), payloadText(entry)
    )
    this.#inboxIds.add(entry.id)
    if (this.#inboxIds.size >= this.#inboxBatch) this.#scheduleCatchUp()
  }

  update(entry: DlqEntry, payloadChanged = false): void {
    this.#catchUp()
    const [, ...rest] = entryParams(entry)
    this.#stmt(UPDATE_ENTRY).run(...rest, entry.id)
    if (payloadChanged) {
      const seq = this.#seq(entry.id)
      this.#stmt('UPDATE entries_fts SET payload = ? WHERE rowid = ?').run(payloadText(entry), seq)
    }
  }

  #insertAttempt(seq: number, ord: number, a: DlqAttempt): void {
    this.#stmt(
      `INSERT INTO attempts (entry_seq, ord, at_ms, duration_ms, origin, outcome, round, n, platform, instance_id,
         error_json, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
    ).run(seq, ord, a.atMs, a.durationMs, a.origin, a.outcome, a.round, a.n, a.platform, a.instanceId,
      a.error === null ? null : JSON.stringify(a.error), a.note)
  }

  appendAttempt(id: string, attempt: DlqAttempt): void {
    const seq = this.#seq(id)
    if (seq === null) return
    const next = this.#stmt('SELECT coalesce(max(ord) + 1, 0) AS ord FROM attempts WHERE entry_seq = ?').get(seq) as Row
    this.#insertAttempt(seq, num(next.ord), attempt)
    const text = errorText(attempt)
    if (text !== '') this.#stmt('UPDATE entries_fts SET errors = errors || ? WHERE rowid = ?').run(text, seq)
  }

  attempts(id: string): DlqAttempt[] {
    this.#catchUp()
    const rows = this.#stmt(
      'SELECT a.* FROM attempts a JOIN entries e ON e.seq = a.entry_seq WHERE e.id = ? ORDER BY a.ord'
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
    this.#catchUp()
    const rows = this.#stmt(
      `SELECT ${ENTRY_COLUMNS} FROM entries WHERE state = 'pending' AND next_attempt_at <= ?
       ORDER BY next_attempt_at LIMIT ?`
    ).all(nowMs, limit) as Row[]
    return rows.map(rowToEntry)
  }

  nextDueAtMs(): number | null {
    this.#catchUp()
    const row = this.#stmt(
      "SELECT min(next_attempt_at) AS at FROM entries WHERE state = 'pending' AND next_attempt_at IS NOT NULL"
    ).get() as Row
    return numOrNull(row.at ?? null)
  }

  inState(state: DlqState): DlqEntry[] {
    this.#catchUp()
    return (this.#stmt(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE state = ?`).all(state) as Row[]).map(rowToEntry)
  }

  page(query: DlqPageQuery): { entries: Array<DlqEntry & { seq: number }>; total: number } {
    this.#catchUp()
    const condition = filterCondition(query.filter, { fold: this.#fold })
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
    this.#catchUp()
    const condition = filterCondition(filter, { fold: this.#fold })
    const rows = this.#stmt(`SELECT e.id FROM entries e WHERE ${condition.sql} ORDER BY e.seq`).all(...condition.params) as Row[]
    return rows.map((row) => str(row.id))
  }

  errorGroups(filter: DlqFilter): DlqErrorGroup[] {
    this.#catchUp()
    const condition = filterCondition(filter, { fold: this.#fold })
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
    this.#catchUp()
    const counts: Record<DlqState, number> = { pending: 0, retrying: 0, resolved: 0, dead: 0, discarded: 0 }
    for (const row of this.#stmt('SELECT state, count(*) AS n FROM entries GROUP BY state').all() as Row[]) {
      counts[str(row.state) as DlqState] = num(row.n)
    }
    return counts
  }

  deleteExpired(state: 'resolved' | 'discarded', beforeMs: number): string[] {
    this.#catchUp()
    const column = state === 'resolved' ? 'resolved_at' : 'discarded_at'
    const rows = this.#stmt(`SELECT seq, id FROM entries WHERE state = ? AND ${column} < ?`).all(state, beforeMs) as Row[]
    for (const row of rows) {
      this.#stmt('DELETE FROM entries_fts WHERE rowid = ?').run(row.seq ?? null)
      this.#stmt('DELETE FROM attempts WHERE entry_seq = ?').run(row.seq ?? null)
      this.#stmt('DELETE FROM entries WHERE seq = ?').run(row.seq ?? null)
    }
    return rows.map((row) => str(row.id))
  }

  close(): void {
    if (!this.#db.isOpen) return
    this.#catchUp()
    this.#db.close()
  }
}
