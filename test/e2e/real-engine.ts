/**
 * The real engine for the browser test, composed the way `src/main/engine.ts` will: sandbox runner, plugin
 * manager (built-in discord + android, plus the fails-on-demand `flaky` fixture as a user plugin), router,
 * and a SQLite dead-letter queue in a temp dir, adapted to the panel with `createEnginePort`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { DeadLetterQueue } from '../../src/main/conductor/dlq/dead-letter-queue.ts'
import { DlqConfigSchema } from '../../src/main/conductor/dlq/dlq-config.ts'
import { IsolatedPluginRunner } from '../../src/main/conductor/isolation.ts'
import { RequestRouter } from '../../src/main/conductor/router.ts'
import { createRoutingMetrics } from '../../src/main/conductor/routing/routing-metrics.ts'
import { PluginManager } from '../../src/main/plugins/manager.ts'
import { createEnginePort } from '../../src/main/transport/engine-adapter.ts'
import { root } from './browser.ts'

export async function startRealEngine() {
  const dir = mkdtempSync(join(tmpdir(), 'conductor-e2e-'))
  const runner = new IsolatedPluginRunner({})
  const manager = new PluginManager({
    runner,
    config: { userPluginsDir: join(root, 'test/fixtures/plugins/user'), healthCheckIntervalMs: 0, overrides: { discord: { instances: 2 }, android: { instances: 2 } } }
  })
  await manager.start()
  let queue: DeadLetterQueue | null = null
  const router = new RequestRouter({
    directory: manager,
    runner,
    deadLetters: { enqueue: (input) => (queue as DeadLetterQueue).enqueue(input) },
    metrics: createRoutingMetrics(new Registry())
  })
  // Retries only when an operator asks: the automatic backoff starts at ten minutes.
  const opened = DeadLetterQueue.open({ config: DlqConfigSchema.parse({ backoff: { baseMs: 600_000, capMs: 600_000, jitter: 'none' } }), path: join(dir, 'dlq.sqlite'), replayer: router, metricsRegistry: new Registry() })
  if (!opened.ok) throw new Error(opened.error.message)
  queue = opened.value
  queue.start()
  const engine = createEnginePort({ runner, manager, router, dlq: queue })
  return {
    engine,
    runner,
    manager,
    router,
    dlq: queue,
    close: async () => {
      engine.dispose()
      await queue?.close()
      await manager.stop()
      await runner.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
