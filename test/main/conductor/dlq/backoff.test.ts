import { describe, expect, it } from 'vitest'
import { backoffBoundsMs, backoffCeilingMs, backoffDelayMs } from '../../../../src/main/conductor/dlq/backoff.ts'

const full = { baseMs: 100, capMs: 1_000, jitter: 'full' as const }

describe('backoff', () => {
  it('doubles the ceiling per attempt up to the cap', () => {
    expect([1, 2, 3, 4, 5, 60].map((n) => backoffCeilingMs(full, n))).toEqual([100, 200, 400, 800, 1_000, 1_000])
  })

  it('draws full jitter uniformly between zero and the ceiling', () => {
    expect(backoffDelayMs(full, 3, null, () => 0)).toBe(0)
    expect(backoffDelayMs(full, 3, null, () => 0.5)).toBe(200)
    expect(backoffDelayMs(full, 3, null, () => 0.999999)).toBe(399)
  })

  it('grows decorrelated jitter from the previous delay, between base and three times it, capped', () => {
    const decorrelated = { ...full, jitter: 'decorrelated' as const }
    expect(backoffBoundsMs(decorrelated, 1, null)).toEqual({ minMs: 100, maxMs: 300 })
    expect(backoffBoundsMs(decorrelated, 4, 250)).toEqual({ minMs: 100, maxMs: 750 })
    expect(backoffBoundsMs(decorrelated, 9, 900)).toEqual({ minMs: 100, maxMs: 1_000 })
  })

  it('uses the exact ceiling without jitter', () => {
    expect(backoffDelayMs({ ...full, jitter: 'none' }, 2, null, () => 0.3)).toBe(200)
  })
})
