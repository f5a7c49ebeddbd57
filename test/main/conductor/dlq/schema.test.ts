/**
 * The write-ahead inbox holds exactly an entry's columns, and the row mapping names exactly those columns; a
 * version-1 file (full-text index with positions) is migrated in place and its entries are still found.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { describe, expect, it } from 'vitest'
import { filterCondition } from '../../../../src/main/conductor/dlq/sqlite-filter.ts'
import { DLQ_MIGRATIONS, DLQ_SCHEMA_VERSION, openDlqDatabase } from '../../../../src/main/conductor/dlq/sqlite-open.ts'
import { ENTRY_COLUMNS } from '../../../../src/main/conductor/dlq/sqlite-rows.ts'

describe('DLQ schema', () => {
  it('gives entries and inbox the same entry columns, and the row mapping reads and writes all of them', () => {
    const opened = openDlqDatabase(':memory:', 0)
    if (!opened.ok) throw new Error(opened.error.message)
    const db = opened.value.db
    try {
      const columns = (table: string) =>
        (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string; type: string; notnull: number }>).map((c) => `${c.name} ${c.type} ${c.notnull}`)
      const entries = columns('entries')
      const inbox = columns('inbox')
      expect(inbox.slice(0, entries.length)).toEqual(entries)
      expect(inbox.slice(entries.length).map((c) => c.split(' ')[0])).toEqual(['attempts_json', 'fts_errors', 'fts_payload'])
      const mapped = ENTRY_COLUMNS.split(',').map((c) => c.trim())
      expect(entries.map((c) => c.split(' ')[0])).toEqual(['seq', ...mapped])
      expect(mapped).toHaveLength(23)
    } finally {
      db.close()
    }
  })

  it('migrates a version-1 file: the full-text index keeps its entries without positions, and search finds them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'conductor-dlq-v1-'))
    const path = join(dir, 'dlq.db')
    try {
      const v1 = new DatabaseSync(path)
      v1.exec(DLQ_MIGRATIONS[0]!)
      v1.exec('PRAGMA user_version = 1')
      const columns = (v1.prepare('PRAGMA table_info(entries)').all() as Array<{ name: string; notnull: number }>).filter((c) => c.name !== 'seq')
      const values = columns.map((c) => (c.name === 'id' ? "'kept'" : c.name === 'state' ? "'pending'" : c.notnull ? "'0'" : 'NULL'))
      v1.exec(`INSERT INTO entries (seq, ${columns.map((c) => c.name).join(', ')}) VALUES (7, ${values.join(', ')})`)
      v1.exec("INSERT INTO entries_fts (rowid, errors, payload) VALUES (7, 'PLUGIN_ERROR: socket hang up', 'order 77')")
      v1.close()

      const opened = openDlqDatabase(path, 0)
      if (!opened.ok) throw new Error(opened.error.message)
      const db = opened.value.db
      try {
        expect(db.prepare('PRAGMA user_version').get()).toEqual({ user_version: DLQ_SCHEMA_VERSION })
        const sql = (db.prepare("SELECT sql FROM sqlite_master WHERE name = 'entries_fts'").get() as { sql: string }).sql
        expect(sql).toMatch(/detail = none, columnsize = 0/)
        const found = (text: string, fold: boolean) => {
          const condition = filterCondition({ text }, { fold })
          return (db.prepare(`SELECT e.id FROM entries e WHERE ${condition.sql}`).all(...condition.params) as Array<{ id: string }>).map((r) => r.id)
        }
        for (const fold of [true, false]) {
          expect(found('hang up', fold)).toEqual(['kept'])
          expect(found('up hang', fold)).toEqual([])
          expect(found('ORDER 77', fold)).toEqual(['kept'])
        }
      } finally {
        db.close()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
