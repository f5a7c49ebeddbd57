/**
 * Paces expensive redraws: a component shows new values only when its turn comes, and at most one turn runs
 * per animation frame across the whole page. Eight charts updated by the same 1 Hz tick then redraw in eight
 * consecutive frames (about 130 ms) instead of all in one long task that drops frames. A component that gets
 * newer values while waiting shows only the newest when its turn comes (one queued redraw per key).
 */
import { useEffect, useState } from 'react'

const queue = new Map<string, () => void>()
let scheduled = false

function nextFrame(run: () => void): void {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => run())
  else setTimeout(run, 16)
}

function runOne(): void {
  scheduled = false
  const first = queue.entries().next()
  if (first.done) return
  const [key, apply] = first.value
  queue.delete(key)
  apply()
  if (queue.size > 0) schedule()
}

function schedule(): void {
  if (scheduled) return
  scheduled = true
  nextFrame(runOne)
}

/** Queues `apply` under `key` (replacing a queued one of the same key); returns a cancel function. */
export function pace(key: string, apply: () => void): () => void {
  queue.set(key, apply)
  schedule()
  return () => {
    if (queue.get(key) === apply) queue.delete(key)
  }
}

function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]))
}

/** Returns `values` as of this component's last turn; a change (by identity, per item) waits for a turn. */
export function usePaced<T extends readonly unknown[]>(key: string, values: T): T {
  const [shown, setShown] = useState(values)
  const changed = !sameValues(shown, values)
  useEffect(() => {
    if (!changed) return
    return pace(key, () => setShown(values))
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `values` is compared item by item through `changed`.
  }, [key, changed, ...values])
  return shown
}
