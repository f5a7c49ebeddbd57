/** Row <-> object mapping for the SQLite DLQ store. */
import type { SQLInputValue } from 'node:sqlite'
import type { DlqAttempt, DlqEntry, DlqOperatorAction, DlqState } from '../../../shared/dlq.ts'

export type Row = Record<string, SQLInputValue>

export const ENTRY_COLUMNS = `id, state, platform, rule_id, request_json, original_json, attempt_count, max_attempts, round,
  next_attempt_at, last_delay_ms, created_at, updated_at, first_failed_at, last_failed_at, last_error_code,
  last_error_message, signature, dead_reason, discard_reason, discarded_at, discarded_from, resolved_at`

export const str = (v: SQLInputValue): string => v as string
export const num = (v: SQLInputValue): number => v as number
export const strOrNull = (v: SQLInputValue): string | null => (v === null ? null : (v as string))
export const numOrNull = (v: SQLInputValue): number | null => (v === null ? null : (v as number))

export function rowToEntry(row: Row): DlqEntry {
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

/** `requestJson`, when given, must be `JSON.stringify(e.request)` (the caller already has it). */
export function entryParams(e: DlqEntry, requestJson = JSON.stringify(e.request)): SQLInputValue[] {
  return [
    e.id, e.state, e.platform, e.ruleId, requestJson,
    e.originalRequest === null ? null : JSON.stringify(e.originalRequest),
    e.attemptCount, e.maxAttempts, e.round, e.nextAttemptAtMs, e.lastDelayMs, e.createdAtMs, e.updatedAtMs,
    e.firstFailedAtMs, e.lastFailedAtMs, e.lastError?.code ?? null, e.lastError?.message ?? null, e.signature,
    e.deadReason, e.discard?.reason ?? null, e.discard?.atMs ?? null, e.discard?.previousState ?? null,
    e.resolvedAtMs
  ]
}

export function rowToAttempt(row: Row): DlqAttempt {
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

export function rowToAction(row: Row): DlqOperatorAction {
  return {
    id: num(row.id),
    atMs: num(row.at_ms),
    kind: str(row.kind) as DlqOperatorAction['kind'],
    entryId: strOrNull(row.entry_id),
    reason: strOrNull(row.reason),
    detail: JSON.parse(str(row.detail_json)) as Record<string, unknown>
  }
}

export function errorText(attempt: DlqAttempt): string {
  return attempt.error === null ? '' : `${attempt.error.code}: ${attempt.error.message}\n`
}

function leafValues(value: unknown, out: string[]): void {
  if (value === null || value === undefined) return
  if (typeof value === 'object') {
    for (const item of Object.values(value as Record<string, unknown>)) leafValues(item, out)
  } else {
    out.push(String(value))
  }
}

/**
 * What full-text search sees of a payload: its leaf values (not the JSON keys and punctuation, which would
 * double the trigram index for nothing), the edited payload and the original one.
 */
export function payloadText(entry: DlqEntry): string {
  const out: string[] = []
  leafValues(entry.request, out)
  if (entry.originalRequest !== null) leafValues(entry.originalRequest, out)
  return out.join('\n')
}

