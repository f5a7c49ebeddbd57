/**
 * Composes the engine both hosts run: sandbox runner → plugin manager → router ⇄ dead-letter queue, adapted
 * to the panel's `EnginePort`. Electron and the headless host differ only in what they inject (a utility
 * process host, where the database lives), so this file imports no electron and no transport.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { ConductorConfig } from './config.ts'
import { DeadLetterQueue } from './conductor/dlq/dead-letter-queue.ts'
import { IsolatedPluginRunner } from './conductor/isolation.ts'
import { RequestRouter } from './conductor/router.ts'
import type { ProcessHost } from './conductor/sandbox/process-host.ts'
import { PluginManager } from './plugins/manager.ts'
import { createEnginePort } from './transport/engine-adapter.ts'
import type { EnginePort } from './transport/engine-port.ts'

export interface CreateEngineOptions {
  /** Where the DLQ database lives when `config.dlq.dbPath` is not set (Electron: userData/dlq.sqlite). */
  defaultDlqPath: string
  /** Electron's utility process host, injected by the Electron root only. */
  utilityHost?: ProcessHost
  /** The hardened host; inside Electron a plain Node child of the Electron binary (`ELECTRON_RUN_AS_NODE`). */
  hardenedHost?: ProcessHost
  /** Built-in plugins folder (a packaged app passes its own). */
  builtinPluginsDir?: string
}

export interface Engine extends EnginePort {
  /** The engine's parts, for hosts and tests that need more than the panel's port. */
  readonly parts: { runner: IsolatedPluginRunner; manager: PluginManager; router: RequestRouter; dlq: DeadLetterQueue }
  /**
   * Stops retries, then plugins, then sandboxes, waits for the requests they failed to be handed off, and
   * closes the DLQ file last so no hand-off is lost.
   */
  close(): Promise<void>
}

/**
 * Builds and starts the engine. Rejects with a clear message when the DLQ cannot open (e.g. a database
 * written by a newer Conductor): running without a durable DLQ would drop failed requests silently.
 */
export async function createEngine(config: ConductorConfig, options: CreateEngineOptions): Promise<Engine> {
  const dlqPath = config.dlq.dbPath ?? options.defaultDlqPath
  if (dlqPath !== ':memory:') mkdirSync(dirname(dlqPath), { recursive: true })

  const runner = new IsolatedPluginRunner(config.sandbox, {
    ...(options.utilityHost ? { utilityHost: options.utilityHost } : {}),
    ...(options.hardenedHost ? { hardenedHost: options.hardenedHost } : {})
  })
  const manager = new PluginManager({
    runner,
    config: config.plugins,
    ...(options.builtinPluginsDir ? { builtinDir: options.builtinPluginsDir } : {})
  })

  // The router and the queue need each other: failures go router → queue, retries queue → router.
  let dlq: DeadLetterQueue | null = null
  const router = new RequestRouter({
    config: config.router,
    directory: manager,
    runner,
    deadLetters: {
      enqueue: (input) =>
        dlq
          ? dlq.enqueue(input)
          : Promise.resolve({ ok: false, error: { code: 'DLQ_UNAVAILABLE', message: 'the dead-letter queue is not open yet' } })
    }
  })
  const opened = DeadLetterQueue.open({ config: config.dlq, path: dlqPath, replayer: router })
  if (!opened.ok) {
    await runner.close()
    throw new Error(`Conductor cannot start its dead-letter queue at ${dlqPath}: ${opened.error.message}`)
  }
  dlq = opened.value
  const queue = dlq

  try {
    await manager.start()
  } catch (cause) {
    // Whatever did start must not outlive a failed start: sandboxes stop, the DLQ file closes.
    await manager.stop().catch(() => undefined)
    await runner.close()
    await queue.close()
    throw cause
  }
  queue.start()
  const port = createEnginePort({ runner, manager, router, dlq: queue })

  return Object.assign(port, {
    parts: { runner, manager, router, dlq: queue },
    close: async () => {
      port.dispose()
      queue.stopReplays()
      await manager.stop()
      await runner.close()
      await router.idle()
      await queue.close()
    }
  })
}
