/**
 * Opening the DLQ database: durability pragmas, integrity check, versioned migrations (`PRAGMA user_version`).
 * A newer schema refuses to start (a downgrade must not scribble over data it does not understand); a corrupt
 * or unreadable file is moved aside — never deleted — and a fresh store starts.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs'
import { dirname } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import type { ConductorError } from '../../../shared/errors.ts'
import { err, ok, type Result } from '../../../shared/result.ts'

/** The schema version this code writes. Bump it and append a migration; never edit an old one. */
export const DLQ_SCHEMA_VERSION = 2

/**
 * An entry's columns after `seq` and `id`, as schema v1 created them in both `entries` and its write-ahead
 * `inbox` (one row there is one entry not yet materialised, so both must hold the same columns). Frozen with
 * migration 1: a later schema adds a column in its own migration, to both tables.
 */
const V1_ENTRY_COLUMNS = `state TEXT NOT NULL,
     platform TEXT,
     rule_id TEXT,
     request_json TEXT NOT NULL,
     original_json TEXT,
     attempt_count INTEGER NOT NULL,
     max_attempts INTEGER NOT NULL,
     round INTEGER NOT NULL,
     next_attempt_at INTEGER,
     last_delay_ms INTEGER,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     first_failed_at INTEGER NOT NULL,
     last_failed_at INTEGER NOT NULL,
     last_error_code TEXT,
     last_error_message TEXT,
     signature TEXT NOT NULL,
     dead_reason TEXT,
     discard_reason TEXT,
     discarded_at INTEGER,
     discarded_from TEXT,
     resolved_at INTEGER`

export const DLQ_MIGRATIONS: readonly string[] = [
  // 0 -> 1
  `CREATE TABLE entries (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     ${V1_ENTRY_COLUMNS}
   );
   CREATE INDEX entries_due ON entries(state, next_attempt_at);
   CREATE INDEX entries_state_failed ON entries(state, last_failed_at, seq);
   CREATE INDEX entries_platform_failed ON entries(platform, last_failed_at, seq);
   CREATE INDEX entries_signature_failed ON entries(signature, last_failed_at, seq);
   CREATE INDEX entries_failed ON entries(last_failed_at, seq);
   CREATE TABLE attempts (
     entry_seq INTEGER NOT NULL,
     ord INTEGER NOT NULL,
     at_ms INTEGER NOT NULL,
     duration_ms INTEGER NOT NULL,
     origin TEXT NOT NULL,
     outcome TEXT NOT NULL,
     round INTEGER NOT NULL,
     n INTEGER,
     platform TEXT,
     instance_id TEXT,
     error_json TEXT,
     note TEXT,
     PRIMARY KEY (entry_seq, ord)
   ) WITHOUT ROWID;
   CREATE TABLE actions (
     id INTEGER PRIMARY KEY,
     at_ms INTEGER NOT NULL,
     kind TEXT NOT NULL,
     entry_id TEXT,
     reason TEXT,
     detail_json TEXT NOT NULL
   );
   CREATE INDEX actions_entry ON actions(entry_id, id);
   CREATE TABLE inbox (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL,
     ${V1_ENTRY_COLUMNS},
     attempts_json TEXT NOT NULL,
     fts_errors TEXT NOT NULL,
     fts_payload TEXT NOT NULL
   );
   CREATE VIRTUAL TABLE entries_fts USING fts5(errors, payload, tokenize = 'trigram');`,
  // 1 -> 2: the full-text index keeps which entries hold a trigram, not where (detail = none), and no
  // per-row sizes (columnsize = 0, only ranking reads them). Positions doubled what every materialised entry
  // cost to index (~30 -> ~14 us per entry, ~12 without the sizes; measured here) for nothing a search needs:
  // a search finds its candidates by their trigrams and checks the text itself (see sqlite-filter.ts).
  `CREATE VIRTUAL TABLE entries_fts_v2 USING fts5(errors, payload, tokenize = 'trigram', detail = none, columnsize = 0);
   INSERT INTO entries_fts_v2 (rowid, errors, payload) SELECT rowid, errors, payload FROM entries_fts;
   DROP TABLE entries_fts;
   ALTER TABLE entries_fts_v2 RENAME TO entries_fts;`
]

export interface OpenedDatabase {
  db: DatabaseSync
  /** Set when a corrupt or unreadable file was moved aside and a fresh store started. */
  recovered: { reason: string; movedTo: string[] } | null
}

class NewerSchemaError extends Error {}
class IntegrityError extends Error {}

// SQLite primary result codes that mean "this file is damaged or not ours to read": SQLITE_CORRUPT,
// SQLITE_CANTOPEN, SQLITE_NOTADB. Anything else (SQLITE_BUSY from another process holding the file, a missing
// module in this SQLite build, a full disk) is not the file's fault: moving it aside would hide good data.
const DAMAGED_FILE_CODES = new Set([11, 14, 26])

/** Whether an open failure means the file itself is unusable (then it is moved aside), not the environment. */
export function isDamagedFile(cause: unknown): boolean {
  if (cause instanceof IntegrityError) return true
  const errcode = (cause as { errcode?: unknown } | null)?.errcode
  return typeof errcode === 'number' && DAMAGED_FILE_CODES.has(errcode & 0xff)
}

function configure(db: DatabaseSync, walAutocheckpointPages: number): void {
  db.exec('PRAGMA journal_mode = WAL')
  db.exec('PRAGMA synchronous = FULL')
  db.exec(`PRAGMA wal_autocheckpoint = ${Math.floor(walAutocheckpointPages)}`)
  const check = db.prepare('PRAGMA quick_check(1)').get() as { quick_check?: string } | undefined
  if (check?.quick_check !== 'ok') throw new IntegrityError(`integrity check failed: ${check?.quick_check ?? 'no answer'}`)
}

function migrate(db: DatabaseSync): void {
  const { user_version: version } = db.prepare('PRAGMA user_version').get() as { user_version: number }
  if (version > DLQ_SCHEMA_VERSION) {
    throw new NewerSchemaError(
      `DLQ database schema version ${version} is newer than this Conductor supports (${DLQ_SCHEMA_VERSION}); ` +
        'refusing to start so nothing is overwritten. Upgrade Conductor or point dlq.dbPath at another file.'
    )
  }
  for (let next = version; next < DLQ_SCHEMA_VERSION; next++) {
    db.exec('BEGIN IMMEDIATE')
    try {
      db.exec(DLQ_MIGRATIONS[next] ?? '')
      db.exec(`PRAGMA user_version = ${next + 1}`)
      db.exec('COMMIT')
    } catch (cause) {
      db.exec('ROLLBACK')
      throw cause
    }
  }
}

/**
 * `conductor_fold(text)`: the case folding a search compares with (JavaScript's `toLowerCase`, so `École`
 * matches `école`; SQLite's own LIKE and lower() fold ASCII only). Absent where node:sqlite cannot register
 * functions (Node < 22.13); searches then fall back to LIKE (see sqlite-filter.ts).
 */
function registerFold(db: DatabaseSync): void {
  if (typeof db.function !== 'function') return
  db.function('conductor_fold', { deterministic: true }, (value) => (typeof value === 'string' ? value.toLowerCase() : value))
}

/** Whether `registerFold` could register `conductor_fold` on this connection. */
export function hasFold(db: DatabaseSync): boolean {
  try {
    db.prepare("SELECT conductor_fold('A') AS a").get()
    return true
  } catch {
    return false
  }
}

function openOnce(path: string, walAutocheckpointPages: number, busyTimeoutMs: number): DatabaseSync {
  const db = new DatabaseSync(path, { timeout: busyTimeoutMs })
  try {
    configure(db, walAutocheckpointPages)
    migrate(db)
    registerFold(db)
    return db
  } catch (cause) {
    db.close()
    throw cause
  }
}

function moveAside(path: string, stamp: number): string[] {
  const moved: string[] = []
  for (const suffix of ['', '-wal', '-shm']) {
    const from = path + suffix
    if (!existsSync(from)) continue
    const to = `${path}.corrupt-${stamp}${suffix}`
    renameSync(from, to)
    moved.push(to)
  }
  return moved
}

/** Opens (creating if needed) the database at `path`; `:memory:` works for throwaway stores. */
export function openDlqDatabase(
  path: string,
  nowMs: number,
  options: { walAutocheckpointPages?: number; busyTimeoutMs?: number } = {}
): Result<OpenedDatabase, ConductorError> {
  const wal = options.walAutocheckpointPages ?? 1_000
  const busy = options.busyTimeoutMs ?? 5_000
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  try {
    return ok({ db: openOnce(path, wal, busy), recovered: null })
  } catch (cause) {
    if (cause instanceof NewerSchemaError) return err({ code: 'DLQ_UNAVAILABLE', message: cause.message })
    const reason = cause instanceof Error ? cause.message : String(cause)
    if (path === ':memory:' || !isDamagedFile(cause)) {
      return err({ code: 'DLQ_UNAVAILABLE', message: `DLQ database ${path} could not be opened: ${reason}` })
    }
    let movedTo: string[]
    try {
      movedTo = moveAside(path, nowMs)
    } catch (moveCause) {
      const why = moveCause instanceof Error ? moveCause.message : String(moveCause)
      return err({ code: 'DLQ_UNAVAILABLE', message: `DLQ database ${path} unusable (${reason}); moving it aside failed: ${why}` })
    }
    try {
      return ok({ db: openOnce(path, wal, busy), recovered: { reason, movedTo } })
    } catch (again) {
      const why = again instanceof Error ? again.message : String(again)
      return err({ code: 'DLQ_UNAVAILABLE', message: `DLQ database ${path} could not be created: ${why}` })
    }
  }
}
