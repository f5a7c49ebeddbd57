/**
 * Preload: the only bridge between the sandboxed renderer and main. Exposes `window.conductor`, a frame pipe
 * on the `conductor:` channels. It passes frames through untouched: the renderer's RPC client validates every
 * response and event against the shared contract, and main validates every request.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import type { ConductorBridge } from '../shared/contract.ts'

const bridge: ConductorBridge = {
  transport: 'electron',
  request: (frame) => ipcRenderer.invoke('conductor:request', frame),
  onEvent: (listener) => {
    const handler = (_event: IpcRendererEvent, frame: unknown): void => listener(frame)
    ipcRenderer.on('conductor:event', handler)
    return () => {
      ipcRenderer.removeListener('conductor:event', handler)
    }
  }
}

contextBridge.exposeInMainWorld('conductor', bridge)
