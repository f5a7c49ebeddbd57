import { readFileSync, writeFileSync } from 'node:fs'
import { DatabaseSync } from 'node:sqlite'
import { describe, expect, it } from 'vitest'
import { DeadLetterQueue } from '../../../../src/main/conductor/dlq/dead-letter-queue.ts'
import { DlqConfigSchema } from '../../../../src/main/conductor/dlq/dlq-config.ts'
import { DLQ_SCHEMA_VERSION, isDamagedFile } from '../../../../src/main/conductor/dlq/sqlite-open.ts'
import type { DlqEventMap } from '../../../../src/shared/dlq.ts'
import { delivered, FakeClock, HeldReplayer, input, nextEvent, openQueue, ScriptedReplayer, databasePerTest } from './helpers.ts'

describe('DLQ store faults and limits', () => {
  const dbFile = databasePerTest()

  it('moves a corrupt file aside untouched, starts fresh, and reports it', async () => {
    const garbage = Buffer.from('this is not a database '.repeat(400))
    writeFileSync(dbFile.path, garbage)
    const clock = new FakeClock()
    const q = openQueue(dbFile.path, { clock })
    const reports: Array<DlqEventMap['dlq.storeRecovered']> = []
    q.on('dlq.storeRecovered', (e) => reports.push(e))
    q.start()
    expect(reports).toHaveLength(1)
    const movedTo = reports[0]?.movedTo ?? []
    expect(movedTo).toEqual([`${dbFile.path}.corrupt-${clock.now()}`])
    expect(readFileSync(movedTo[0] ?? '')).toEqual(garbage)
    expect((await q.enqueue(input('a'))).ok).toBe(true)
    expect(q.counts().pending).toBe(1)
    await q.close()
  })

  it('moves aside a database whose pages are damaged', async () => {
    const first = openQueue(dbFile.path)
    await Promise.all(Array.from({ length: 200 }, (_, i) => first.enqueue(input(`e${i}`, { content: 'x'.repeat(500) }))))
    await first.close()
    const db = new DatabaseSync(dbFile.path)
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    db.close()
    const bytes = readFileSync(dbFile.path)
    bytes.fill(0xa5, 4096 * 3, 4096 * 6)
    writeFileSync(dbFile.path, bytes)
    const q = openQueue(dbFile.path)
    let recovered = false
    q.on('dlq.storeRecovered', () => (recovered = true))
    q.start()
    expect(recovered).toBe(true)
    expect(q.counts().pending).toBe(0)
    await q.close()
  })

  it('refuses to start on a schema from a newer version and leaves the file alone', () => {
    const db = new DatabaseSync(dbFile.path)
    db.exec(`CREATE TABLE future (x); PRAGMA user_version = ${DLQ_SCHEMA_VERSION + 1}`)
    db.close()
    const opened = DeadLetterQueue.open({ path: dbFile.path, config: DlqConfigSchema.parse({}), replayer: new ScriptedReplayer(delivered) })
    expect(!opened.ok && opened.error.code).toBe('DLQ_UNAVAILABLE')
    expect(!opened.ok && opened.error.message).toContain(`schema version ${DLQ_SCHEMA_VERSION + 1} is newer than this Conductor supports (${DLQ_SCHEMA_VERSION})`)
    const check = new DatabaseSync(dbFile.path)
    expect(check.prepare('PRAGMA user_version').get()).toEqual({ user_version: DLQ_SCHEMA_VERSION + 1 })
    check.close()
  })

  it('moves a file aside only for damage, never for a busy lock or a missing SQLite feature', () => {
    const sqliteError = (errcode: number): Error => Object.assign(new Error('x'), { errcode })
    expect([11, 14, 26, 11 | (1 << 8)].map((code) => isDamagedFile(sqliteError(code)))).toEqual([true, true, true, true])
    expect([1, 5, 6, 13].map((code) => isDamagedFile(sqliteError(code)))).toEqual([false, false, false, false])
    expect(isDamagedFile(new Error('no errcode'))).toBe(false)
  })

  it('answers DLQ_FULL when full, says so loudly, warns before, and evicts nothing', async () => {
    const q = openQueue(dbFile.path, { config: { maxEntries: 10, warnAtFraction: 0.8 } })
    const warnings: number[] = []
    const fulls: string[] = []
    q.on('dlq.capacityWarning', (e) => warnings.push(e.counts.live))
    q.on('dlq.full', (e) => fulls.push(e.rejectedId))
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => q.enqueue(input(`e${i}`))))
    expect(results.filter((r) => r.ok)).toHaveLength(10)
    expect(results.slice(10).map((r) => !r.ok && r.error)).toEqual([
      { code: 'DLQ_FULL', message: 'Dead-letter queue is full (10 entries)', capacity: 10 },
      { code: 'DLQ_FULL', message: 'Dead-letter queue is full (10 entries)', capacity: 10 }
    ])
    expect(fulls).toEqual(['e10', 'e11'])
    expect(warnings).toEqual([10])
    expect(q.counts()).toMatchObject({ live: 10, full: true })
    for (let i = 0; i < 10; i++) expect(q.get(`e${i}`).ok).toBe(true)
    const metrics = await q.metricsRegistry.getSingleMetricAsString('conductor_dlq_full')
    expect(metrics).toMatch(/conductor_dlq_full 1/)
    const rejected = await q.metricsRegistry.getSingleMetricAsString('conductor_dlq_enqueue_total')
    expect(rejected).toMatch(/result="full"} 2/)

    expect(q.operations.discard('e0', 'make room').ok).toBe(true)
    expect((await q.enqueue(input('e10'))).ok).toBe(true)
    const undo = q.operations.undoDiscard('e0')
    expect(!undo.ok && undo.error.code).toBe('DLQ_FULL')
    await q.close()
  })

  it('warns at the threshold before the queue is full', async () => {
    const q = openQueue(dbFile.path, { config: { maxEntries: 10, warnAtFraction: 0.5 } })
    const warnings: number[] = []
    q.on('dlq.capacityWarning', (e) => warnings.push(e.counts.live))
    for (let i = 0; i < 6; i++) await q.enqueue(input(`e${i}`))
    expect(warnings).toEqual([5])
    await q.close()
  })

  it('keeps a committed enqueue ok when an event listener throws, still tells the other listeners, and reports the throw', async () => {
    const errors: string[] = []
    const q = openQueue(dbFile.path, { onError: (cause) => errors.push((cause as Error).message) })
    const heard: string[] = []
    q.on('dlq.entryAdded', () => {
      throw new Error('panel bridge went away')
    })
    q.on('dlq.entryAdded', ({ entry }) => heard.push(entry.id))
    const results = await Promise.all([q.enqueue(input('a')), q.enqueue(input('b'))])
    expect(results).toEqual([{ ok: true, value: { id: 'a' } }, { ok: true, value: { id: 'b' } }])
    expect(heard).toEqual(['a', 'b'])
    expect(q.counts()).toMatchObject({ pending: 2, live: 2 })
    expect(errors).toEqual(['a dlq.entryAdded listener threw: panel bridge went away', 'a dlq.entryAdded listener threw: panel bridge went away'])
    await q.close()
    const reopened = openQueue(dbFile.path)
    expect(reopened.counts()).toMatchObject({ pending: 2 })
    await reopened.close()
  })

  it('writes a replay outcome again after a failed write (a lock held by another process) instead of leaving the entry retrying', async () => {
    const clock = new FakeClock()
    const replayer = new HeldReplayer()
    const errors: string[] = []
    // A short lock wait: the default (5 s) would hold this test's only thread for that long on each try.
    const q = openQueue(dbFile.path, { clock, replayer, onError: (cause) => errors.push((cause as Error).message), config: { busyTimeoutMs: 20 } })
    q.start()
    await q.enqueue(input('a'))
    clock.advance(60_000)
    expect(replayer.inFlight).toBe(1)
    // Someone opens the file and holds its write lock while the replay is out.
    const other = new DatabaseSync(dbFile.path)
    other.exec('BEGIN IMMEDIATE')
    replayer.release.shift()!(delivered)
    await new Promise((resolve) => setImmediate(resolve))
    expect(errors).toEqual([expect.stringMatching(/could not record the replay outcome of a \(.*locked.*\); trying again in 1000 ms/i)])
    expect(q.counts().retrying).toBe(1)
    clock.advance(1_000) // still locked: the next try waits twice as long
    expect(errors.at(-1)).toMatch(/trying again in 2000 ms/)
    other.exec('ROLLBACK')
    other.close()
    const resolved = nextEvent(q, 'dlq.entryUpdated', (e) => e.entry.id === 'a')
    clock.advance(2_000)
    expect((await resolved).entry).toMatchObject({ state: 'resolved' })
    expect(q.counts()).toMatchObject({ retrying: 0, resolved: 1 })
    await q.close()
  })

  it('survives a restart and returns a replay interrupted mid-flight to pending without counting it', async () => {
    const clock = new FakeClock()
    const first = openQueue(dbFile.path, { clock, replayer: { replay: () => new Promise(() => {}) } })
    first.start()
    await first.enqueue(input('a'))
    clock.advance(60_000)
    expect(first.counts().retrying).toBe(1)
    // Simulate a crash: the process dies with the replay in flight (no close).
    const raw = new DatabaseSync(dbFile.path)
    expect(raw.prepare("SELECT state FROM entries WHERE id = 'a'").get()).toEqual({ state: 'retrying' })
    raw.close()

    const second = openQueue(dbFile.path, { clock, replayer: new ScriptedReplayer(delivered) })
    second.start()
    const detail = second.get('a')
    if (!detail.ok) throw new Error('missing')
    expect(detail.value.entry).toMatchObject({ state: 'pending', attemptCount: 0, nextAttemptAtMs: clock.now() })
    expect(detail.value.attempts.at(-1)).toMatchObject({ outcome: 'interrupted', n: null })
    await second.close()
  })

  it('closes with a replay in flight that ignores the abort, and resumes that entry on the next start', async () => {
    const clock = new FakeClock()
    let sawAbort = false
    const first = openQueue(dbFile.path, {
      clock,
      replayer: { replay: (_request, options) => (options?.signal?.addEventListener('abort', () => (sawAbort = true)), new Promise(() => {})) }
    })
    first.start()
    await first.enqueue(input('a'))
    clock.advance(60_000)
    await first.close()
    expect(sawAbort).toBe(true)
    const second = openQueue(dbFile.path, { clock })
    second.start()
    const detail = second.get('a')
    expect(detail.ok && detail.value.entry.state).toBe('pending')
    expect(detail.ok && detail.value.attempts.at(-1)?.outcome).toBe('interrupted')
    await second.close()
  })

  it('deletes resolved and discarded entries only under an explicit retention policy', async () => {
    const clock = new FakeClock()
    const keep = openQueue(dbFile.path, { clock })
    keep.start()
    await keep.enqueue(input('a'))
    keep.operations.discard('a', 'old')
    clock.advance(365 * 86_400_000)
    expect(keep.sweepRetention()).toEqual([])
    await keep.close()

    const pruning = openQueue(dbFile.path, { clock, config: { retention: { discardedMs: 86_400_000 } } })
    const removed: string[][] = []
    pruning.on('dlq.entriesRemoved', (e) => removed.push(e.ids))
    await pruning.enqueue(input('b'))
    pruning.operations.discard('b', 'fresh')
    pruning.start()
    expect(removed).toEqual([['a']])
    expect(pruning.get('b').ok).toBe(true)
    expect(pruning.counts().discarded).toBe(1)
    await pruning.close()
  })
})
