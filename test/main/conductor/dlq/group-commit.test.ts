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
})
