/**
 * Composes the panel's server side over an engine: handlers, RPC server, incident log, redrive jobs and the
 * update batcher. Both composition roots (Electron and headless) call this, then attach their transport.
 */
import type { EnginePort } from './engine-port.ts'
import { createHandlers } from './handlers.ts'
import { IncidentLog } from './incident-log.ts'
import { RedriveCoordinator, type RedriveStateStore } from './redrive.ts'
import { RpcServer, type RpcServerOptions } from './rpc-server.ts'
import { UpdateBatcher, type UpdateBatcherOptions } from './update-batcher.ts'

export interface PanelServerOptions extends RpcServerOptions {
  intervalMs?: number
  /** Keeps canary / retry-when-healthy redrives across restarts (createRedriveFileStore); absent = memory only. */
  redriveStore?: RedriveStateStore
  setInterval?: UpdateBatcherOptions['setInterval']
  clearInterval?: UpdateBatcherOptions['clearInterval']
}

export interface PanelServer {
  server: RpcServer
  batcher: UpdateBatcher
  incidents: IncidentLog
  redrive: RedriveCoordinator
  /** Stops the tick timer and the engine subscription (the engine itself is the caller's to close). */
  close(): void
}

export function createPanelServer(engine: EnginePort, options: PanelServerOptions = {}): PanelServer {
  const incidents = new IncidentLog()
  const redrive = new RedriveCoordinator(engine, options.redriveStore === undefined ? {} : { store: options.redriveStore })
  const server = new RpcServer(createHandlers({ engine, incidents, redrive }), options)
  const batcher = new UpdateBatcher({ engine, server, incidents, redrive, ...options })
  batcher.start()
  return { server, batcher, incidents, redrive, close: () => batcher.stop() }
}
