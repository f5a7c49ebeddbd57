/** The renderer's WebSocket link against the real headless transport: requests, a dropped link, reconnect. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createPanelServer } from '../../../src/main/transport/create-panel-server.ts'
import { startWebSocketTransport } from '../../../src/main/transport/websocket-server.ts'
import type { TransportStatus } from '../../../src/renderer/src/lib/transport.ts'
import { createWebSocketTransport } from '../../../src/renderer/src/lib/websocket-transport.ts'
import { FakeEngine } from './fake-engine.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'conductor-wsc-'))
  const panel = createPanelServer(new FakeEngine(), { setInterval: () => 0, clearInterval: () => undefined })
  const server = await startWebSocketTransport({ server: panel.server, rendererDir: dir })
  const origin = `http://127.0.0.1:${server.port}`
  const Impl = class extends WebSocket {
    constructor(url: string) {
      super(url, { origin })
    }
  }
  const transport = createWebSocketTransport({ url: `ws://127.0.0.1:${server.port}/rpc?token=${server.token}`, WebSocketImpl: Impl as unknown as typeof globalThis.WebSocket, reconnectBaseMs: 5 })
  const statuses: TransportStatus[] = []
  const waiters: { status: TransportStatus; resolve: () => void }[] = []
  transport.onStatus((status) => {
    statuses.push(status)
    for (const w of waiters.splice(0)) {
      if (w.status === status) w.resolve()
      else waiters.push(w)
    }
  })
  const reach = (status: TransportStatus) => new Promise<void>((resolve) => (transport.status() === status ? resolve() : waiters.push({ status, resolve })))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => panel.close(), () => server.close().catch(() => undefined), () => transport.close())
  await reach('open')
  return { server, transport, statuses, reach, panel, dir }
}

describe('WebSocket client transport', () => {
  it('matches responses to requests by id when several are in flight', async () => {
    const { transport } = await setup()
    const answers = await Promise.all([1, 2, 3].map((id) => transport.request({ v: 1, id, method: 'dlq.get', input: { id: `x${id}` } })))
    expect(answers.map((a) => (a as { id: number; error: { id: string } }).error.id)).toEqual(['x1', 'x2', 'x3'])
    expect(answers.map((a) => (a as { id: number }).id)).toEqual([1, 2, 3])
  })

  it('fails requests at once while the link is down, then reconnects when the server is back', async () => {
    const { server, transport, statuses, reach, panel, dir } = await setup()
    const closed = reach('closed')
    await server.close()
    await closed
    await expect(transport.request({ v: 1, id: 9, method: 'dlq.groups', input: {} })).rejects.toThrow('not open')
    const reopened = reach('open')
    const again = await startWebSocketTransport({ server: panel.server, rendererDir: dir, port: server.port, token: server.token })
    cleanups.push(() => again.close())
    await reopened
    expect(await transport.request({ v: 1, id: 10, method: 'dlq.groups', input: {} })).toEqual({ v: 1, id: 10, ok: true, value: [] })
    expect(statuses.filter((s) => s === 'open').length).toBe(2)
  })
})
