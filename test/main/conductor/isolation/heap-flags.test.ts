import { describe, expect, it } from 'vitest'
import { heapFlags } from '../../../../src/main/conductor/sandbox/heap-flags.ts'

function sizes(memoryMb: number): { oldMb: number; minSemiMb: number; maxSemiMb: number } {
  const value = (name: string): number => {
    const flag = heapFlags(memoryMb).find((f) => f.startsWith(`--${name}=`))
    if (flag === undefined) throw new Error(`no --${name} for ${memoryMb} MiB`)
    return Number(flag.split('=')[1])
  }
  return { oldMb: value('max-old-space-size'), minSemiMb: value('min-semi-space-size'), maxSemiMb: value('max-semi-space-size') }
}

describe('heapFlags', () => {
  it('keeps old space plus a full young generation (3 semi-spaces) inside the budget', () => {
    for (const memoryMb of [64, 128, 512, 2048, 8192]) {
      const { oldMb, maxSemiMb } = sizes(memoryMb)
      expect(oldMb + 3 * maxSemiMb).toBeLessThanOrEqual(memoryMb)
    }
  })

  it('gives the semi-space a start-up floor that never exceeds its cap (V8 would take the larger)', () => {
    expect(sizes(512).minSemiMb).toBe(2)
    for (const memoryMb of [16, 32, 48, 64, 512, 8192]) {
      const { minSemiMb, maxSemiMb } = sizes(memoryMb)
      expect(minSemiMb).toBeGreaterThanOrEqual(1)
      expect(minSemiMb).toBeLessThanOrEqual(maxSemiMb)
    }
  })
})
