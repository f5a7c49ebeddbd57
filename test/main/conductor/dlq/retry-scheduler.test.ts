import { describe, expect, it } from 'vitest'
import { RetryScheduler } from '../../../../src/main/conductor/dlq/retry-scheduler.ts'
import { FakeClock } from './helpers.ts'

function setup(dueTimes: number[], options: { failTakes?: number; concurrency?: number } = {}) {
  const clock = new FakeClock(0)
  const due = [...dueTimes]
  const ran: number[] = []
  const errors: unknown[] = []
  let failTakes = options.failTakes ?? 0
  const release: Array<() => void> = []
  const scheduler = new RetryScheduler<number>({
    clock,
    concurrency: options.concurrency ?? 10,
    nextDueAtMs: () => (due.length === 0 ? null : Math.min(...due)),
    takeDue: (nowMs, limit) => {
      if (failTakes-- > 0) throw new Error('disk I/O error')
      const taken = due.filter((t) => t <= nowMs).sort((a, b) => a - b).slice(0, limit)
      for (const t of taken) due.splice(due.indexOf(t), 1)
      return taken
    },
    run: (item) => new Promise<void>((resolve) => (ran.push(clock.now()), release.push(() => resolve(void item)))),
    onError: (cause) => errors.push(cause)
  })
  return { clock, due, ran, errors, scheduler, release }
}

describe('RetryScheduler', () => {
  it('arms one timer for the earliest due item and fires it on time', () => {
    const { clock, ran, scheduler } = setup([5_000, 2_000, 9_000])
    scheduler.start()
    expect(clock.pendingTimers).toBe(1)
    expect(scheduler.timerAtMs).toBe(2_000)
    clock.advance(1_999)
    expect(ran).toEqual([])
    clock.advance(1)
    expect(ran).toEqual([2_000])
    expect(scheduler.timerAtMs).toBe(5_000)
  })

  it('re-arms for an earlier new item without reading the store, and ignores a later one', () => {
    const { scheduler } = setup([5_000])
    scheduler.start()
    scheduler.pokeAt(7_000)
    expect(scheduler.timerAtMs).toBe(5_000)
    scheduler.pokeAt(1_000)
    expect(scheduler.timerAtMs).toBe(1_000)
  })

  it('holds the timer while the concurrency limit is reached and resumes when a run finishes', async () => {
    const { clock, ran, scheduler, release } = setup([0, 0, 0], { concurrency: 2 })
    scheduler.start()
    clock.advance(0)
    expect(ran).toHaveLength(2)
    expect(scheduler.timerAtMs).toBeNull()
    release.shift()?.()
    await new Promise((resolve) => setImmediate(resolve))
    clock.advance(0)
    expect(ran).toHaveLength(3)
  })

  it('reports a failing store and looks again later instead of spinning', () => {
    const { clock, ran, errors, scheduler } = setup([1_000], { failTakes: 1 })
    scheduler.start()
    clock.advance(1_000)
    expect(errors).toHaveLength(1)
    expect(ran).toEqual([])
    expect(scheduler.timerAtMs).toBe(6_000)
    clock.advance(5_000)
    expect(ran).toEqual([6_000])
  })
})
