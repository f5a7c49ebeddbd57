/**
 * The seam between the router and the dead-letter queue. The router hands failures to a `DeadLetterSink`;
 * the queue sends retries back through a `RequestReplayer` (the router), so an open breaker can defer a retry
 * instead of burning an attempt.
 */
import type { ConductorError } from '../../../shared/errors.ts'
import type { Result } from '../../../shared/result.ts'

/** One failed delivery attempt, as the router saw it. */
export interface DeliveryAttempt {
  atMs: number
  durationMs: number
  platform: string | null
  instanceId: string | null
  error: ConductorError
}

export interface DeadLetterInput {
  /**
   * The entry's id, which makes enqueue idempotent; defaults to `request.id`. A fan-out stores each failed
   * platform as its own entry (`fanOutEntryId`), so a retry never re-delivers to a platform that succeeded.
   */
  entryId?: string
  /** The request as validated by the router (plain JSON). */
  request: { id: string } & Record<string, unknown>
  /** Where the router sent it. */
  route: { platform: string | null; ruleId: string | null }
  /** Every attempt so far, oldest first; the last one is why it is here. */
  attempts: DeliveryAttempt[]
}

/** The entry id of one failed platform of a fan-out: stable per request and platform (`@` is never in a request id). */
export function fanOutEntryId(requestId: string, platform: string): string {
  return `${requestId}@${platform}`
}

/** The id an input is stored under. */
export function entryIdOf(input: DeadLetterInput): string {
  return input.entryId ?? input.request.id
}

export interface DeadLetterSink {
  /** Resolves only once the entry is durable. Idempotent per entry id (`entryIdOf`). */
  enqueue(input: DeadLetterInput): Promise<Result<{ id: string }, ConductorError>>
}

export type ReplayOutcome =
  | { kind: 'delivered'; response: unknown; attempt: DeliveryAttempt | null }
  /** Executed and failed: counts as an attempt. */
  | { kind: 'failed'; attempt: DeliveryAttempt }
  /** Not executed (breaker open, no instance): does not count as an attempt; try again at `retryAtMs`. */
  | { kind: 'deferred'; reason: string; retryAtMs: number | null }
  /** The stored request no longer validates or has no route: never retry, move to dead with this reason. */
  | { kind: 'invalid'; error: ConductorError }

export interface RequestReplayer {
  replay(request: Record<string, unknown>, options?: { signal?: AbortSignal }): Promise<ReplayOutcome>
}
