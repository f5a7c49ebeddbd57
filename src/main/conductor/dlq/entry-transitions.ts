/**
 * The state machine of one entry, as pure functions: given an entry and what happened, the next entry and the
 * attempt to record. No I/O, no clock of its own — the queue passes `nowMs` and the random source.
 *
 *   pending --(replay taken)--> retrying --delivered--> resolved
 *                                        --failed, attempts left--> pending (next time by backoff)
 *                                        --failed, last attempt--> dead (stays)
 *                                        --deferred--> pending (no attempt counted)
 *                                        --invalid--> dead (with the reason)
 *   pending | retrying | dead --discard(reason)--> discarded --undo--> previous state
 *   dead --manual retry--> pending with a new round and a fresh attempt count
 */
import type { DlqAttempt, DlqEntry } from '../../../shared/dlq.ts'
import type { ConductorError } from '../../../shared/errors.ts'
import { backoffCeilingMs, backoffDelayMs } from './backoff.ts'
import { entryIdOf, type DeadLetterInput, type ReplayOutcome } from './dead-letter-port.ts'
import type { DlqConfig } from './dlq-config.ts'
import { errorSignature } from './error-signature.ts'

export interface TransitionContext {
  nowMs: number
  config: DlqConfig
  random: () => number
}

function signatureOf(error: ConductorError | null, platform: string | null): string {
  return error === null ? `UNKNOWN|${platform ?? '-'}|` : errorSignature(error.code, error.message, platform).signature
}

/** Schedules replay number `attemptCount + 1` from `nowMs`. */
function scheduleNext(entry: DlqEntry, ctx: TransitionContext): Pick<DlqEntry, 'nextAttemptAtMs' | 'lastDelayMs'> {
  const delayMs = backoffDelayMs(ctx.config.backoff, entry.attemptCount + 1, entry.lastDelayMs, ctx.random)
  return { nextAttemptAtMs: ctx.nowMs + delayMs, lastDelayMs: delayMs }
}

export function createEntry(input: DeadLetterInput, ctx: TransitionContext): { entry: DlqEntry; attempts: DlqAttempt[] } {
  const attempts: DlqAttempt[] = input.attempts.map((a) => ({
    atMs: a.atMs,
    durationMs: a.durationMs,
    origin: 'router',
    outcome: 'failed',
    round: 0,
    n: null,
    platform: a.platform,
    instanceId: a.instanceId,
    error: a.error,
    note: null
  }))
  const last = input.attempts.at(-1) ?? null
  const platform = input.route.platform
  const base: DlqEntry = {
    id: entryIdOf(input),
    state: 'pending',
    platform,
    ruleId: input.route.ruleId,
    request: input.request,
    originalRequest: null,
    attemptCount: 0,
    maxAttempts: ctx.config.maxAttempts,
    round: 0,
    nextAttemptAtMs: null,
    lastDelayMs: null,
    createdAtMs: ctx.nowMs,
    updatedAtMs: ctx.nowMs,
    firstFailedAtMs: input.attempts[0]?.atMs ?? ctx.nowMs,
    lastFailedAtMs: last?.atMs ?? ctx.nowMs,
    lastError: last === null ? null : { code: last.error.code, message: last.error.message },
    signature: signatureOf(last?.error ?? null, platform),
    deadReason: null,
    discard: null,
    resolvedAtMs: null
  }
  return { entry: { ...base, ...scheduleNext(base, ctx) }, attempts }
}

/**
 * A request whose entry had already ended (`resolved`, `discarded`) failed again under the same id: the entry
 * opens a new round with the new request and failures, so the new failure is retried, not dropped as a
 * duplicate. Entries still live (`pending`, `retrying`, `dead`) keep enqueue idempotent and return null.
 */
export function reopenEntry(
  entry: DlqEntry,
  input: DeadLetterInput,
  ctx: TransitionContext
): { entry: DlqEntry; attempts: DlqAttempt[] } | null {
  if (entry.state !== 'resolved' && entry.state !== 'discarded') return null
  const fresh = createEntry(input, ctx)
  const round = entry.round + 1
  const reopened: DlqEntry = {
    ...fresh.entry,
    createdAtMs: entry.createdAtMs,
    firstFailedAtMs: entry.firstFailedAtMs,
    round
  }
  return { entry: reopened, attempts: fresh.attempts.map((attempt) => ({ ...attempt, round })) }
}

export function markRetrying(entry: DlqEntry, nowMs: number): DlqEntry {
  return { ...entry, state: 'retrying', updatedAtMs: nowMs }
}

/**
 * Applies a replay's outcome. If a person changed the entry while the replay was in flight (it is no longer
 * `retrying`), the attempt is still recorded but only a delivery changes the state (it did get delivered).
 */
export function applyReplayOutcome(
  entry: DlqEntry,
  outcome: ReplayOutcome,
  startedAtMs: number,
  ctx: TransitionContext
): { entry: DlqEntry; attempt: DlqAttempt } {
  const nowMs = ctx.nowMs
  const counts = outcome.kind === 'delivered' || outcome.kind === 'failed'
  const n = counts ? entry.attemptCount + 1 : null
  const replayAttempt = outcome.kind === 'delivered' || outcome.kind === 'failed' ? outcome.attempt : null
  const error = outcome.kind === 'failed' || outcome.kind === 'invalid' ? outcome.kind === 'failed' ? outcome.attempt.error : outcome.error : null
  const attempt: DlqAttempt = {
    atMs: replayAttempt?.atMs ?? startedAtMs,
    durationMs: replayAttempt?.durationMs ?? Math.max(0, nowMs - startedAtMs),
    origin: 'replay',
    outcome: outcome.kind,
    round: entry.round,
    n,
    platform: replayAttempt?.platform ?? entry.platform,
    instanceId: replayAttempt?.instanceId ?? null,
    error,
    note: outcome.kind === 'deferred' ? outcome.reason : null
  }
  const inFlight = entry.state === 'retrying'
  if (outcome.kind === 'delivered') {
    const next: DlqEntry = { ...entry, state: 'resolved', resolvedAtMs: nowMs, nextAttemptAtMs: null, updatedAtMs: nowMs }
    return { entry: inFlight ? { ...next, attemptCount: n ?? entry.attemptCount } : next, attempt }
  }
  if (!inFlight) return { entry, attempt }
  const touched = { ...entry, updatedAtMs: nowMs }
  if (outcome.kind === 'deferred') {
    const retryAt = outcome.retryAtMs !== null && outcome.retryAtMs > nowMs ? outcome.retryAtMs : null
    // No jitter floor of 0 here: an always-open breaker must not spin; wait at least the current ceiling.
    const nextAttemptAtMs = retryAt ?? nowMs + backoffCeilingMs(ctx.config.backoff, entry.attemptCount + 1)
    return { entry: { ...touched, state: 'pending', nextAttemptAtMs }, attempt }
  }
  const failure = {
    lastFailedAtMs: attempt.atMs,
    lastError: error === null ? touched.lastError : { code: error.code, message: error.message },
    signature: error === null ? touched.signature : signatureOf(error, attempt.platform ?? entry.platform)
  }
  if (outcome.kind === 'invalid') {
    const deadReason = `invalid: ${outcome.error.message}`
    return { entry: { ...touched, ...failure, state: 'dead', deadReason, nextAttemptAtMs: null }, attempt }
  }
  const failed: DlqEntry = { ...touched, ...failure, attemptCount: n ?? entry.attemptCount }
  if (failed.attemptCount >= failed.maxAttempts) {
    const deadReason = `exhausted ${failed.maxAttempts} attempts`
    return { entry: { ...failed, state: 'dead', deadReason, nextAttemptAtMs: null }, attempt }
  }
  return { entry: { ...failed, state: 'pending', ...scheduleNext(failed, ctx) }, attempt }
}

/** Why an operator action does not apply to an entry in its current state, or null if it does. */
export type Refusal = 'inFlight' | 'resolved' | 'discarded' | 'notDiscarded' | 'reasonRequired'

export function manualRetry(entry: DlqEntry, ctx: TransitionContext): DlqEntry | Refusal {
  if (entry.state === 'retrying') return 'inFlight'
  if (entry.state === 'resolved') return 'resolved'
  if (entry.state === 'discarded') return 'discarded'
  const base = { ...entry, state: 'pending' as const, nextAttemptAtMs: ctx.nowMs, updatedAtMs: ctx.nowMs }
  if (entry.state === 'pending') return base
  return {
    ...base,
    round: entry.round + 1,
    attemptCount: 0,
    maxAttempts: ctx.config.maxAttempts,
    lastDelayMs: null,
    deadReason: null
  }
}

export function discardEntry(entry: DlqEntry, reason: string, nowMs: number): DlqEntry | Refusal {
  if (reason.trim() === '') return 'reasonRequired'
  if (entry.state === 'resolved') return 'resolved'
  if (entry.state === 'discarded') return 'discarded'
  return {
    ...entry,
    state: 'discarded',
    discard: { reason, atMs: nowMs, previousState: entry.state },
    nextAttemptAtMs: null,
    updatedAtMs: nowMs
  }
}

/**
 * `replayInFlight`: the replay taken before the discard has not finished yet. The entry then goes back to
 * `retrying`, so that replay's outcome applies as usual and the scheduler does not start a second one.
 */
export function undoDiscard(entry: DlqEntry, nowMs: number, replayInFlight = false): DlqEntry | Refusal {
  if (entry.state !== 'discarded' || entry.discard === null) return 'notDiscarded'
  const back = entry.discard.previousState
  const restored = { ...entry, discard: null, updatedAtMs: nowMs }
  if (back === 'dead') return { ...restored, state: 'dead' }
  if (replayInFlight) return { ...restored, state: 'retrying' }
  // A pending (or in-flight) entry comes back due now: the time it waited while discarded counts as waited.
  return { ...restored, state: 'pending', nextAttemptAtMs: nowMs }
}

export function editPayload(entry: DlqEntry, request: Record<string, unknown>, nowMs: number): DlqEntry | Refusal {
  if (entry.state === 'retrying') return 'inFlight'
  if (entry.state === 'resolved') return 'resolved'
  // The request keeps its own id (a fan-out platform's entry id is not a request id).
  const requestId = typeof entry.request.id === 'string' ? entry.request.id : entry.id
  // An edit that leaves `target` out keeps the entry's: one platform's part of a fan-out is stored targeting
  // that platform, and dropping the target would send the retry to every platform of the rule again,
  // including those that already answered. A different target must be written out to take effect.
  const kept = request.target === undefined && entry.request.target !== undefined ? { target: entry.request.target } : {}
  return { ...entry, request: { ...request, ...kept, id: requestId }, originalRequest: entry.originalRequest ?? entry.request, updatedAtMs: nowMs }
}
