/**
 * Electron composition root: one window, the engine, and the Electron transport. Kept thin on purpose —
 * everything that can run without Electron lives under `conductor/`, `plugins/` and `transport/`.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { app, BrowserWindow, ipcMain, session, shell } from 'electron'
import { createPanelServer } from './transport/create-panel-server.ts'
import { attachElectronIpc } from './transport/electron-ipc.ts'
import type { EnginePort } from './transport/engine-port.ts'

const rendererFile = join(import.meta.dirname, '../renderer/index.html')
const devServerUrl = !app.isPackaged ? process.env['ELECTRON_RENDERER_URL'] : undefined

const csp =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** The panel's own pages: the built file or the dev server; nothing else may call the API. */
function isTrustedUrl(url: string): boolean {
  if (devServerUrl) return new URL(url).origin === new URL(devServerUrl).origin
  return url === pathToFileURL(rendererFile).href
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    title: 'Conductor',
    show: false,
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true
    }
  })
  window.once('ready-to-show', () => window.show())
  // The panel never navigates and never opens windows; links go to the system browser.
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url)
    return { action: 'deny' }
  })
  window.webContents.on('will-navigate', (event) => event.preventDefault())
  window.webContents.on('will-attach-webview', (event) => event.preventDefault())

  if (devServerUrl) void window.loadURL(devServerUrl)
  else void window.loadFile(rendererFile)
  return window
}

/** Serves the panel API to one window over IPC; returns the function that detaches it. */
export function attachPanel(window: BrowserWindow, engine: EnginePort): () => void {
  const panel = createPanelServer(engine)
  const detach = attachElectronIpc({ ipcMain, server: panel.server, webContents: window.webContents, isTrustedUrl })
  window.once('closed', () => {
    detach()
    panel.close()
  })
  return () => {
    detach()
    panel.close()
  }
}

/**
 * The engine comes from `src/main/engine.ts` (the lead's composition of runner, plugin manager, router and
 * DLQ). Until it is wired the window opens with the panel showing its "not connected" state.
 */
async function createEngine(): Promise<EnginePort | null> {
  return null
}

app.whenReady().then(async () => {
  // Same policy as the page's meta tag, also for the dev server's responses.
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } })
  })
  const engine = await createEngine()
  const window = createWindow()
  if (engine) attachPanel(window, engine)
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) {
      const next = createWindow()
      if (engine) attachPanel(next, engine)
    }
  })
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})
