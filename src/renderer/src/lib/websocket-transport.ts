/**
 * The headless link: one WebSocket to `/rpc?token=…` on the page's own origin, with responses matched to
 * requests by id and a reconnect with capped backoff. Requests made while the link is down fail at once
 * (the UI shows the error); they are not queued, so nothing is sent twice.
 */
import type { RequestFrame } from '../../../shared/contract.ts'
import type { Transport, TransportStatus } from './transport.ts'

export interface WebSocketTransportOptions {
  url: string
  /** Injected in tests. */
  WebSocketImpl?: typeof WebSocket
  /** Reconnect delays, ms (doubling up to the cap). */
  reconnectBaseMs?: number
  reconnectCapMs?: number
  /** A request with no answer after this long fails, ms (default 30 s). */
  requestTimeoutMs?: number
}

export function createWebSocketTransport(options: WebSocketTransportOptions): Transport {
  const Impl = options.WebSocketImpl ?? WebSocket
  const eventListeners = new Set<(frame: unknown) => void>()
  const statusListeners = new Set<(status: TransportStatus) => void>()
  const pending = new Map<number, { resolve: (frame: unknown) => void; reject: (cause: Error) => void; timer: ReturnType<typeof setTimeout> }>()
  let socket: WebSocket | null = null
  let status: TransportStatus = 'connecting'
  let closedByUs = false
  let delayMs = options.reconnectBaseMs ?? 500

  const setStatus = (next: TransportStatus): void => {
    status = next
    for (const listener of statusListeners) listener(next)
  }

  const failAll = (why: string): void => {
    for (const [id, p] of pending) {
      clearTimeout(p.timer)
      p.reject(new Error(why))
      pending.delete(id)
    }
  }

  const connect = (): void => {
    setStatus('connecting')
    const ws = new Impl(options.url)
    socket = ws
    ws.onopen = () => {
      delayMs = options.reconnectBaseMs ?? 500
      setStatus('open')
    }
    ws.onmessage = (message: MessageEvent) => {
      let frame: unknown
      try {
        frame = JSON.parse(String(message.data))
      } catch {
        return
      }
      const id = typeof frame === 'object' && frame !== null ? (frame as { id?: unknown }).id : undefined
      if (typeof id === 'number' && pending.has(id)) {
        const p = pending.get(id)!
        pending.delete(id)
        clearTimeout(p.timer)
        p.resolve(frame)
      } else {
        for (const listener of eventListeners) listener(frame)
      }
    }
    ws.onclose = () => {
      socket = null
      failAll('connection closed')
      setStatus('closed')
      if (closedByUs) return
      setTimeout(connect, delayMs)
      delayMs = Math.min(delayMs * 2, options.reconnectCapMs ?? 10_000)
    }
  }
  connect()

  return {
    kind: 'websocket',
    request(frame: RequestFrame) {
      if (!socket || status !== 'open') return Promise.reject(new Error('the server connection is not open'))
      const ws = socket
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(frame.id)
          reject(new Error('no answer from the server'))
        }, options.requestTimeoutMs ?? 30_000)
        pending.set(frame.id, { resolve, reject, timer })
        ws.send(JSON.stringify(frame))
      })
    },
    onEvent(listener) {
      eventListeners.add(listener)
      return () => eventListeners.delete(listener)
    },
    onStatus(listener) {
      statusListeners.add(listener)
      listener(status)
      return () => statusListeners.delete(listener)
    },
    status: () => status,
    close() {
      closedByUs = true
      socket?.close()
    }
  }
}
