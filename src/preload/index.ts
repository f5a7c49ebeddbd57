/**
 * Preload: the only bridge between the sandboxed renderer and main. Exposes `window.conductor`.
 */
import { contextBridge } from 'electron'

contextBridge.exposeInMainWorld('conductor', { transport: 'electron' })
