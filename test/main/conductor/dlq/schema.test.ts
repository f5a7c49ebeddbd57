/** The write-ahead inbox holds exactly an entry's columns, and the row mapping names exactly those columns. */
import { describe, expect, it } from 'vitest'
import { openDlqDatabase } from '../../../../src/main/conductor/dlq/sqlite-open.ts'
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
})
