/**
 * Turns a structured `DlqFilter` into a parameterised SQL condition over `entries e`. Full text goes through
 * the FTS5 trigram index (substring match, case-insensitive) for terms of three characters or more; shorter
 * terms fall back to a LIKE scan of the same table.
 */
import type { SQLInputValue } from 'node:sqlite'
import type { DlqFilter } from '../../../shared/dlq.ts'

export interface SqlCondition {
  sql: string
  params: SQLInputValue[]
}

function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ')
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`)
}

export function filterCondition(filter: DlqFilter): SqlCondition {
  const parts: string[] = []
  const params: SQLInputValue[] = []
  // An empty list matches nothing (`0`), an absent one does not filter.
  const lists: Array<[string, readonly string[] | undefined]> = [
    ['e.state', filter.states],
    ['e.platform', filter.platforms]
  ]
  for (const [column, values] of lists) {
    if (values === undefined) continue
    parts.push(values.length === 0 ? '0' : `${column} IN (${placeholders(values.length)})`)
    params.push(...values)
  }
  const comparisons: Array<[string, string | number | undefined]> = [
    ['e.signature = ?', filter.signature],
    ['e.last_failed_at >= ?', filter.fromMs],
    ['e.last_failed_at <= ?', filter.toMs],
    ['e.attempt_count >= ?', filter.minAttempts],
    ['e.attempt_count <= ?', filter.maxAttempts]
  ]
  for (const [sql, value] of comparisons) {
    if (value === undefined) continue
    parts.push(sql)
    params.push(value)
  }
  if (filter.text !== undefined) {
    if ([...filter.text].length >= 3) {
      parts.push('e.seq IN (SELECT rowid FROM entries_fts WHERE entries_fts MATCH ?)')
      params.push(`"${filter.text.replace(/"/g, '""')}"`)
    } else {
      const like = `%${escapeLike(filter.text)}%`
      parts.push("e.seq IN (SELECT rowid FROM entries_fts WHERE errors LIKE ? ESCAPE '\\' OR payload LIKE ? ESCAPE '\\')")
      params.push(like, like)
    }
  }
  return { sql: parts.length === 0 ? '1' : parts.join(' AND '), params }
}
