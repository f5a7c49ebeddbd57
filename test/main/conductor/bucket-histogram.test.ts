/** The hot-path histogram exports exactly what prom-client's own Histogram exports for the same data. */
import { Histogram, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { BucketHistogram } from '../../../src/main/conductor/bucket-histogram.ts'

const buckets = [0.001, 0.01, 0.1, 1]
const samples: Array<[string, string, number]> = [
  ['discord', 'ok', 0.0005], ['discord', 'ok', 0.001], ['discord', 'ok', 0.02], ['discord', 'failed', 3],
  ['android', 'ok', 0.1], ['android', 'ok', 0.09], ['android', 'failed', 0.0101], ['discord', 'ok', 1]
]

describe('BucketHistogram', () => {
  it('produces the same exposition text as prom-client Histogram, labelled and unlabelled', async () => {
    const ours = new Registry()
    const theirs = new Registry()
    const fast = new BucketHistogram({ name: 'h_seconds', help: 'help text', labelNames: ['platform', 'outcome'] as const, buckets, registers: [ours] })
    const reference = new Histogram({ name: 'h_seconds', help: 'help text', labelNames: ['platform', 'outcome'] as const, buckets, registers: [theirs] })
    const plainFast = new BucketHistogram({ name: 'plain_seconds', help: 'plain', buckets, registers: [ours] })
    const plainReference = new Histogram({ name: 'plain_seconds', help: 'plain', buckets, registers: [theirs] })
    for (const [platform, outcome, seconds] of samples) {
      fast.labels(platform, outcome).observe(seconds)
      reference.labels(platform, outcome).observe(seconds)
      plainFast.observe(seconds)
      plainReference.observe(seconds)
    }
    const text = await ours.metrics()
    expect(text).toBe(await theirs.metrics())
    expect(text).toContain('h_seconds_bucket{le="0.001",platform="discord",outcome="ok"} 2')
    expect(text).toContain('plain_seconds_count 8')
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON())

    ours.resetMetrics()
    expect(await ours.metrics()).not.toContain('plain_seconds_count')
  })

  it('refuses a label set of the wrong length', () => {
    const histogram = new BucketHistogram({ name: 'x_seconds', help: 'x', labelNames: ['platform'] as const, buckets, registers: [] })
    expect(() => histogram.labels()).toThrow(/expected 1 label values, got 0/)
  })
})
