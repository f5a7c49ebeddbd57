/** The write-ahead inbox: what an enqueue writes, and rows left behind by an earlier version. */
import { describe, expect, it } from 'vitest'
import { DlqConfigSchema } from '../../../../src/main/conductor/dlq/dlq-config.ts'
import { createEntry } from '../../../../src/main/conductor/dlq/entry-transitions.ts'
import { openDlqDatabase } from '../../../../src/main/conductor/dlq/sqlite-open.ts'
import { ENTRY_COLUMNS, entryParams, errorText, payloadText } from '../../../../src/main/conductor/dlq/sqlite-rows.ts'
import { input, openQueue, databasePerTest } from './helpers.ts'

describe('DLQ inbox', () => {
  const dbFile = databasePerTest()

  it('materialises an inbox row whose attempts an earlier version stored as JSON text', async () => {
    const opened = openDlqDatabase(dbFile.path, 0)
    if (!opened.ok) throw new Error(opened.error.message)
    const db = opened.value.db
    const { entry, attempts } = createEntry(input('old', { message: 'gateway exploded' }), {
      nowMs: 1_700_000_000_000,
      config: DlqConfigSchema.parse({}),
      random: () => 0.5
    })
    const columns = ENTRY_COLUMNS.split(',').length
    db.prepare(
      `INSERT INTO inbox (${ENTRY_COLUMNS}, attempts_json, fts_errors, fts_payload)
       VALUES (${Array.from({ length: columns + 3 }, () => '?').join(', ')})`
    ).run(...entryParams(entry), JSON.stringify(attempts), attempts.map(errorText).join(''), payloadText(entry))
    expect(db.prepare('SELECT typeof(attempts_json) AS t FROM inbox').get()).toEqual({ t: 'text' })
    db.close()

    const q = openQueue(dbFile.path)
    const detail = q.get('old')
    if (!detail.ok) throw new Error(detail.error.message)
    expect(detail.value.entry).toEqual(entry)
    expect(detail.value.attempts).toEqual(attempts)
    const found = q.page({ filter: { text: 'gateway exploded' } })
    expect(found.ok && found.value.entries.map((e) => e.id)).toEqual(['old'])
    await q.close()
  })

  it('keeps the attempts of a new entry exactly, error objects included', async () => {
    const q = openQueue(dbFile.path)
    const withDetail = input('a', { message: 'quota "daily" exceeded — 100% used' })
    const first = withDetail.attempts[0]
    if (first === undefined) throw new Error('no attempt')
    withDetail.attempts.push({ ...first, atMs: first.atMs + 5, error: { code: 'PLUGIN_TIMEOUT', message: 'slow', timeoutMs: 5000 } })
    expect((await q.enqueue(withDetail)).ok).toBe(true)
    const detail = q.get('a')
    if (!detail.ok) throw new Error(detail.error.message)
    expect(detail.value.attempts.map((a) => [a.atMs, a.durationMs, a.origin, a.outcome, a.round, a.n, a.platform, a.instanceId, a.error, a.note])).toEqual(
      withDetail.attempts.map((a) => [a.atMs, a.durationMs, 'router', 'failed', 0, null, a.platform, a.instanceId, a.error, null])
    )
    await q.close()
  })

  it('refuses a request that is not JSON on its own, and stores the rest of the batch', async () => {
    const q = openQueue(dbFile.path)
    const circular = input('bad')
    circular.request.self = circular.request
    const results = await Promise.all([q.enqueue(input('a')), q.enqueue(circular), q.enqueue(input('b'))])
    expect(results.map((r) => (r.ok ? r.value.id : r.error.code))).toEqual(['a', 'BAD_REQUEST', 'b'])
    expect(q.counts().pending).toBe(2)
    expect(q.get('a').ok && q.get('b').ok).toBe(true)
    expect(q.get('bad').ok).toBe(false)
    await q.close()
  })
})
