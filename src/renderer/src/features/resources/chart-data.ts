/**
 * Pure helpers behind the resource charts: reduce a process's samples to what the plot width can show, and
 * axes whose ticks stay put from one tick to the next (so a 1 Hz redraw changes the lines, not every label).
 */
import type { ResourceSample } from '../../../../shared/sandbox.ts'

const MiB = 1048576

export interface ChartPoint {
  /** Start of the time bucket the point stands for, ms since epoch. */
  t: number
  /** Highest CPU % in the bucket, one decimal. */
  cpu: number
  /** Highest RSS in the bucket, MiB, one decimal. */
  rss: number
}

/**
 * Buckets the samples in `[startMs, endMs]` into at most `maxPoints` time slots aligned to absolute time and
 * keeps the highest CPU and RSS of each slot, so peaks (a spike towards the memory cap) survive the reduction
 * and a new tick changes only the newest slot. Samples must be in time order.
 */
export function downsample(samples: readonly ResourceSample[], startMs: number, endMs: number, maxPoints: number): ChartPoint[] {
  // Aligned buckets can straddle both ends, so n - 1 widths cover the span in at most n buckets.
  const bucketMs = Math.max(1, Math.ceil((endMs - startMs) / Math.max(1, maxPoints - 1)))
  const points: ChartPoint[] = []
  let current: ChartPoint | null = null
  for (const sample of samples) {
    if (sample.atMs < startMs || sample.atMs > endMs) continue
    const t = Math.floor(sample.atMs / bucketMs) * bucketMs
    const cpu = Math.round(sample.cpuPercent * 10) / 10
    const rss = Math.round((sample.rssBytes / MiB) * 10) / 10
    if (current && current.t === t) {
      current.cpu = Math.max(current.cpu, cpu)
      current.rss = Math.max(current.rss, rss)
    } else {
      current = { t, cpu, rss }
      points.push(current)
    }
  }
  return points
}

/** The time window a chart shows: the last `windowMs`, or less (at least `minSpanMs`) while history is short. */
export function timeDomain(firstSampleMs: number | undefined, nowMs: number, windowMs: number, minSpanMs: number): [number, number] {
  const start = Math.max(nowMs - windowMs, Math.min(firstSampleMs ?? nowMs, nowMs - minSpanMs))
  return [start, nowMs]
}

/** Ticks on whole 30 s / 1 min / 2 min marks inside the domain (about five), so labels do not slide. */
export function timeTicks([startMs, endMs]: readonly [number, number]): { ticks: number[]; stepMs: number } {
  const span = endMs - startMs
  const stepMs = [15_000, 30_000, 60_000, 120_000, 300_000].find((step) => span / step <= 6) ?? 600_000
  const ticks: number[] = []
  for (let t = Math.ceil(startMs / stepMs) * stepMs; t <= endMs; t += stepMs) ticks.push(t)
  return { ticks, stepMs }
}

/** RSS axis in MiB: ticks at quarters of the memory cap, headroom above it so the cap line is never the edge. */
export function rssAxis(capMiB: number): { domain: [number, number]; ticks: number[] } {
  const quarter = capMiB / 4
  const ticks = [0, 1, 2, 3, 4].map((i) => Math.round(i * quarter))
  return { domain: [0, Math.ceil(capMiB * 1.15)], ticks }
}
