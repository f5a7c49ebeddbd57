/**
 * Turns a structured `DlqFilter` into a parameterised SQL condition over `entries e`. Full text is a
 * case-insensitive substring match over error text and payload. For terms of three characters or more the FTS5
 * trigram index (which records which entries hold a trigram, not where: `detail = none`) finds the entries that
 * hold every trigram of the term, and the text of those is checked for the term itself; shorter terms fall
 * back to a LIKE scan of the same table.
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

/** At most this many of a term's trigrams go to the index: any of them narrow the candidates, the text check decides. */
const MAX_TRIGRAMS = 24

/** The term's distinct trigrams (by code point) as an FTS5 query: each a quoted one-token string, all required. */
export function trigramQuery(term: string): string {
  const chars = [...term]
  const all = new Set<string>()
  for (let i = 0; i + 3 <= chars.length; i++) all.add(chars.slice(i, i + 3).join(''))
  const distinct = [...all]
  // Spread over the whole term rather than its start, so a long term still narrows by its end.
  const picked = distinct.length <= MAX_TRIGRAMS ? distinct : Array.from({ length: MAX_TRIGRAMS }, (_, i) => distinct[Math.floor((i * (distinct.length - 1)) / (MAX_TRIGRAMS - 1))] as string)
  return picked.map((trigram) => `"${trigram.replace(/"/g, '""')}"`).join(' AND ')
}

export interface FilterOptions {
  /** `conductor_fold` is registered on the connection (see sqlite-open.ts); without it the check is LIKE. */
  fold: boolean
}

export function filterCondition(filter: DlqFilter, options: FilterOptions = { fold: false }): SqlCondition {
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
      if (options.fold) {
        parts.push('e.seq IN (SELECT rowid FROM entries_fts WHERE entries_fts MATCH ? AND (instr(conductor_fold(errors), ?) > 0 OR instr(conductor_fold(payload), ?) > 0))')
        const needle = filter.text.toLowerCase()
        params.push(trigramQuery(filter.text), needle, needle)
      } else {
        const like = `%${escapeLike(filter.text)}%`
        parts.push("e.seq IN (SELECT rowid FROM entries_fts WHERE entries_fts MATCH ? AND (errors LIKE ? ESCAPE '\\' OR payload LIKE ? ESCAPE '\\'))")
        params.push(trigramQuery(filter.text), like, like)
      }
    } else {
      const like = `%${escapeLike(filter.text)}%`
      parts.push("e.seq IN (SELECT rowid FROM entries_fts WHERE errors LIKE ? ESCAPE '\\' OR payload LIKE ? ESCAPE '\\')")
      params.push(like, like)
    }
  }
  return { sql: parts.length === 0 ? '1' : parts.join(' AND '), params }
}
