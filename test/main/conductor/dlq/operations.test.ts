import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DeadLetterQueue } from '../../../../src/main/conductor/dlq/dead-letter-queue.ts'
import { DlqBulkPreviewSchema, DlqBulkResultSchema, DlqCountsSchema, DlqEntryDetailSchema, DlqErrorGroupSchema, DlqPageSchema, DlqSettingsSchema } from '../../../../src/shared/dlq.ts'
import { delivered, FakeClock, input, nextEvent, openQueue, ScriptedReplayer, tempDir } from './helpers.ts'

describe('DeadLetterQueue operator actions', () => {
  let temp: ReturnType<typeof tempDir>
  let clock: FakeClock
  let replayer: ScriptedReplayer
  let q: DeadLetterQueue
  beforeEach(() => {
    temp = tempDir()
    clock = new FakeClock()
    replayer = new ScriptedReplayer(delivered)
    q = openQueue(join(temp.dir, 'dlq.sqlite'), { clock, replayer, config: { maxAttempts: 3 } })
    q.start()
  })
  afterEach(async () => {
    await q.close()
    temp.cleanup()
  })

  it('discards with a kept reason and restores the previous state on undo', async () => {
    await q.enqueue(input('a'))
    expect(q.operations.discard('a', '  ').ok).toBe(false)
    const discarded = q.operations.discard('a', 'spam from a test account')
    expect(discarded.ok && discarded.value.discard).toMatchObject({ reason: 'spam from a test account', previousState: 'pending' })
    expect(q.nextTimerAtMs).toBeNull()
    clock.advance(3_600_000)
    expect(replayer.seen).toHaveLength(0)

    const restored = q.operations.undoDiscard('a', 'was not spam')
    expect(restored.ok && [restored.value.state, restored.value.discard]).toEqual(['pending', null])
    const detail = q.get('a')
    expect(detail.ok && detail.value.actions.map((a) => [a.kind, a.reason, a.atMs])).toEqual([
      ['discard', 'spam from a test account', clock.now() - 3_600_000],
      ['undoDiscard', 'was not spam', clock.now()]
    ])
  })

  it('sends the edited payload on the next replay and keeps the original', async () => {
    await q.enqueue(input('a', { content: 'bad content' }))
    const edited = q.operations.editPayload('a', { id: 'ignored', type: 'message', content: 'fixed content', metadata: {} }, 'typo')
    expect(edited.ok).toBe(true)
    const done = nextEvent(q, 'dlq.entryUpdated', (e) => e.entry.state === 'resolved')
    q.operations.retry('a')
    clock.advance(0)
    await done
    expect(replayer.seen[0]).toMatchObject({ id: 'a', content: 'fixed content' })
    const detail = q.get('a')
    if (!detail.ok) throw new Error('missing')
    expect(detail.value.entry.originalRequest).toMatchObject({ content: 'bad content' })
    expect(detail.value.actions.map((a) => a.kind)).toEqual(['editPayload', 'retry'])
    expect(detail.value.actions[0]?.detail.previousRequest).toMatchObject({ content: 'bad content' })
  })

  it('keeps the target of a fan-out part when an edit leaves it out, and takes a target the edit writes out', async () => {
    const part = input('fan-1@flaky')
    await q.enqueue({ ...part, entryId: 'fan-1@flaky', request: { ...part.request, id: 'fan-1', target: ['flaky'] } })
    const kept = q.operations.editPayload('fan-1@flaky', { type: 'message', content: 'fixed', metadata: {} }, 'typo')
    expect(kept.ok && kept.value.request).toEqual({ id: 'fan-1', type: 'message', content: 'fixed', metadata: {}, target: ['flaky'] })
    const moved = q.operations.editPayload('fan-1@flaky', { type: 'message', content: 'fixed', target: ['discord'] }, 'send it elsewhere')
    expect(moved.ok && moved.value.request.target).toEqual(['discord'])
  })

  it('answers in the shapes of the shared contract the panel parses', async () => {
    await q.enqueue(input('a'))
    q.operations.editPayload('a', { content: 'x' }, 'edit')
    q.operations.discard('a', 'why not')
    expect(() => DlqEntryDetailSchema.parse(q.get('a').ok ? (q.get('a') as { value: unknown }).value : null)).not.toThrow()
    const page = q.page({ filter: { text: 'hello' } })
    expect(() => DlqPageSchema.parse(page.ok ? page.value : null)).not.toThrow()
    expect(() => DlqErrorGroupSchema.array().parse(q.errorGroups({}))).not.toThrow()
    expect(() => DlqCountsSchema.parse(q.counts())).not.toThrow()
    expect(DlqSettingsSchema.parse(q.settings()).schedule.map((s) => s.maxMs)).toEqual([1_000, 2_000, 4_000])
    const preview = q.operations.previewBulk('retry', { states: ['discarded'] })
    expect(() => DlqBulkPreviewSchema.parse(preview.ok ? preview.value : null)).not.toThrow()
    const result = preview.ok ? q.operations.applyBulk(preview.value.token) : null
    expect(() => DlqBulkResultSchema.parse(result?.ok ? result.value : null)).not.toThrow()
  })

  it('answers NOT_FOUND for an unknown id', () => {
    const result = q.operations.retry('nope')
    expect(!result.ok && result.error.code).toBe('NOT_FOUND')
  })

  it('is idempotent per request id, also for duplicates committed in the same batch', async () => {
    const results = await Promise.all([q.enqueue(input('a')), q.enqueue(input('a')), q.enqueue(input('b'))])
    expect(results.map((r) => r.ok && r.value.id)).toEqual(['a', 'a', 'b'])
    expect((await q.enqueue(input('a', { message: 'different' }))).ok).toBe(true)
    expect(q.counts().pending).toBe(2)
    const a = q.get('a')
    expect(a.ok && a.value.attempts).toEqual([
      {
        atMs: 1_700_000_000_000, durationMs: 12, origin: 'router', outcome: 'failed', round: 0, n: null, platform: 'discord',
        instanceId: 'i-1', error: { code: 'PLUGIN_ERROR', message: 'send failed for user 42 (req a)' }, note: null
      }
    ])
  })

  it('reopens a resolved or discarded entry when its request fails again, instead of dropping the new failure', async () => {
    await q.enqueue(input('a'))
    await q.enqueue(input('b'))
    const resolved = nextEvent(q, 'dlq.entryUpdated', ({ entry }) => entry.id === 'a' && entry.state === 'resolved')
    q.operations.discard('b', 'handled by hand')
    clock.advance(3_600_000)
    await resolved
    expect(q.counts()).toMatchObject({ pending: 0, resolved: 1, discarded: 1 })

    expect((await q.enqueue(input('a', { message: 'timed out again' }))).ok).toBe(true)
    expect((await q.enqueue(input('b', { message: 'failed after the discard' }))).ok).toBe(true)
    expect(q.counts()).toMatchObject({ pending: 2, resolved: 0, discarded: 0 })
    for (const [id, message] of [['a', 'timed out again'], ['b', 'failed after the discard']] as const) {
      const detail = q.get(id)
      if (!detail.ok) throw new Error(`${id} missing`)
      expect(detail.value.entry).toMatchObject({ state: 'pending', round: 1, attemptCount: 0, lastError: { code: 'PLUGIN_ERROR', message }, discard: null })
      expect(detail.value.entry.nextAttemptAtMs).not.toBeNull()
      expect(detail.value.attempts.at(-1)).toMatchObject({ origin: 'router', round: 1, error: { message } })
    }
  })

  it('filters by state, platform, attempts and time, and pages with a cursor without gaps or repeats', async () => {
    const base = 1_700_000_000_000
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        q.enqueue(input(`e${i}`, { platform: i % 3 === 0 ? 'android' : 'discord', atMs: base + i * 1_000 }))
      )
    )
    q.operations.discard('e1', 'noise')
    const android = q.page({ filter: { platforms: ['android'] }, limit: 4 })
    expect(android.ok && android.value.total).toBe(10)
    const seen: string[] = []
    let cursor: string | undefined
    for (;;) {
      const page = q.page({ filter: { platforms: ['android'] }, limit: 4, cursor })
      if (!page.ok) throw new Error('page failed')
      seen.push(...page.value.entries.map((e) => e.id))
      if (page.value.nextCursor === null) break
      cursor = page.value.nextCursor
    }
    expect(seen).toEqual(['e27', 'e24', 'e21', 'e18', 'e15', 'e12', 'e9', 'e6', 'e3', 'e0'])
    const discardedOnly = q.page({ filter: { states: ['discarded'] } })
    expect(discardedOnly.ok && discardedOnly.value.entries.map((e) => e.id)).toEqual(['e1'])
    const window = q.page({ filter: { fromMs: base + 5_000, toMs: base + 7_000 } })
    expect(window.ok && window.value.entries.map((e) => e.id)).toEqual(['e7', 'e6', 'e5'])
    const none = q.page({ filter: { minAttempts: 1 } })
    expect(none.ok && none.value.total).toBe(0)
  })

  it('searches error text and payload with a match count, case-insensitively, also for short terms', async () => {
    await q.enqueue(input('a', { message: 'Gateway rejected token', content: 'order #77 shipped' }))
    await q.enqueue(input('b', { message: 'socket hang up', content: 'refund for ORDER #78' }))
    await q.enqueue(input('c', { message: 'socket hang up', content: 'hello' }))
    const search = (text: string): string[] => {
      const page = q.page({ filter: { text } })
      if (!page.ok) throw new Error('search failed')
      expect(page.value.total).toBe(page.value.entries.length)
      return page.value.entries.map((e) => e.id).sort()
    }
    expect(search('rejected TOKEN')).toEqual(['a'])
    expect(search('order #7')).toEqual(['a', 'b'])
    expect(search('hang up')).toEqual(['b', 'c'])
    expect(search('#7')).toEqual(['a', 'b'])
    expect(search('"quoted"')).toEqual([])
    q.operations.editPayload('c', { content: 'now mentions order #79' })
    expect(search('order #7')).toEqual(['a', 'b', 'c'])
  })

  it('matches the term as written: every trigram in place, in order, any case, any length', async () => {
    await q.enqueue(input('order', { message: 'socket hang up', content: 'x' }))
    await q.enqueue(input('reversed', { message: 'up hang socket', content: 'x' }))
    await q.enqueue(input('apart', { message: 'hang on, up next', content: 'x' }))
    await q.enqueue(input('accent', { message: 'ok', content: 'Rendez-vous à l\'ÉCOLE "Nord"' }))
    const long = 'the quick brown fox jumps over the lazy dog while the gateway keeps timing out'
    await q.enqueue(input('long', { message: long, content: 'x' }))
    await q.enqueue(input('long-twisted', { message: long.replace('lazy', 'busy'), content: 'x' }))
    const search = (text: string): string[] => {
      const page = q.page({ filter: { text } })
      if (!page.ok) throw new Error('search failed')
      return page.value.entries.map((e) => e.id).sort()
    }
    // The index only says which entries hold each trigram; the text check keeps the order.
    expect(search('hang up')).toEqual(['order'])
    expect(search('up hang')).toEqual(['reversed'])
    expect(search('école')).toEqual(['accent'])
    expect(search('l\'école "nord"')).toEqual(['accent'])
    // More trigrams than go to the index (24): the ones left out still decide through the text check.
    expect(search(long)).toEqual(['long'])
    expect(search(long.toUpperCase())).toEqual(['long'])
  })

  it('groups failures by normalised signature with count and first/last seen', async () => {
    await q.enqueue(input('a', { message: 'timeout after 5000ms for user 12', atMs: 1_000 }))
    await q.enqueue(input('b', { message: 'timeout after 7000ms for user 99', atMs: 3_000 }))
    await q.enqueue(input('c', { message: 'timeout after 7000ms for user 99', platform: 'android', atMs: 2_000 }))
    await q.enqueue(input('d', { message: 'unknown channel 3f2b1c9e-1d2a-4c3b-9a8f-0123456789ab', atMs: 4_000 }))
    const groups = q.errorGroups()
    expect(groups.map((g) => [g.code, g.platform, g.pattern, g.count, g.firstSeenMs, g.lastSeenMs])).toEqual([
      ['PLUGIN_ERROR', 'discord', 'timeout after <n>ms for user <n>', 2, 1_000, 3_000],
      ['PLUGIN_ERROR', 'discord', 'unknown channel <uuid>', 1, 4_000, 4_000],
      ['PLUGIN_ERROR', 'android', 'timeout after <n>ms for user <n>', 1, 2_000, 2_000]
    ])
    const first = groups[0]
    if (first === undefined) throw new Error('no group')
    const members = q.page({ filter: { signature: first.signature } })
    expect(members.ok && members.value.entries.map((e) => e.id).sort()).toEqual(['a', 'b'])
  })

  it('bulk-discards exactly the previewed set, not entries that arrived after the preview', async () => {
    await Promise.all(['a', 'b', 'c'].map((id) => q.enqueue(input(id))))
    await q.enqueue(input('x', { platform: 'android' }))
    const preview = q.operations.previewBulk('discard', { platforms: ['discord'] })
    if (!preview.ok) throw new Error('preview failed')
    expect(preview.value.count).toBe(3)
    expect(preview.value.asOfMs).toBe(clock.now())
    await q.enqueue(input('late'))
    q.operations.discard('c', 'handled by hand')

    expect(q.operations.applyBulk(preview.value.token).ok).toBe(false)
    const again = q.operations.previewBulk('discard', { platforms: ['discord'] })
    if (!again.ok) throw new Error('preview failed')
    await q.enqueue(input('later'))
    const result = q.operations.applyBulk(again.value.token, 'campaign cancelled')
    if (!result.ok) throw new Error(result.error.message)
    expect(result.value).toMatchObject({ requested: 4, applied: 3, skipped: { discarded: 1 } })
    const states = Object.fromEntries(['a', 'b', 'c', 'late', 'later', 'x'].map((id) => {
      const d = q.get(id)
      return [id, d.ok ? d.value.entry.state : 'missing']
    }))
    expect(states).toEqual({ a: 'discarded', b: 'discarded', c: 'discarded', late: 'discarded', later: 'pending', x: 'pending' })
    expect(q.operations.applyBulk(again.value.token, 'twice').ok).toBe(false)
    const summary = q.actions().at(-1)
    expect(summary).toMatchObject({ kind: 'bulkDiscard', reason: 'campaign cancelled', detail: { applied: 3, requested: 4 } })
  })

  it('bulk-retries dead entries into a fresh round', async () => {
    const failing = new ScriptedReplayer({ kind: 'invalid', error: { code: 'INTERNAL', message: 'nope' } })
    await q.close()
    q = openQueue(join(temp.dir, 'dlq.sqlite'), { clock, replayer: failing })
    q.start()
    await Promise.all(['a', 'b'].map((id) => q.enqueue(input(id))))
    const dead = nextEvent(q, 'dlq.entryUpdated', () => q.counts().dead === 2)
    clock.advance(60_000)
    await dead
    const preview = q.operations.previewBulk('retry', { states: ['dead'] })
    if (!preview.ok) throw new Error('preview failed')
    const result = q.operations.applyBulk(preview.value.token, 'plugin reinstalled')
    expect(result.ok && result.value.applied).toBe(2)
    expect(q.counts()).toMatchObject({ dead: 0, pending: 2 })
    const a = q.get('a')
    expect(a.ok && [a.value.entry.round, a.value.entry.attemptCount]).toEqual([1, 0])
  })
})
