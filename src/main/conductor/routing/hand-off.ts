/**
 * Hands a request's failed platforms to the dead-letter queue. A single-platform request is one entry under its
 * request id. A fan-out stores each failed platform as its own entry targeting only that platform, under an id
 * derived from the request id and the platform (`fanOutEntryId`, so enqueue stays idempotent): a retry then
 * never re-delivers to a platform that already succeeded, and one platform's recovery or death never decides
 * another's.
 */
import type { ConductorError } from '../../../shared/errors.ts'
import type { PlatformOutcome } from '../../../shared/routing.ts'
import { fanOutEntryId, type DeadLetterInput, type DeadLetterSink, type DeliveryAttempt } from '../dlq/dead-letter-port.ts'
import type { RoutePlan } from './plan.ts'
import type { RoutingMetrics } from './routing-metrics.ts'

export interface FailedDelivery {
  /** Gets its `dlqId` set here once stored. */
  outcome: Extract<PlatformOutcome, { ok: false }>
  attempt: DeliveryAttempt
}

export interface HandOffResult {
  /** The first stored entry's id (for a fan-out, each failed outcome carries its own). */
  dlqId: string | null
  /** The first refusal, when an entry could not be stored. */
  dlqError?: ConductorError
}

type Stored = { ok: true; id: string } | { ok: false; error: ConductorError }

export async function handOff(sink: DeadLetterSink | null, metrics: RoutingMetrics, plan: RoutePlan, failed: readonly FailedDelivery[]): Promise<HandOffResult> {
  if (sink === null) return { dlqId: null, dlqError: { code: 'DLQ_UNAVAILABLE', message: 'no dead-letter queue is configured' } }
  const fanOut = plan.platforms.length > 1
  const stored = await Promise.all(failed.map((f) => store(sink, metrics, inputFor(plan, f, fanOut), f.outcome.platform)))
  const result: HandOffResult = { dlqId: null }
  stored.forEach((s, i) => {
    if (s.ok) {
      ;(failed[i] as FailedDelivery).outcome.dlqId = s.id
      result.dlqId ??= s.id
    } else {
      result.dlqError ??= s.error
    }
  })
  return result
}

function inputFor(plan: RoutePlan, failed: FailedDelivery, fanOut: boolean): DeadLetterInput {
  const { platform } = failed.outcome
  const route = { platform, ruleId: plan.ruleId }
  if (!fanOut) return { request: { ...plan.request }, route, attempts: [failed.attempt] }
  return { entryId: fanOutEntryId(plan.request.id, platform), request: { ...plan.request, target: [platform] }, route, attempts: [failed.attempt] }
}

async function store(sink: DeadLetterSink, metrics: RoutingMetrics, input: DeadLetterInput, platform: string): Promise<Stored> {
  try {
    const stored = await sink.enqueue(input)
    metrics.dlqHandOffs.inc({ platform, result: stored.ok ? 'stored' : 'error' })
    return stored.ok ? { ok: true, id: stored.value.id } : stored
  } catch (cause) {
    metrics.dlqHandOffs.inc({ platform, result: 'error' })
    return { ok: false, error: { code: 'DLQ_UNAVAILABLE', message: cause instanceof Error ? cause.message : String(cause) } }
  }
}
