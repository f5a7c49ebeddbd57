import { describe, expect, it, vi } from 'vitest'
import { createPanelServer } from '../../../src/main/transport/create-panel-server.ts'
import { attachElectronIpc, IPC_EVENT_CHANNEL, IPC_REQUEST_CHANNEL } from '../../../src/main/transport/electron-ipc.ts'
import { FakeEngine } from './fake-engine.ts'

const PAGE = 'file:///app/out/renderer/index.html'

function setup() {
  const handlers = new Map<string, (event: unknown, frame: unknown) => Promise<unknown>>()
  const ipcMain = {
    handle: vi.fn((channel: string, fn: (event: unknown, frame: unknown) => Promise<unknown>) => void handlers.set(channel, fn)),
    removeHandler: vi.fn((channel: string) => void handlers.delete(channel))
  }
  const webContents = { id: 1, send: vi.fn(), isDestroyed: () => false }
  const panel = createPanelServer(new FakeEngine(), { setInterval: () => 0, clearInterval: () => undefined })
  const detach = attachElectronIpc({ ipcMain: ipcMain as never, server: panel.server, webContents: webContents as never, isTrustedUrl: (url) => url === PAGE })
  const invoke = (event: unknown, frame: unknown) => handlers.get(IPC_REQUEST_CHANNEL)!(event, frame)
  const top = { url: PAGE, parent: null }
  return { panel, webContents, handlers, detach, invoke, top }
}

const frame = { v: 1, id: 5, method: 'dlq.groups', input: {} }

describe('Electron IPC transport', () => {
  it('uses channels under the conductor: prefix', () => {
    expect(IPC_REQUEST_CHANNEL).toBe('conductor:request')
    expect(IPC_EVENT_CHANNEL).toBe('conductor:event')
  })

  it('answers the panel window top frame', async () => {
    const { invoke, top } = setup()
    expect(await invoke({ sender: { id: 1 }, senderFrame: top }, frame)).toEqual({ v: 1, id: 5, ok: true, value: [] })
  })

  it('denies another window, a subframe, a foreign URL and a missing frame', async () => {
    const { invoke, top } = setup()
    const denied = { v: 1, id: 5, ok: false, error: { code: 'DENIED', message: 'untrusted sender' } }
    expect(await invoke({ sender: { id: 2 }, senderFrame: top }, frame)).toEqual(denied)
    expect(await invoke({ sender: { id: 1 }, senderFrame: { url: PAGE, parent: top } }, frame)).toEqual(denied)
    expect(await invoke({ sender: { id: 1 }, senderFrame: { url: 'https://evil.example/', parent: null } }, frame)).toEqual(denied)
    expect(await invoke({ sender: { id: 1 }, senderFrame: null }, frame)).toEqual(denied)
  })

  it('sends batched updates to the window on the event channel, and stops when detached', async () => {
    const { panel, webContents, detach, handlers } = setup()
    await panel.batcher.tick()
    expect(webContents.send).toHaveBeenCalledWith(IPC_EVENT_CHANNEL, expect.objectContaining({ v: 1, event: 'panel.updated' }))
    detach()
    await panel.batcher.tick()
    expect(webContents.send).toHaveBeenCalledTimes(1)
    expect(handlers.has(IPC_REQUEST_CHANNEL)).toBe(false)
  })
})
