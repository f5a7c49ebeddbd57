/**
 * An in-process `Transport` wired straight to an `RpcServer`, with frames round-tripped through JSON so the
 * client sees exactly what a wire would carry. The renderer's component tests and the conformance suite use it.
 */
import type { RequestFrame } from '../../../src/shared/contract.ts'
import type { RpcServer } from '../../../src/main/transport/rpc-server.ts'
import type { Transport, TransportStatus } from '../../../src/renderer/src/lib/transport.ts'

const wire = (frame: unknown): unknown => JSON.parse(JSON.stringify(frame))

export function createMemoryTransport(server: RpcServer): Transport & { disconnect(): void } {
  const events = new Set<(frame: unknown) => void>()
  const statuses = new Set<(status: TransportStatus) => void>()
  let status: TransportStatus = 'open'
  const removeSink = server.addSink((frame) => {
    for (const listener of events) listener(wire(frame))
  })
  const disconnect = (): void => {
    removeSink()
    status = 'closed'
    for (const listener of statuses) listener(status)
  }
  return {
    kind: 'memory',
    request: async (frame: RequestFrame) => {
      if (status !== 'open') throw new Error('the server connection is not open')
      return wire(await server.handle(wire(frame)))
    },
    onEvent: (listener) => {
      events.add(listener)
      return () => events.delete(listener)
    },
    onStatus: (listener) => {
      statuses.add(listener)
      listener(status)
      return () => statuses.delete(listener)
    },
    status: () => status,
    close: disconnect,
    disconnect
  }
}
