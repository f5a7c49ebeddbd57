/**
 * How the RPC client reaches the server. Two implementations (Electron preload, WebSocket); the client and
 * the components never know which one runs. Frames are raw here; the client validates them.
 */
import type { RequestFrame } from '../../../shared/contract.ts'

export type TransportStatus = 'connecting' | 'open' | 'closed'

export interface Transport {
  readonly kind: 'electron' | 'websocket' | 'memory'
  /** Sends one request frame and resolves with the raw response frame; rejects if the link is down. */
  request(frame: RequestFrame): Promise<unknown>
  /** Every raw event frame; returns the unsubscribe function. */
  onEvent(listener: (frame: unknown) => void): () => void
  /** Link status changes (the Electron link is always open). */
  onStatus(listener: (status: TransportStatus) => void): () => void
  status(): TransportStatus
  close(): void
}
