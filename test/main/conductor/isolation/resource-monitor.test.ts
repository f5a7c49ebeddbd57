/** The resource monitor's first sample comes after the caller's turn (a sandbox's start does not wait for it). */
import { describe, expect, it } from 'vitest'
import { ResourceMonitor, type ResourceMonitorOptions } from '../../../../src/main/conductor/sandbox/resource-monitor.ts'

function monitor(overrides: Partial<ResourceMonitorOptions> = {}) {
  const seen = { listed: 0, published: 0 }
  const m = new ResourceMonitor({
    busyIntervalMs: 100,
    sampleIntervalMs: 1_000,
    limitBytes: Number.MAX_SAFE_INTEGER,
    isBusy: () => false,
    pids: () => (seen.listed++, [process.pid]),
    now: () => Date.now(),
    onSample: () => seen.published++,
    onOverLimit: () => {},
    ...overrides
  })
  return { m, seen }
}

const turn = () => new Promise((resolve) => setImmediate(resolve))

describe('ResourceMonitor', () => {
  it('lists the tree after start returns, then publishes the first sample', async () => {
    const { m, seen } = monitor()
    m.start()
    expect(seen.listed).toBe(0)
    await turn()
    expect(seen.listed).toBe(1)
    for (let i = 0; i < 100 && seen.published === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5))
    expect(seen.published).toBe(1)
    expect(m.last?.rssBytes).toBeGreaterThan(0)
    m.stop()
  })

  it('samples nothing when stopped before its first turn', async () => {
    const { m, seen } = monitor()
    m.start()
    m.stop()
    await turn()
    await turn()
    expect(seen.listed).toBe(0)
  })
})
