import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect as connect_ } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createPanelServer, type PanelServer } from '../../../src/main/transport/create-panel-server.ts'
import { startWebSocketTransport, type WebSocketTransport } from '../../../src/main/transport/websocket-server.ts'
import { FakeEngine } from './fake-engine.ts'

let dir: string
let panel: PanelServer
let transport: WebSocketTransport

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'conductor-ws-'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>panel</title>')
  writeFileSync(join(tmpdir(), 'conductor-secret.txt'), 'secret')
  panel = createPanelServer(new FakeEngine(), { setInterval: () => 0, clearInterval: () => undefined })
  transport = await startWebSocketTransport({ server: panel.server, rendererDir: dir })
})

afterEach(async () => {
  await transport.close()
  panel.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Opens a socket; resolves with it once open, or with the HTTP status the server refused it with. */
function connect(path: string, origin?: string): Promise<{ ws: WebSocket } | { status: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${transport.port}${path}`, origin ? { origin } : {})
    ws.once('open', () => resolve({ ws }))
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }))
    ws.once('error', () => undefined)
  })
}

const origin = () => `http://127.0.0.1:${transport.port}`

describe('WebSocket transport', () => {
  it('listens on 127.0.0.1 and prints a URL carrying a 64-hex-digit token', () => {
    expect(transport.url).toBe(`http://127.0.0.1:${transport.port}/?token=${transport.token}`)
    expect(transport.token).toMatch(/^[0-9a-f]{64}$/)
  })

  it('serves the renderer with a strict Content-Security-Policy', async () => {
    const res = await fetch(`${origin()}/`)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('<title>panel</title>')
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
  })

  it('answers a malformed request path with 400 and keeps serving (no crash of the host)', async () => {
    /** Sends one raw request (no client-side URL normalising) and resolves with the status line. */
    const raw = (target: string, extraHeaders = ''): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = connect_(transport.port, '127.0.0.1', () => socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extraHeaders}Connection: close\r\n\r\n`))
        let text = ''
        socket.on('data', (chunk) => (text += chunk.toString()))
        socket.on('end', () => resolve(text.split('\r\n')[0] ?? ''))
        socket.on('error', reject)
      })
    for (const target of ['/%E0%A4%A', '//x:99999/', '//[']) {
      expect(await raw(target), target).toBe('HTTP/1.1 400 Bad Request')
    }
    const upgrade = 'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
    expect(await raw('//[', upgrade)).toBe('HTTP/1.1 400 Bad Request')
    const res = await fetch(`${origin()}/`)
    expect(res.status).toBe(200)
  })

  it('never serves a file outside the renderer folder', async () => {
    for (const path of ['/../conductor-secret.txt', '/%2e%2e/conductor-secret.txt', '/..%2fconductor-secret.txt']) {
      const res = await fetch(`${origin()}${path}`)
      expect(res.status, path).not.toBe(200)
      expect(await res.text()).not.toContain('secret')
    }
  })

  it('refuses a socket without the token, with a wrong token, or from another origin', async () => {
    expect(await connect('/rpc', origin())).toEqual({ status: 401 })
    expect(await connect(`/rpc?token=${'0'.repeat(64)}`, origin())).toEqual({ status: 401 })
    expect(await connect(`/rpc?token=${transport.token}`, 'http://evil.example')).toEqual({ status: 403 })
    expect(await connect(`/rpc?token=${transport.token}`)).toEqual({ status: 403 })
    expect(transport.clientCount()).toBe(0)
  })

  it('answers calls and pushes events to a client with the token and the right origin', async () => {
    const opened = await connect(`/rpc?token=${transport.token}`, origin())
    if (!('ws' in opened)) throw new Error(`refused with ${opened.status}`)
    const next = () => new Promise<unknown>((resolve) => opened.ws.once('message', (data) => resolve(JSON.parse(String(data)))))
    const reply = next()
    opened.ws.send(JSON.stringify({ v: 1, id: 1, method: 'dlq.groups', input: {} }))
    expect(await reply).toEqual({ v: 1, id: 1, ok: true, value: [] })
    const event = next()
    await panel.batcher.tick()
    expect(await event).toMatchObject({ v: 1, event: 'panel.updated', payload: { seq: 1 } })
    opened.ws.close()
  })

  it('answers a frame that is not JSON with a BAD_REQUEST error frame', async () => {
    const opened = await connect(`/rpc?token=${transport.token}`, origin())
    if (!('ws' in opened)) throw new Error('refused')
    const reply = new Promise<unknown>((resolve) => opened.ws.once('message', (data) => resolve(JSON.parse(String(data)))))
    opened.ws.send('{not json')
    expect(await reply).toMatchObject({ id: -1, ok: false, error: { code: 'BAD_REQUEST' } })
    opened.ws.close()
  })
})

describe('Prometheus /metrics', () => {
  let scraped: WebSocketTransport

  beforeEach(async () => {
    scraped = await startWebSocketTransport({
      server: panel.server,
      rendererDir: dir,
      metrics: async () => '# HELP conductor_up 1 when up\n# TYPE conductor_up gauge\nconductor_up 1\n'
    })
  })

  afterEach(async () => {
    await scraped.close()
  })

  it('serves the text exposition to a scraper with the bearer token', async () => {
    const res = await fetch(`http://127.0.0.1:${scraped.port}/metrics`, { headers: { authorization: `Bearer ${scraped.token}` } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4')
    expect(await res.text()).toContain('conductor_up 1')
  })

  it('refuses a scraper without the token, or with a wrong one', async () => {
    expect((await fetch(`http://127.0.0.1:${scraped.port}/metrics`)).status).toBe(401)
    const wrong = await fetch(`http://127.0.0.1:${scraped.port}/metrics`, { headers: { authorization: `Bearer ${'0'.repeat(64)}` } })
    expect(wrong.status).toBe(401)
  })

  it('has no /metrics where the host passed no exposition', async () => {
    const res = await fetch(`${origin()}/metrics`, { headers: { authorization: `Bearer ${transport.token}` } })
    expect(res.status).toBe(404)
  })
})
