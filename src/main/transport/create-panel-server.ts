/**
 * Composes the panel's server side over an engine: handlers, RPC server, incident log, redrive jobs and the
 * update batcher. Both composition roots (Electron and headless) call this, then attach their transport.
 */
import type { EnginePort } from './engine-port.ts'
import { createHandlers } from './handlers.ts'
import { IncidentLog } from './incident-log.ts'
import { RedriveCoordinator, type RedriveStateStore } from './redrive.ts'
import { RpcServer, type Handlers, type RpcServerOptions } from './rpc-server.ts'
import type { MethodName } from '../../shared/contract.ts'
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

/** Methods that change what the live update shows (DLQ counts, breaker and instance states, redrive jobs). */
const OPERATOR_ACTIONS: readonly MethodName[] = [
  'dlq.retry',
  'dlq.discard',
  'dlq.undoDiscard',
  'dlq.editPayload',
  'dlq.bulkApply',
  'dlq.canaryRetry',
  'dlq.retryWhenHealthy',
  'plugins.restart',
  'breakers.reset',
  'breakers.forceOpen'
]

/** The handlers, with an update published right after each operator action (whatever its outcome). */
function refreshingAfterActions(handlers: Handlers, refresh: () => void): Handlers {
  const wrapped: Record<string, unknown> = { ...handlers }
  for (const method of OPERATOR_ACTIONS) {
    const inner = handlers[method] as (input: unknown) => unknown
    wrapped[method] = async (input: unknown) => {
      try {
        return await inner(input)
      } finally {
        refresh()
      }
    }
  }
  return wrapped as Handlers
}

export function createPanelServer(engine: EnginePort, options: PanelServerOptions = {}): PanelServer {
  const incidents = new IncidentLog()
  const redrive = new RedriveCoordinator(engine, options.redriveStore === undefined ? {} : { store: options.redriveStore })
  // The refresh runs only once a request is handled, after `batcher` below exists.
  const handlers = refreshingAfterActions(createHandlers({ engine, incidents, redrive }), () => void batcher.refresh())
  const server = new RpcServer(handlers, options)
  const batcher = new UpdateBatcher({ engine, server, incidents, redrive, ...options })
  batcher.start()
  return { server, batcher, incidents, redrive, close: () => batcher.stop() }
}
