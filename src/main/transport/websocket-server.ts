/**
 * The headless transport: one HTTP server on 127.0.0.1 that serves the built renderer and upgrades `/rpc` to a
 * WebSocket carrying the contract's frames. A WebSocket needs the random token (`?token=`) and an Origin of
 * this very server; anything else is refused before the upgrade. Static files carry a strict CSP.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, sep } from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import type { RpcServer } from './rpc-server.ts'

export interface WebSocketTransportOptions {
  server: RpcServer
  /** Folder of the built renderer (`out/renderer`). */
  rendererDir: string
  /** 0 = any free port (default). */
  port?: number
  /** Defaults to a fresh random 32-byte hex token. */
  token?: string
  /** Largest accepted frame, bytes (default 1 MiB). */
  maxPayloadBytes?: number
  /**
   * Prometheus text exposition served at `/metrics` to a scraper that presents the token
   * (`Authorization: Bearer <token>` or `?token=`); absent = no `/metrics`.
   */
  metrics?: () => Promise<string>
}

export interface WebSocketTransport {
  port: number
  token: string
  /** The URL to open, token included (printed on start, like Jupyter). */
  url: string
  clientCount(): number
  close(): Promise<void>
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json'
}

const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

function sameToken(given: string | null, token: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The request target as a URL, or null when it does not parse (e.g. `//[`): such a request gets a 400. */
function targetOf(req: IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://127.0.0.1')
  } catch {
    return null
  }
}

async function serveStatic(rendererDir: string, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const root = normalize(rendererDir)
  const headers = { 'content-security-policy': csp, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' }
  let pathname: string
  try {
    pathname = decodeURIComponent(url.pathname)
  } catch {
    res.writeHead(400, { ...headers, 'content-type': 'text/plain' }).end('bad request')
    return
  }
  const file = normalize(join(root, pathname === '/' ? 'index.html' : pathname))
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, headers).end()
    return
  }
  if (file !== root && !file.startsWith(root + sep)) {
    res.writeHead(403, headers).end('forbidden')
    return
  }
  try {
    const body = await readFile(file)
    res.writeHead(200, { ...headers, 'content-type': contentTypes[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' })
    res.end(req.method === 'HEAD' ? undefined : body)
  } catch {
    res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('not found')
  }
}

async function serveMetrics(metrics: () => Promise<string>, url: URL, token: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? null
  if (!sameToken(bearer ?? url.searchParams.get('token'), token)) {
    res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('token required')
    return
  }
  try {
    const text = await metrics()
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' }).end(text)
  } catch {
    res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable')
  }
}

export async function startWebSocketTransport(options: WebSocketTransportOptions): Promise<WebSocketTransport> {
  const token = options.token ?? randomBytes(32).toString('hex')
  const http = createServer((req, res) => {
    const url = targetOf(req)
    if (url === null) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request')
      return
    }
    if (url.pathname === '/metrics' && options.metrics) void serveMetrics(options.metrics, url, token, req, res)
    else void serveStatic(options.rendererDir, url, req, res)
  })
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes ?? 1024 * 1024 })
  let port = 0

  http.on('upgrade', (req, socket, head) => {
    const url = targetOf(req)
    const allowedOrigins = [`http://127.0.0.1:${port}`, `http://localhost:${port}`]
    const refuse = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
    }
    if (url === null) return refuse('400 Bad Request')
    if (url.pathname !== '/rpc') return refuse('404 Not Found')
    if (!sameToken(url.searchParams.get('token'), token)) return refuse('401 Unauthorized')
    if (!allowedOrigins.includes(req.headers.origin ?? '')) return refuse('403 Forbidden')
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws))
  })

  function attach(ws: WebSocket): void {
    const send = (frame: unknown): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame))
    }
    const removeSink = options.server.addSink(send)
    ws.on('message', (data, isBinary) => {
      let frame: unknown
      try {
        frame = isBinary ? undefined : JSON.parse(data.toString())
      } catch {
        frame = undefined
      }
      void options.server.handle(frame).then(send)
    })
    ws.on('close', removeSink)
    ws.on('error', removeSink)
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  port = (http.address() as AddressInfo).port
  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    clientCount: () => wss.clients.size,
    close: async () => {
      for (const client of wss.clients) client.terminate()
      wss.close()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    }
  }
}
