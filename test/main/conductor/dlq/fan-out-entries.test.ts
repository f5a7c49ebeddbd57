/**
 * One failed platform of a fan-out is its own dead-letter entry (`<requestId>@<platform>`): idempotent on that
 * id, and the request keeps its own id through an edit and the replay. The router side is in
 * `router-end-to-end.test.ts`.
 */
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { DeadLetterQueue } from '../../../../src/main/conductor/dlq/dead-letter-queue.ts'
import { delivered, FakeClock, input, nextEvent, openQueue, ScriptedReplayer, tempDir } from './helpers.ts'

describe('fan-out platform entries', () => {
  let temp: ReturnType<typeof tempDir> | null = null
  let queue: DeadLetterQueue | null = null
  afterEach(async () => {
    await queue?.close()
    temp?.cleanup()
  })

  it('keys a platform entry by its entry id and keeps the request id through an edit and the replay', async () => {
    temp = tempDir()
    const clock = new FakeClock()
    const replayer = new ScriptedReplayer(delivered)
    const q = openQueue(join(temp.dir, 'dlq.sqlite'), { clock, replayer, config: { backoff: { baseMs: 10, capMs: 10, jitter: 'none' } } })
    queue = q
    const base = input('order-7', { platform: 'alpha' })
    const alpha = { ...base, entryId: 'order-7@alpha', request: { ...base.request, target: ['alpha'] } }
    const beta = { ...base, entryId: 'order-7@beta', route: { platform: 'beta', ruleId: 'rule-1' }, request: { ...base.request, target: ['beta'] } }
    expect(await Promise.all([q.enqueue(alpha), q.enqueue(alpha), q.enqueue(beta)])).toEqual([
      { ok: true, value: { id: 'order-7@alpha' } },
      { ok: true, value: { id: 'order-7@alpha' } },
      { ok: true, value: { id: 'order-7@beta' } }
    ])
    expect(q.counts()).toMatchObject({ pending: 2 })
    const edited = q.operations.editPayload('order-7@alpha', { type: 'message', content: 'edited', target: ['alpha'] }, 'fix typo')
    expect(edited.ok && edited.value.request).toEqual({ id: 'order-7', type: 'message', content: 'edited', target: ['alpha'] })

    q.start()
    const resolved = nextEvent(q, 'dlq.entryUpdated', (e) => e.entry.id === 'order-7@alpha' && e.entry.state === 'resolved')
    clock.advance(10)
    await resolved
    expect(replayer.seen.find((r) => r.content === 'edited')).toMatchObject({ id: 'order-7', target: ['alpha'] })
  })
})
