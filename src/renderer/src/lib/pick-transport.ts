/**
 * Chooses the link at start: the Electron preload's bridge when present, else a WebSocket to this page's own
 * server with the token from the URL (kept in sessionStorage and removed from the address bar, like Jupyter).
 */
import { createElectronTransport } from './electron-transport.ts'
import type { Transport } from './transport.ts'
import { createWebSocketTransport } from './websocket-transport.ts'

const TOKEN_KEY = 'conductor.token'

export function pickTransport(win: Window = window): Transport {
  if (win.conductor?.transport === 'electron') return createElectronTransport(win.conductor)
  const url = new URL(win.location.href)
  const fromUrl = url.searchParams.get('token')
  if (fromUrl) {
    win.sessionStorage.setItem(TOKEN_KEY, fromUrl)
    url.searchParams.delete('token')
    win.history.replaceState(null, '', url.pathname + url.search + url.hash)
  }
  const token = fromUrl ?? win.sessionStorage.getItem(TOKEN_KEY) ?? ''
  const scheme = url.protocol === 'https:' ? 'wss:' : 'ws:'
  return createWebSocketTransport({ url: `${scheme}//${url.host}/rpc?token=${encodeURIComponent(token)}` })
}
