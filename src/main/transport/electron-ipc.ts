/**
 * The Electron transport: `ipcMain.handle` answers request frames on one `conductor:` channel, but only from
 * the panel's own top frame (checked on every call); events go to that window with `webContents.send`.
 * Electron objects are passed in (not imported as values) so this is testable without an Electron binary.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron'
import { PROTOCOL_VERSION } from '../../shared/contract.ts'
import type { RpcServer } from './rpc-server.ts'

export const IPC_CHANNEL_PREFIX = 'conductor:'
export const IPC_REQUEST_CHANNEL = `${IPC_CHANNEL_PREFIX}request`
export const IPC_EVENT_CHANNEL = `${IPC_CHANNEL_PREFIX}event`

export interface ElectronIpcOptions {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>
  server: RpcServer
  /** The panel window's contents: the only trusted sender, and where events go. */
  webContents: Pick<WebContents, 'send' | 'isDestroyed' | 'id'>
  /** Whether a frame URL is the panel's own (its file:// page or the dev server). */
  isTrustedUrl: (url: string) => boolean
}

/** True when the call comes from the trusted window's top frame at a trusted URL. */
export function isTrustedSender(event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>, options: Pick<ElectronIpcOptions, 'webContents' | 'isTrustedUrl'>): boolean {
  const frame = event.senderFrame
  if (!frame || event.sender.id !== options.webContents.id) return false
  if (frame.parent !== null) return false
  return options.isTrustedUrl(frame.url)
}

/** Starts answering; returns the function that detaches the handler and the event sink. */
export function attachElectronIpc(options: ElectronIpcOptions): () => void {
  options.ipcMain.handle(IPC_REQUEST_CHANNEL, async (event, frame: unknown) => {
    if (!isTrustedSender(event, options)) {
      const id = typeof frame === 'object' && frame !== null && Number.isInteger((frame as { id?: unknown }).id) ? (frame as { id: number }).id : -1
      return { v: PROTOCOL_VERSION, id, ok: false, error: { code: 'DENIED', message: 'untrusted sender' } }
    }
    return options.server.handle(frame)
  })
  const removeSink = options.server.addSink((frame) => {
    if (!options.webContents.isDestroyed()) options.webContents.send(IPC_EVENT_CHANNEL, frame)
  })
  return () => {
    options.ipcMain.removeHandler(IPC_REQUEST_CHANNEL)
    removeSink()
  }
}
