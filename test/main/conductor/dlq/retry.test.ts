import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { backoffCeilingMs } from '../../../../src/main/conductor/dlq/backoff.ts'
import type { DeadLetterQueue } from '../../../../src/main/conductor/dlq/dead-letter-queue.ts'
import type { RequestReplayer } from '../../../../src/main/conductor/dlq/dead-letter-port.ts'
import { deferred, delivered, failed, FakeClock, HeldReplayer, input, invalid, nextEvent, openQueue, ScriptedReplayer, tempDir } from './helpers.ts'

/** Deterministic [0, 1) source (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const backoff = { baseMs: 1_000, capMs: 5_000, jitter: 'full' as const }

describe('DeadLetterQueue retries', () => {
  let temp: ReturnType<typeof tempDir>
  let clock: FakeClock
  let queue: DeadLetterQueue | null = null
  beforeEach(() => {
    temp = tempDir()
    clock = new FakeClock()
  })
  afterEach(async () => {
    await queue?.close()
    queue = null
    temp.cleanup()
  })

  function open(replayer: RequestReplayer, config: Record<string, unknown> = {}, random = seeded(7)): DeadLetterQueue {
    queue = openQueue(join(temp.dir, 'dlq.sqlite'), { clock, replayer, random, config: { backoff, maxAttempts: 4, ...config } })
    queue.start()
    return queue
  }

  /** Advances the fake clock to the entry's next attempt and waits until that replay's outcome is stored. */
  async function runNextReplay(q: DeadLetterQueue, id: string): Promise<void> {
    const detail = q.get(id)
    if (!detail.ok || detail.value.entry.nextAttemptAtMs === null) throw new Error(`${id} has no next attempt`)
    const settled = nextEvent(q, 'dlq.entryUpdated', (e) => e.entry.id === id && e.previousState === 'retrying')
    clock.advance(detail.value.entry.nextAttemptAtMs - clock.now())
    await settled
  }

  it('replays at times that follow the backoff curve within the full-jitter bounds, then moves to dead', async () => {
    const replayTimes: number[] = []
    const replayer = new ScriptedReplayer(() => {
      replayTimes.push(clock.now())
      return failed('plugin timed out after 5000ms', clock.now())
    })
    const q = open(replayer)
    const enqueuedAt = clock.now()
    expect((await q.enqueue(input('a'))).ok).toBe(true)
    for (let i = 0; i < 4; i++) await runNextReplay(q, 'a')

    const previous = [enqueuedAt, ...replayTimes.slice(0, -1)]
    const delays = replayTimes.map((t, i) => t - (previous[i] ?? 0))
    delays.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(0)
      expect(delay).toBeLessThanOrEqual(backoffCeilingMs(backoff, i + 1))
    })
    const detail = q.get('a')
    if (!detail.ok) throw new Error('missing')
    expect(detail.value.entry.state).toBe('dead')
    expect(detail.value.entry.deadReason).toBe('exhausted 4 attempts')
    expect(detail.value.attempts.map((a) => [a.origin, a.outcome, a.n])).toEqual([
      ['router', 'failed', null],
      ['replay', 'failed', 1],
      ['replay', 'failed', 2],
      ['replay', 'failed', 3],
      ['replay', 'failed', 4]
    ])
    expect(q.nextTimerAtMs).toBeNull()
  })

  it('waits the exponential ceiling, capped, when jitter draws its maximum', async () => {
    const replayTimes: number[] = []
    const replayer = new ScriptedReplayer(() => (replayTimes.push(clock.now()), failed()))
    const q = open(replayer, { maxAttempts: 5 }, () => 0.999999)
    const start = clock.now()
    await q.enqueue(input('a'))
    for (let i = 0; i < 5; i++) await runNextReplay(q, 'a')
    const gaps = replayTimes.map((t, i) => t - (i === 0 ? start : (replayTimes[i - 1] ?? 0)))
    expect(gaps).toEqual([999, 1_999, 3_999, 4_999, 4_999])
  })

  it('keeps a dead entry dead until a person retries it, then starts a fresh attempt count', async () => {
    const replayer = new ScriptedReplayer(failed(), failed(), delivered)
    const q = open(replayer, { maxAttempts: 2 })
    await q.enqueue(input('a'))
    await runNextReplay(q, 'a')
    await runNextReplay(q, 'a')
    expect(q.counts().dead).toBe(1)
    clock.advance(24 * 3_600_000)
    expect(replayer.seen).toHaveLength(2)

    const retried = q.operations.retry('a', 'platform fixed')
    expect(retried.ok && [retried.value.state, retried.value.attemptCount, retried.value.round]).toEqual(['pending', 0, 1])
    await runNextReplay(q, 'a')
    const detail = q.get('a')
    if (!detail.ok) throw new Error('missing')
    expect(detail.value.entry.state).toBe('resolved')
    expect(detail.value.entry.attemptCount).toBe(1)
    expect(detail.value.attempts.filter((a) => a.origin === 'replay').map((a) => [a.round, a.n, a.outcome])).toEqual([
      [0, 1, 'failed'],
      [0, 2, 'failed'],
      [1, 1, 'delivered']
    ])
    expect(detail.value.actions.map((a) => [a.kind, a.reason])).toEqual([['retry', 'platform fixed']])
  })

  it('defers a due replay while the breaker is open without counting an attempt', async () => {
    const openUntil = clock.now() + 60_000
    const q = open(new ScriptedReplayer(deferred(openUntil), delivered))
    await q.enqueue(input('a'))
    await runNextReplay(q, 'a')
    let detail = q.get('a')
    if (!detail.ok) throw new Error('missing')
    expect(detail.value.entry).toMatchObject({ state: 'pending', attemptCount: 0, nextAttemptAtMs: openUntil })
    expect(detail.value.attempts.at(-1)).toMatchObject({ outcome: 'deferred', n: null, note: 'breaker open' })

    await runNextReplay(q, 'a')
    detail = q.get('a')
    if (!detail.ok) throw new Error('missing')
    expect(detail.value.entry).toMatchObject({ state: 'resolved', attemptCount: 1 })
  })

  it('moves an entry whose request no longer validates to dead with that reason, without a retry loop', async () => {
    const replayer = new ScriptedReplayer(invalid)
    const q = open(replayer)
    await q.enqueue(input('a'))
    await runNextReplay(q, 'a')
    const detail = q.get('a')
    if (!detail.ok) throw new Error('missing')
    expect(detail.value.entry).toMatchObject({ state: 'dead', attemptCount: 0, deadReason: 'invalid: platform discord is no longer installed' })
    expect(q.nextTimerAtMs).toBeNull()
  })

  it('keeps one timer for the earliest due entry however many are queued', async () => {
    const q = open(new ScriptedReplayer(delivered))
    await Promise.all(Array.from({ length: 50 }, (_, i) => q.enqueue(input(`e${i}`))))
    expect(clock.pendingTimers).toBe(1)
    const page = q.page({ limit: 500 })
    if (!page.ok) throw new Error('page failed')
    const earliest = Math.min(...page.value.entries.map((e) => e.nextAttemptAtMs ?? Infinity))
    expect(q.nextTimerAtMs).toBe(earliest)
  })

  it('never runs more replays at once than the concurrency limit', async () => {
    const held = new HeldReplayer()
    const { release } = held
    const q = open(held, { retryConcurrency: 3 })
    await Promise.all(Array.from({ length: 10 }, (_, i) => q.enqueue(input(`e${i}`))))
    clock.advance(10_000)
    expect(held.inFlight).toBe(3)
    expect(q.counts().retrying).toBe(3)
    for (let done = 0; done < 10; done++) {
      const settled = nextEvent(q, 'dlq.entryUpdated', (e) => e.previousState === 'retrying')
      release.shift()?.(delivered)
      await settled
      clock.advance(0)
    }
    expect(held.peak).toBe(3)
    expect(q.counts().resolved).toBe(10)
  })

  it('does not start a second replay of an entry whose discard is undone while its replay is in flight', async () => {
    const held = new HeldReplayer()
    const { release } = held
    const q = open(held, { retryConcurrency: 3 })
    await q.enqueue(input('a'))
    clock.advance(10_000)
    expect(held.inFlight).toBe(1)
    expect(q.operations.discard('a', 'looks like spam').ok).toBe(true)
    expect(q.operations.undoDiscard('a', 'was not spam').ok).toBe(true)
    clock.advance(10_000)
    expect(held.peak).toBe(1)
    const undone = q.get('a')
    expect(undone.ok && undone.value.entry.state).toBe('retrying')
    const settled = nextEvent(q, 'dlq.entryUpdated', (e) => e.entry.id === 'a' && e.previousState === 'retrying')
    release.shift()?.(delivered)
    expect((await settled).entry.state).toBe('resolved')
    expect(q.counts()).toMatchObject({ resolved: 1, retrying: 0, pending: 0, discarded: 0 })
  })

  it('never counts reads as attempts', async () => {
    const q = open(new ScriptedReplayer(delivered))
    await q.enqueue(input('a'))
    const before = q.get('a')
    for (let i = 0; i < 20; i++) {
      q.get('a')
      q.page({ filter: { text: 'hello' } })
      q.errorGroups()
    }
    expect(q.get('a')).toEqual(before)
  })

  it('records a replay that threw as a failed attempt with an INTERNAL error', async () => {
    const q = open({ replay: () => Promise.reject(new Error('router exploded')) })
    await q.enqueue(input('a'))
    await runNextReplay(q, 'a')
    const detail = q.get('a')
    if (!detail.ok) throw new Error('missing')
    expect(detail.value.entry).toMatchObject({ state: 'pending', attemptCount: 1, lastError: { code: 'INTERNAL', message: 'router exploded' } })
  })
})
