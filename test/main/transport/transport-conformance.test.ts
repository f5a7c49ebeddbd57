/**
 * One conformance suite over every transport: the renderer's RpcClient against the same panel server through
 * the in-memory link, the WebSocket transport (with its browser-side client) and the Electron IPC transport
 * (with a stand-in for ipcMain/ipcRenderer). Each must carry calls, typed errors and batched events alike.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createPanelServer, type PanelServer } from '../../../src/main/transport/create-panel-server.ts'
import { attachElectronIpc, IPC_REQUEST_CHANNEL } from '../../../src/main/transport/electron-ipc.ts'
import { startWebSocketTransport } from '../../../src/main/transport/websocket-server.ts'
import { createElectronTransport } from '../../../src/renderer/src/lib/electron-transport.ts'
import { RpcClient } from '../../../src/renderer/src/lib/rpc-client.ts'
import type { Transport } from '../../../src/renderer/src/lib/transport.ts'
import { createWebSocketTransport } from '../../../src/renderer/src/lib/websocket-transport.ts'
import type { PanelUpdate } from '../../../src/shared/panel.ts'
import { FakeEngine } from './fake-engine.ts'
import { createMemoryTransport } from './memory-transport.ts'

interface Linked {
  transport: Transport
  cleanup: () => Promise<void>
}

type Connect = (panel: PanelServer) => Promise<Linked>

const links: Record<string, Connect> = {
  memory: async (panel) => ({ transport: createMemoryTransport(panel.server), cleanup: async () => undefined }),
  websocket: async (panel) => {
    const dir = mkdtempSync(join(tmpdir(), 'conductor-conf-'))
    const server = await startWebSocketTransport({ server: panel.server, rendererDir: dir })
    const origin = `http://127.0.0.1:${server.port}`
    const Impl = class extends WebSocket {
      constructor(url: string) {
        super(url, { origin })
      }
    }
    const transport = createWebSocketTransport({ url: `ws://127.0.0.1:${server.port}/rpc?token=${server.token}`, WebSocketImpl: Impl as unknown as typeof globalThis.WebSocket })
    await new Promise<void>((resolve) => transport.onStatus((s) => s === 'open' && resolve()))
    return {
      transport,
      cleanup: async () => {
        transport.close()
        await server.close()
        rmSync(dir, { recursive: true, force: true })
      }
    }
  },
  electron: async (panel) => {
    let handler: ((event: unknown, frame: unknown) => Promise<unknown>) | null = null
    const eventListeners = new Set<(frame: unknown) => void>()
    const page = 'file:///app/index.html'
    const detach = attachElectronIpc({
      ipcMain: { handle: (_c: string, fn: never) => void (handler = fn), removeHandler: () => void (handler = null) } as never,
      server: panel.server,
      webContents: { id: 1, isDestroyed: () => false, send: (_c: string, frame: unknown) => eventListeners.forEach((l) => l(structuredClone(frame))) } as never,
      isTrustedUrl: (url) => url === page
    })
    const bridge = {
      transport: 'electron' as const,
      request: async (frame: unknown) => structuredClone(await handler!({ sender: { id: 1 }, senderFrame: { url: page, parent: null } }, structuredClone(frame))),
      onEvent: (listener: (frame: unknown) => void) => {
        eventListeners.add(listener)
        return () => eventListeners.delete(listener)
      }
    }
    expect(IPC_REQUEST_CHANNEL.startsWith('conductor:')).toBe(true)
    return { transport: createElectronTransport(bridge), cleanup: async () => detach() }
  }
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

describe.each(Object.entries(links))('panel API over the %s transport', (_name, connect) => {
  async function setup() {
    const engine = new FakeEngine()
    const panel = createPanelServer(engine, { setInterval: () => 0, clearInterval: () => undefined })
    const linked = await connect(panel)
    cleanups.push(async () => {
      await linked.cleanup()
      panel.close()
    })
    return { engine, panel, client: new RpcClient(linked.transport, { onInvalid: () => undefined }) }
  }

  it('returns a validated snapshot', async () => {
    const { client } = await setup()
    const snapshot = await client.call('panel.snapshot', {})
    expect(snapshot.ok && snapshot.value.processes.map((p) => p.instanceId)).toEqual(['discord-1', 'discord-2', 'android-1', 'android-2'])
  })

  it('test-routes a Discord command and executes it', async () => {
    const { client } = await setup()
    const result = await client.call('route.test', { request: { type: 'discord', content: '!ping' }, execute: true })
    expect(result).toMatchObject({ ok: true, value: { executed: true, decision: { ok: true, platforms: ['discord'] }, response: { status: 'ok' } } })
  })

  it('carries an expected failure as its typed error', async () => {
    const { client } = await setup()
    expect(await client.call('dlq.get', { id: 'missing' })).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'no dead letter missing', id: 'missing' } })
    expect(await client.call('breakers.reset', { platform: 'discord', reason: '' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } })
  })

  it('delivers batched updates to subscribers', async () => {
    const { client, panel, engine } = await setup()
    const updates: PanelUpdate[] = []
    const received = new Promise<void>((resolve) => client.on('panel.updated', (u) => {
      updates.push(u)
      resolve()
    }))
    engine.advance(2000)
    await panel.batcher.tick()
    await received
    expect(updates).toHaveLength(1)
    expect(updates[0]!.samples).toHaveLength(8)
  })
})
