/**
 * Bounded histories and structural sharing for the store: an update that did not change an item keeps the
 * previous object, so components selecting that item do not re-render on a tick.
 */

/** Keeps `prev` when `next` has the same JSON; items are small view objects, so this is cheap at 1 Hz. */
export function reuse<T>(prev: T | undefined, next: T): T {
  if (prev === undefined) return next
  return JSON.stringify(prev) === JSON.stringify(next) ? prev : next
}

/** Rebuilds a keyed record, reusing every unchanged item and the whole record when nothing changed. */
export function reuseRecord<T>(prev: Record<string, T>, items: T[], key: (item: T) => string): Record<string, T> {
  const next: Record<string, T> = {}
  let changed = Object.keys(prev).length !== items.length
  for (const item of items) {
    const k = key(item)
    const kept = reuse(prev[k], item)
    if (kept !== prev[k]) changed = true
    next[k] = kept
  }
  return changed ? next : prev
}

/** Appends and drops what is older than `windowMs` before `nowMs` or beyond `max` items. Returns a new array. */
export function appendBounded<T extends { atMs: number }>(prev: readonly T[], added: readonly T[], nowMs: number, windowMs: number, max: number): T[] {
  const cutoff = nowMs - windowMs
  const merged = [...prev, ...added].filter((item) => item.atMs >= cutoff)
  return merged.length > max ? merged.slice(merged.length - max) : merged
}

/** Keeps a list equal to `prev` (same array) when it has the same items. */
export function reuseList<T>(prev: T[], next: T[]): T[] {
  return reuse(prev, next)
}
