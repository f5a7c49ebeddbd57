/**
 * Exponential backoff with jitter. Pure: the caller passes the random source, so tests pin the jitter.
 * `attempt` is the 1-based number of the replay being scheduled.
 */
import type { z } from 'zod'
import type { DlqBackoffConfigSchema } from './dlq-config.ts'

export type BackoffConfig = z.infer<typeof DlqBackoffConfigSchema>

/** The exponential ceiling for replay `attempt`: min(cap, base·2^(attempt-1)). */
export function backoffCeilingMs(config: BackoffConfig, attempt: number): number {
  const exponent = Math.max(0, attempt - 1)
  // 2^exponent overflows to Infinity long after it passed any sane cap; Math.min handles that.
  return Math.min(config.capMs, config.baseMs * 2 ** exponent)
}

/** The jitter bounds the delay of replay `attempt` falls in, given the previous delay (decorrelated only). */
export function backoffBoundsMs(
  config: BackoffConfig,
  attempt: number,
  previousDelayMs: number | null
): { minMs: number; maxMs: number } {
  if (config.jitter === 'none') {
    const ceiling = backoffCeilingMs(config, attempt)
    return { minMs: ceiling, maxMs: ceiling }
  }
  if (config.jitter === 'full') return { minMs: 0, maxMs: backoffCeilingMs(config, attempt) }
  const previous = previousDelayMs ?? config.baseMs
  const maxMs = Math.min(config.capMs, Math.max(config.baseMs, previous * 3))
  return { minMs: Math.min(config.baseMs, maxMs), maxMs }
}

/** The delay before replay `attempt`, in ms (integer). `random` returns [0, 1). */
export function backoffDelayMs(
  config: BackoffConfig,
  attempt: number,
  previousDelayMs: number | null,
  random: () => number
): number {
  const { minMs, maxMs } = backoffBoundsMs(config, attempt, previousDelayMs)
  return Math.floor(minMs + random() * (maxMs - minMs))
}
