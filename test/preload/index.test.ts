/** The preload against a stand-in for Electron's renderer modules: it exposes one frame pipe and nothing else. */
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { ConductorBridge } from '../../src/shared/contract.ts'

const exposed = new Map<string, unknown>()
const listeners = new Map<string, Set<(event: unknown, frame: unknown) => void>>()
const invoke = vi.fn(async (_channel: string, frame: unknown) => ({ echoed: frame }))

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => exposed.set(key, value) },
  ipcRenderer: {
    invoke,
    on: (channel: string, fn: (event: unknown, frame: unknown) => void) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set())
      listeners.get(channel)!.add(fn)
    },
    removeListener: (channel: string, fn: (event: unknown, frame: unknown) => void) => listeners.get(channel)?.delete(fn)
  }
}))

beforeEach(async () => {
  exposed.clear()
  listeners.clear()
  vi.resetModules()
  await import('../../src/preload/index.ts')
})

describe('preload', () => {
  it('exposes only window.conductor, marked as the Electron transport', () => {
    expect([...exposed.keys()]).toEqual(['conductor'])
    const bridge = exposed.get('conductor') as ConductorBridge
    expect(bridge.transport).toBe('electron')
    expect(Object.keys(bridge).sort()).toEqual(['onEvent', 'request', 'transport'])
  })

  it('sends requests on conductor:request and passes events from conductor:event until unsubscribed', async () => {
    const bridge = exposed.get('conductor') as ConductorBridge
    expect(await bridge.request({ v: 1, id: 1 })).toEqual({ echoed: { v: 1, id: 1 } })
    expect(invoke).toHaveBeenCalledWith('conductor:request', { v: 1, id: 1 })
    const seen: unknown[] = []
    const off = bridge.onEvent((frame) => seen.push(frame))
    for (const fn of listeners.get('conductor:event')!) fn({ sender: 'ipc' }, { v: 1, event: 'panel.updated' })
    off()
    expect(listeners.get('conductor:event')!.size).toBe(0)
    expect(seen).toEqual([{ v: 1, event: 'panel.updated' }])
  })
})
