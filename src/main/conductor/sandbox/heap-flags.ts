/**
 * V8 heap flags for a memory budget. `--max-old-space-size` alone does not bound the heap: V8 adds a young
 * generation of up to 3 × the semi-space (96 MiB on Node 26 outside a cgroup), so a 48 MiB old space reads back
 * as a 144 MiB `heap_size_limit`. Capping the semi-space too keeps the whole heap under the budget:
 * old space 75 % + young generation ≤ 3 × budget/32 ≈ 84 % of the budget.
 */
export function heapFlags(memoryMb: number): string[] {
  const oldSpaceMb = Math.max(8, Math.floor(memoryMb * 0.75))
  const semiSpaceMb = Math.min(16, Math.max(1, Math.floor(memoryMb / 32)))
  return [`--max-old-space-size=${oldSpaceMb}`, `--max-semi-space-size=${semiSpaceMb}`]
}
