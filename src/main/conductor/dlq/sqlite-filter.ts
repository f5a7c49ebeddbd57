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
  if (filter.states !== undefined) {
    if (filter.states.length === 0) parts.push('0')
    else {
      parts.push(`e.state IN (${placeholders(filter.states.length)})`)
      params.push(...filter.states)
    }
  }
  if (filter.platforms !== undefined) {
    if (filter.platforms.length === 0) parts.push('0')
    else {
      parts.push(`e.platform IN (${placeholders(filter.platforms.length)})`)
      params.push(...filter.platforms)
    }
  }
  if (filter.signature !== undefined) {
    parts.push('e.signature = ?')
    params.push(filter.signature)
  }
  if (filter.fromMs !== undefined) {
    parts.push('e.last_failed_at >= ?')
    params.push(filter.fromMs)
  }
  if (filter.toMs !== undefined) {
    parts.push('e.last_failed_at <= ?')
    params.push(filter.toMs)
  }
  if (filter.minAttempts !== undefined) {
    parts.push('e.attempt_count >= ?')
    params.push(filter.minAttempts)
  }
  if (filter.maxAttempts !== undefined) {
    parts.push('e.attempt_count <= ?')
    params.push(filter.maxAttempts)
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
