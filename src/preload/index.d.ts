/** `window.conductor`, as the preload exposes it (the renderer reaches it only through its RPC client). */
import type { ConductorBridge } from '../shared/contract.ts'

declare global {
  interface Window {
    conductor?: ConductorBridge
  }
}
