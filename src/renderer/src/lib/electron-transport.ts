/** The Electron link: the preload's `window.conductor` frame pipe (always open while the window lives). */
import type { ConductorBridge } from '../../../shared/contract.ts'
import type { Transport, TransportStatus } from './transport.ts'

export function createElectronTransport(bridge: ConductorBridge): Transport {
  return {
    kind: 'electron',
    request: (frame) => bridge.request(frame),
    onEvent: (listener) => bridge.onEvent(listener),
    onStatus: (listener: (status: TransportStatus) => void) => {
      listener('open')
      return () => undefined
    },
    status: () => 'open',
    close: () => undefined
  }
}
