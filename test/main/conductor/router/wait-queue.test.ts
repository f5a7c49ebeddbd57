import { describe, expect, it } from 'vitest'
import { WaitQueue, type WaitOutcome } from '../../../../src/main/conductor/routing/wait-queue.ts'

const waiter = (name: string, priority = 0, retry = false) => ({ data: name, priority, retry })

describe('WaitQueue', () => {
  it('grants by priority, live before retry at equal priority, then arrival order', async () => {
    const queue = new WaitQueue<string, number>(10)
    const order: string[] = []
    const join = (name: string, priority = 0, retry = false) =>
      void queue.wait(waiter(name, priority, retry), 10_000)?.then((o) => o.granted && order.push(`${name}:${o.grant}`))
    join('retry-0', 0, true)
    join('a-0')
    join('b-5', 5)
    join('c--1', -1)
    join('d-0')
    join('retry-5', 5, true)
    expect(queue.size).toBe(6)
    expect(queue.peek()?.data).toBe('b-5')
    for (let i = 1; queue.grantNext(i); i++);
    await Promise.resolve()
    expect(order).toEqual(['b-5:1', 'retry-5:2', 'a-0:3', 'd-0:4', 'retry-0:5', 'c--1:6'])
    expect(queue.size).toBe(0)
    expect(queue.grantNext(7)).toBe(false)
  })

  it('refuses to grow past its capacity and frees the place of a waiter that timed out', async () => {
    const queue = new WaitQueue<string, number>(2)
    const first = queue.wait(waiter('a'), 10)
    expect(queue.wait(waiter('b'), 10_000)).not.toBeNull()
    expect(queue.wait(waiter('c'), 10_000)).toBeNull()
    const outcome = (await first) as WaitOutcome<number>
    expect(outcome).toMatchObject({ granted: false, reason: 'wait_timeout' })
    expect(!outcome.granted && outcome.waitedMs).toBeGreaterThanOrEqual(9)
    expect(queue.size).toBe(1)
    expect(queue.peek()?.data).toBe('b')
    expect(queue.wait(waiter('c'), 10_000)).not.toBeNull()
    queue.failAll(new Error('gone'))
    expect(queue.size).toBe(0)
  })

  it('ends a wait when its signal aborts, and an already-aborted signal never joins', async () => {
    const queue = new WaitQueue<string, number>(5)
    const abort = new AbortController()
    const waiting = queue.wait(waiter('a'), 10_000, abort.signal)
    abort.abort()
    expect(await waiting).toMatchObject({ granted: false, reason: 'cancelled' })
    expect(queue.size).toBe(0)
    expect(await queue.wait(waiter('b'), 10_000, abort.signal)).toMatchObject({ granted: false, reason: 'cancelled', waitedMs: 0 })
    expect(queue.size).toBe(0)
  })

  it('keeps no timed-out waiters around while nobody is served', async () => {
    const queue = new WaitQueue<string, number>(1_000)
    const waits = Array.from({ length: 500 }, (_, i) => queue.wait(waiter(`w${i}`, i % 3), 1))
    await Promise.all(waits)
    expect(queue.size).toBe(0)
    expect(queue.peek()).toBeUndefined()
    expect((queue as unknown as { buckets: unknown[] }).buckets).toHaveLength(0)
  })
})
