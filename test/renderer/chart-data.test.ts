import { describe, expect, it } from 'vitest'
import { downsample, rssAxis, timeDomain, timeTicks } from '../../src/renderer/src/features/resources/chart-data.ts'
import type { ResourceSample } from '../../src/shared/sandbox.ts'

const MiB = 1048576
const samples = (fromMs: number, count: number, stepMs = 1000, rss = (i: number) => 40 * MiB + i): ResourceSample[] =>
  Array.from({ length: count }, (_, i) => ({ instanceId: 'a-1', pid: 1, atMs: fromMs + i * stepMs, cpuPercent: i % 7, rssBytes: rss(i) }))

describe('resource chart data', () => {
  it('reduces five minutes of 1 Hz samples to at most the point budget', () => {
    const points = downsample(samples(1_000_000, 300), 1_000_000, 1_299_000, 140)
    expect(points.length).toBeLessThanOrEqual(140)
    expect(points.length).toBeGreaterThan(100)
  })

  it('keeps the highest RSS and CPU of each bucket, so a spike survives', () => {
    const spiky = samples(0, 300, 1000, (i) => (i === 151 ? 120 * MiB : 40 * MiB))
    const points = downsample(spiky, 0, 299_000, 100)
    expect(Math.max(...points.map((p) => p.rss))).toBe(120)
    expect(Math.max(...points.map((p) => p.cpu))).toBe(6)
  })

  it('keeps earlier buckets identical when the window moves by a tick', () => {
    const all = samples(0, 301)
    const before = downsample(all.slice(0, 300), 0, 299_000, 100)
    const after = downsample(all, 1000, 300_000, 100)
    // Same bucket width, aligned to absolute time: every bucket but the edge ones is unchanged.
    const earlier = new Map(before.map((p) => [p.t, p]))
    const inner = after.slice(1, -1)
    expect(inner.length).toBeGreaterThan(95)
    for (const point of inner) expect(earlier.get(point.t)).toEqual(point)
  })

  it('drops samples outside the domain', () => {
    const points = downsample(samples(0, 10), 5000, 9000, 100)
    expect(points.map((p) => p.cpu)).toEqual([5, 6, 0, 1, 2])
  })

  it('spans at least a minute for a fresh process and at most the window', () => {
    expect(timeDomain(99_000, 100_000, 300_000, 60_000)).toEqual([40_000, 100_000])
    expect(timeDomain(0, 1_000_000, 300_000, 60_000)).toEqual([700_000, 1_000_000])
    expect(timeDomain(undefined, 100_000, 300_000, 60_000)).toEqual([40_000, 100_000])
  })

  it('puts time ticks on whole minutes for five minutes and on half minutes for one', () => {
    const five = timeTicks([1_000_500, 1_300_500])
    expect(five.stepMs).toBe(60_000)
    expect(five.ticks.every((t) => t % 60_000 === 0)).toBe(true)
    expect(five.ticks.length).toBe(5)
    const one = timeTicks([1_000_500, 1_060_500])
    expect(one.stepMs).toBe(15_000)
    expect(one.ticks.every((t) => t % 15_000 === 0 && t >= 1_000_500 && t <= 1_060_500)).toBe(true)
  })

  it('ticks the RSS axis at quarters of the memory cap, with headroom above it', () => {
    expect(rssAxis(128)).toEqual({ domain: [0, 148], ticks: [0, 32, 64, 96, 128] })
  })
})
