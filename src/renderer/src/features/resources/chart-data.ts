/**
 * Pure helpers behind the resource charts: reduce a process's samples to what the plot width can show, and
 * axes whose ticks stay put from one tick to the next (so a 1 Hz redraw changes the lines, not every label).
 */
import type { ResourceSample } from '../../../../shared/sandbox.ts'

const MiB = 1048576

export interface ChartPoint {
  /** Start of the time bucket the point stands for, ms since epoch. */
  t: number
  /** The same, in seconds relative to the chart's right edge (negative). */
  ago: number
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
  const toAgo = (t: number) => Math.round((t - endMs) / 100) / 10
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
      current = { t, ago: toAgo(t), cpu, rss }
      points.push(current)
    }
  }
  return points
}

/**
 * How many seconds the time axis spans: a minute while the process is younger than that (so a few samples
 * are not a speck at the edge), the whole window after. The axis is relative ("-3m" … "now") so its props
 * change only when the span does, not on every redraw as absolute clock ticks would.
 */
export function spanSeconds(firstSampleMs: number | undefined, nowMs: number, windowMs: number, minSpanMs: number): number {
  const age = firstSampleMs === undefined ? 0 : nowMs - firstSampleMs
  return Math.round((age > minSpanMs ? windowMs : minSpanMs) / 1000)
}

/** Ticks for a relative axis of `spanS` seconds ending at 0 ("now"): whole minutes, or quarter minutes for one. */
export function relativeTicks(spanS: number): number[] {
  const stepS = spanS <= 60 ? 15 : 60
  const ticks: number[] = []
  for (let t = -Math.floor(spanS / stepS) * stepS; t <= 0; t += stepS) ticks.push(t)
  return ticks
}

/** "now", "-45s", "-2m". */
export function formatRelative(seconds: number): string {
  if (seconds === 0) return 'now'
  const abs = Math.abs(seconds)
  return abs % 60 === 0 ? `-${abs / 60}m` : `-${abs}s`
}

/** RSS axis in MiB: ticks at quarters of the memory cap, headroom above it so the cap line is never the edge. */
export function rssAxis(capMiB: number): { domain: [number, number]; ticks: number[] } {
  const quarter = capMiB / 4
  const ticks = [0, 1, 2, 3, 4].map((i) => Math.round(i * quarter))
  return { domain: [0, Math.ceil(capMiB * 1.15)], ticks }
}
