/** Number and time formatting shared by the views. */

export function formatAgo(atMs: number, nowMs: number): string {
  const s = Math.max(0, Math.round((nowMs - atMs) / 1000))
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${s % 60}s`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h}h ${m % 60}m`
  return `${Math.floor(h / 24)}d`
}

export function formatIn(atMs: number, nowMs: number): string {
  return atMs <= nowMs ? 'due' : `in ${formatAgo(nowMs, atMs)}`
}

export function formatMiB(bytes: number): string {
  return `${(bytes / 1048576).toFixed(bytes < 10 * 1048576 ? 1 : 0)} MiB`
}

export function formatMs(ms: number | null): string {
  if (ms === null) return '—'
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(1) : ms.toFixed(0)} ms`
  return `${(ms / 1000).toFixed(2)} s`
}

export function formatRate(perSec: number): string {
  return perSec >= 10 ? perSec.toFixed(0) : perSec.toFixed(2)
}

/** One shared formatter: `toLocaleTimeString` builds a new one per call, which chart ticks made the hot path. */
const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })

export function formatClock(atMs: number): string {
  return clock.format(atMs)
}

export function formatPercent(fraction: number | null): string {
  return fraction === null ? '—' : `${(fraction * 100).toFixed(0)}%`
}
