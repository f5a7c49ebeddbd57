import { describe, expect, it } from 'vitest'
import { GroupCommitter } from '../../../../src/main/conductor/dlq/group-commit.ts'

describe('GroupCommitter', () => {
  it('commits concurrent submissions in one batch and gives each caller its own outcome', async () => {
    const batches: number[][] = []
    const committer = new GroupCommitter<number, string>({
      commit: (items) => (batches.push([...items]), items.map((n) => `done ${n}`)),
      failed: () => 'failed',
      maxBatch: 1_000
    })
    const outcomes = await Promise.all(Array.from({ length: 64 }, (_, i) => committer.submit(i)))
    expect(batches).toHaveLength(1)
    expect(outcomes[17]).toBe('done 17')
  })

  it('settles nobody before the commit ran', async () => {
    let committed = false
    const committer = new GroupCommitter<number, boolean>({
      commit: (items) => ((committed = true), items.map(() => committed)),
      failed: () => false,
      maxBatch: 10
    })
    expect(await committer.submit(1)).toBe(true)
  })

  it('splits at maxBatch and reports a failed commit to every caller of that batch only', async () => {
    let call = 0
    const committer = new GroupCommitter<number, string>({
      commit: (items) => {
        call++
        if (call === 1) throw new Error('disk full')
        return items.map(() => 'ok')
      },
      failed: (cause) => (cause as Error).message,
      maxBatch: 3
    })
    const outcomes = await Promise.all(Array.from({ length: 5 }, (_, i) => committer.submit(i)))
    expect(outcomes).toEqual(['disk full', 'disk full', 'disk full', 'ok', 'ok'])
    await committer.drained()
  })

  it('joins enqueues made from promise continuations into the same batch', async () => {
    const batches: number[] = []
    const committer = new GroupCommitter<number, number>({
      commit: (items) => (batches.push(items.length), [...items]),
      failed: () => -1,
      maxBatch: 1_000
    })
    const loop = async (start: number): Promise<void> => {
      for (let i = 0; i < 3; i++) await committer.submit(start + i)
    }
    await Promise.all(Array.from({ length: 32 }, (_, i) => loop(i * 10)))
    expect(batches).toEqual([32, 32, 32])
  })

  it('commits a lone submission without waiting for a turn of the event loop', async () => {
    const committer = new GroupCommitter<number, number>({ commit: (items) => [...items], failed: () => -1, maxBatch: 10 })
    let turned = false
    setImmediate(() => (turned = true))
    expect(await committer.submit(1)).toBe(1)
    expect(turned).toBe(false)
  })

  it('lets the event loop run between back-to-back commits once they took yieldAfterMs', async () => {
    const busyMs = 2
    const committer = new GroupCommitter<number, number>({
      commit: (items) => {
        const until = performance.now() + busyMs
        while (performance.now() < until);
        return [...items]
      },
      failed: () => -1,
      maxBatch: 10,
      yieldAfterMs: 5
    })
    const ranAt: number[] = []
    let done = 0
    const tick = (): void => {
      ranAt.push(done)
      if (done < 30) setImmediate(tick)
    }
    setImmediate(tick)
    for (; done < 30; done++) await committer.submit(done)
    // Without yielding, the loop would first run after all 30 commits (60 ms of them): ranAt would be [30].
    // With it, it runs every few commits (~5 ms), from the first run of commits on.
    expect(ranAt.length).toBeGreaterThanOrEqual(4)
    expect(ranAt[0]).toBeLessThanOrEqual(5)
  })
})
