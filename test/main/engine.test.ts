import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/main/config.ts'
import { createEngine, type Engine } from '../../src/main/engine.ts'

const root = join(import.meta.dirname, '../..')

describe('createEngine close', () => {
  let dir: string | null = null
  let engine: Engine | null = null
  afterEach(async () => {
    await engine?.close()
    engine = null
    if (dir !== null) rmSync(dir, { recursive: true, force: true })
    dir = null
  })

  it('keeps a request that fails because the engine is closing in the dead-letter queue', async () => {
    dir = mkdtempSync(join(tmpdir(), 'conductor-engine-'))
    const dbPath = join(dir, 'dlq.sqlite')
    const config = loadConfig({
      plugins: { userPluginsDir: join(root, 'test/fixtures/plugins/user'), healthCheckIntervalMs: 0 },
      dlq: { dbPath, backoff: { baseMs: 600_000, capMs: 600_000, jitter: 'none' } }
    })
    const running = await createEngine(config, { defaultDlqPath: dbPath })
    engine = running
    const { router, runner } = running.parts
    const answer = router.routeRequest({ id: 'closing-1', type: 'x', content: 'sleep:60000', target: ['flaky'] })
    // The request is in the sandbox before the close starts (it gets there within the current turn).
    await new Promise((resolve) => setImmediate(resolve))
    expect(runner.instances().some((info) => info.inFlight > 0)).toBe(true)
    await running.close()
    engine = null
    const response = await answer
    expect(response.ok).toBe(false)
    expect(response.dlqError).toBeUndefined()
    expect(response.dlqId).toBe('closing-1')

    const reopened = await createEngine(config, { defaultDlqPath: dbPath })
    engine = reopened
    const stored = reopened.parts.dlq.get('closing-1')
    expect(stored.ok && stored.value.entry.state).toBe('pending')
  })
})
