/**
 * V8 heap flags for a memory budget. `--max-old-space-size` alone does not bound the heap: V8 adds a young
 * generation of up to 3 × the semi-space (96 MiB on Node 26 outside a cgroup), so a 48 MiB old space reads back
 * as a 144 MiB `heap_size_limit`. Capping the semi-space too keeps the whole heap under the budget:
 * old space 75 % + young generation ≤ 3 × budget/32 ≈ 84 % of the budget.
 *
 * The semi-space also gets a 2 MiB floor (or the cap, when that is lower): V8 starts it at 1 MiB, and the
 * sandbox child's start-up (bootstrap, zod, the self-test, the plugin's import) fills that once, so every cold
 * start paid a scavenge of 1–4 ms before `ready`. The floor costs no memory it does not use: new-space pages are
 * committed as they fill.
 */
export function heapFlags(memoryMb: number): string[] {
  const oldSpaceMb = Math.max(8, Math.floor(memoryMb * 0.75))
  const semiSpaceMb = Math.min(16, Math.max(1, Math.floor(memoryMb / 32)))
  const minSemiSpaceMb = Math.min(2, semiSpaceMb)
  return [
    `--max-old-space-size=${oldSpaceMb}`,
    `--max-semi-space-size=${semiSpaceMb}`,
    `--min-semi-space-size=${minSemiSpaceMb}`
  ]
}
