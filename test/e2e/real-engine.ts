/**
 * The real engine for the browser test, built by the same composition as both hosts (`createEngine`): sandbox
 * runner, plugin manager (built-in discord + android, plus the fails-on-demand `flaky` fixture as a user
 * plugin), router, and a SQLite dead-letter queue in a temp dir.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../src/main/config.ts'
import { createEngine } from '../../src/main/engine.ts'
import { root } from './browser.ts'

export async function startRealEngine() {
  const dir = mkdtempSync(join(tmpdir(), 'conductor-e2e-'))
  const config = loadConfig({
    plugins: {
      userPluginsDir: join(root, 'test/fixtures/plugins/user'),
      healthCheckIntervalMs: 0,
      overrides: { discord: { instances: 2 }, android: { instances: 2 } }
    },
    // Retries only when an operator asks: the automatic backoff starts at ten minutes.
    dlq: { backoff: { baseMs: 600_000, capMs: 600_000, jitter: 'none' } }
  })
  const engine = await createEngine(config, { defaultDlqPath: join(dir, 'dlq.sqlite') })
  return {
    engine,
    ...engine.parts,
    close: async () => {
      await engine.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
