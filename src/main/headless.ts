/**
 * Plain-Node composition root (`npm run serve`): the same engine as the desktop app, the built panel served
 * on 127.0.0.1, and the panel API over a token-protected WebSocket. Prints the token URL on start, like
 * Jupyter. Port and config file come from argv (`--port 8765 --config conductor.json`) or the environment
 * (`CONDUCTOR_PORT`, `CONDUCTOR_CONFIG`).
 */
import { mkdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { loadConfig, type ConductorConfig } from './config.ts'
import { createEngine } from './engine.ts'
import { createPanelServer, type PanelServerOptions } from './transport/create-panel-server.ts'
import { createRedriveFileStore } from './transport/redrive-file-store.ts'
import type { EnginePort } from './transport/engine-port.ts'
import { startWebSocketTransport } from './transport/websocket-server.ts'
import { metricsRegistry } from './conductor/metrics.ts'

export interface HeadlessOptions extends PanelServerOptions {
  engine: EnginePort
  /** Built renderer folder; defaults to `out/renderer` next to this bundle. */
  rendererDir?: string
  port?: number
  token?: string
}

export interface HeadlessHost {
  url: string
  port: number
  token: string
  close(): Promise<void>
}

/** Serves the panel for an engine the caller owns (and closes). */
export async function startHeadless(options: HeadlessOptions): Promise<HeadlessHost> {
  const panel = createPanelServer(options.engine, options)
  const transport = await startWebSocketTransport({
    server: panel.server,
    rendererDir: options.rendererDir ?? join(import.meta.dirname, '../renderer'),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.token === undefined ? {} : { token: options.token }),
    metrics: () => metricsRegistry.metrics()
  })
  return {
    url: transport.url,
    port: transport.port,
    token: transport.token,
    close: async () => {
      panel.close()
      await transport.close()
    }
  }
}

export interface CliArgs {
  port: number
  configPath: string | null
}

/** Reads `--port N` / `--config path` (argv wins) or `CONDUCTOR_PORT` / `CONDUCTOR_CONFIG`. */
export function parseCliArgs(argv: readonly string[], env: Record<string, string | undefined>): CliArgs {
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(name)
    if (i >= 0) return argv[i + 1]
    return argv.find((arg) => arg.startsWith(`${name}=`))?.slice(name.length + 1)
  }
  const portText = flag('--port') ?? env['CONDUCTOR_PORT'] ?? '0'
  const port = Number(portText)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`Invalid port ${JSON.stringify(portText)}`)
  return { port, configPath: flag('--config') ?? env['CONDUCTOR_CONFIG'] ?? null }
}

export type EngineFactory = (config: ConductorConfig) => Promise<EnginePort & { close(): Promise<void> }>

/** The CLI: config → engine → panel; closes everything on SIGINT/SIGTERM. */
export async function runHeadless(
  createEngine: EngineFactory,
  argv = process.argv.slice(2),
  env = process.env,
  panel: PanelServerOptions = {}
): Promise<HeadlessHost> {
  const args = parseCliArgs(argv, env)
  const config = loadConfig(args.configPath ? JSON.parse(await readFile(resolve(args.configPath), 'utf8')) : {})
  const engine = await createEngine(config)
  let host: HeadlessHost
  try {
    host = await startHeadless({ ...panel, engine, port: args.port })
  } catch (cause) {
    // E.g. the port is taken: the engine's sandboxes must not outlive the failed start.
    await engine.close()
    throw cause
  }
  console.log(`Conductor control panel is running at:\n\n    ${host.url}\n\nOpen it in a browser on this machine; the token is required.`)
  // The engine closes even when the panel server fails to; any failure shows in the exit code.
  const shutdown = async (): Promise<void> => {
    let failed = false
    for (const close of [() => host.close(), () => engine.close()]) {
      try {
        await close()
      } catch (cause) {
        failed = true
        console.error(`Conductor shutdown: ${cause instanceof Error ? cause.message : String(cause)}`)
      }
    }
    process.exit(failed ? 1 : 0)
  }
  process.once('SIGINT', () => void shutdown())
  process.once('SIGTERM', () => void shutdown())
  return host
}

/** Where the headless host keeps its data (the DLQ database) unless the config names a path. */
export function defaultDataDir(env: Record<string, string | undefined> = process.env): string {
  return env['CONDUCTOR_DATA_DIR'] ?? join(env['XDG_DATA_HOME'] ?? join(homedir(), '.local', 'share'), 'conductor')
}

if (import.meta.main) {
  try {
    const dataDir = defaultDataDir()
    mkdirSync(dataDir, { recursive: true })
    await runHeadless((config) => createEngine(config, { defaultDlqPath: join(dataDir, 'dlq.sqlite') }), undefined, undefined, {
      redriveStore: createRedriveFileStore(join(dataDir, 'redrives.json'))
    })
  } catch (cause) {
    console.error(`Conductor headless host could not start: ${cause instanceof Error ? cause.message : String(cause)}`)
    process.exit(1)
  }
}
