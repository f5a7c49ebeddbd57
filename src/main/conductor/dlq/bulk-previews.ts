/**
 * Bulk preview tokens: a preview freezes the exact set of ids that matched a filter at time T; applying the
 * token acts on that set only (entries that arrived later are never touched). Tokens live in memory and expire.
 */
import { randomUUID } from 'node:crypto'
import type { DlqBulkAction, DlqFilter } from '../../../shared/dlq.ts'

export interface FrozenSelection {
  token: string
  action: DlqBulkAction
  filter: DlqFilter
  ids: readonly string[]
  asOfMs: number
  expiresAtMs: number
}

export class BulkPreviews {
  readonly #byToken = new Map<string, FrozenSelection>()
  readonly #ttlMs: number

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs
  }

  freeze(action: DlqBulkAction, filter: DlqFilter, ids: readonly string[], nowMs: number): FrozenSelection {
    this.#expire(nowMs)
    const selection = { token: randomUUID(), action, filter, ids, asOfMs: nowMs, expiresAtMs: nowMs + this.#ttlMs }
    this.#byToken.set(selection.token, selection)
    return selection
  }

  /** Takes the selection out (a token acts once); null if unknown or expired. */
  take(token: string, nowMs: number): FrozenSelection | null {
    this.#expire(nowMs)
    const selection = this.#byToken.get(token) ?? null
    this.#byToken.delete(token)
    return selection
  }

  #expire(nowMs: number): void {
    for (const [token, selection] of this.#byToken) if (selection.expiresAtMs <= nowMs) this.#byToken.delete(token)
  }
}
