import { describe, expect, it } from 'vitest'
import { downsample, formatRelative, relativeTicks, rssAxis, spanSeconds } from '../../src/renderer/src/features/resources/chart-data.ts'
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
    const abs = (p: { t: number; cpu: number; rss: number } | undefined) => p && { t: p.t, cpu: p.cpu, rss: p.rss }
    for (const point of inner) expect(abs(earlier.get(point.t))).toEqual(abs(point))
  })

  it('drops samples outside the domain', () => {
    const points = downsample(samples(0, 10), 5000, 9000, 100)
    expect(points.map((p) => p.cpu)).toEqual([5, 6, 0, 1, 2])
  })

  it('spans a minute while the process is young and the whole window after', () => {
    expect(spanSeconds(99_000, 100_000, 300_000, 60_000)).toBe(60)
    expect(spanSeconds(undefined, 100_000, 300_000, 60_000)).toBe(60)
    expect(spanSeconds(0, 1_000_000, 300_000, 60_000)).toBe(300)
  })

  it('ticks a relative axis on whole minutes for five minutes and on quarter minutes for one', () => {
    expect(relativeTicks(300)).toEqual([-300, -240, -180, -120, -60, 0])
    expect(relativeTicks(60)).toEqual([-60, -45, -30, -15, 0])
    expect([-300, -45, 0].map(formatRelative)).toEqual(['-5m', '-45s', 'now'])
  })

  it('places points in seconds before the right edge', () => {
    const points = downsample(samples(0, 10), 0, 9000, 100)
    // Buckets start at aligned times, so a point sits at most one bucket (here 91 ms) before its sample.
    expect(points.at(-1)!.ago).toBeCloseTo(0, 0)
    expect(points[0]!.ago).toBeCloseTo(-9, 0)
    expect(points.every((p, i) => i === 0 || p.ago > points[i - 1]!.ago)).toBe(true)
  })

  it('ticks the RSS axis at quarters of the memory cap, with headroom above it', () => {
    expect(rssAxis(128)).toEqual({ domain: [0, 148], ticks: [0, 32, 64, 96, 128] })
  })
})
