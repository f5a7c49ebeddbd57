/**
 * Electron composition root: one window, the engine, and the Electron transport. Kept thin on purpose —
 * everything that can run without Electron lives under `conductor/`, `plugins/` and `transport/`.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { readFile } from 'node:fs/promises'
import { app, BrowserWindow, ipcMain, session, shell, utilityProcess } from 'electron'
import { loadConfig } from './config.ts'
import { HardenedProcessHost } from './conductor/sandbox/hardened-host.ts'
import { UtilityProcessHost } from './electron/utility-host.ts'
import { createEngine, type Engine } from './engine.ts'
import { createPanelServer } from './transport/create-panel-server.ts'
import { createRedriveFileStore } from './transport/redrive-file-store.ts'
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
  // Canary and retry-when-healthy redrives survive a restart of the app.
  const panel = createPanelServer(engine, { redriveStore: createRedriveFileStore(join(app.getPath('userData'), 'redrives.json')) })
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
 * The engine (runner, plugin manager, router, DLQ) with Electron's utility host available to the runner and
 * the DLQ in userData. If it cannot start, the window still opens and the panel shows why it has no engine.
 */
async function startEngine(): Promise<Engine | null> {
  try {
    const config = loadConfig(await readConfigFile(join(app.getPath('userData'), 'conductor.json')))
    return await createEngine(config, {
      defaultDlqPath: join(app.getPath('userData'), 'dlq.sqlite'),
      utilityHost: new UtilityProcessHost(utilityProcess.fork),
      // Electron's own binary as plain Node, where --permission and namespaces apply (needs the runAsNode fuse),
      // unless the config names a Node binary of its own (a newer Node brings Landlock).
      hardenedHost: new HardenedProcessHost({
        nodePath: config.sandbox.nodePath ?? process.execPath,
        extraEnv: config.sandbox.nodePath === undefined ? { ELECTRON_RUN_AS_NODE: '1' } : {},
        useMountNamespace: config.sandbox.mountNamespace,
        landlock: config.sandbox.landlock,
        spareLaunchers: config.sandbox.spareLaunchers
      })
    })
  } catch (cause) {
    console.error(`Conductor engine could not start: ${cause instanceof Error ? cause.message : String(cause)}`)
    return null
  }
}

/** An absent config file means defaults; a malformed one is an error that names the file. */
async function readConfigFile(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'))
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new Error(`${path}: ${cause instanceof Error ? cause.message : String(cause)}`)
  }
}

app.whenReady().then(async () => {
  // Same policy as the page's meta tag, also for the dev server's responses.
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } })
  })
  const engine = await startEngine()
  engineForQuit = engine
  const window = createWindow()
  if (engine) attachPanel(window, engine)
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) {
      const next = createWindow()
      if (engine) attachPanel(next, engine)
    }
  })
})

let engineForQuit: Engine | null = null
let engineClosed = false

// Quit waits for the engine to close: in-flight failures reach the DLQ and every sandbox stops with the app.
app.on('will-quit', (event) => {
  if (!engineForQuit || engineClosed) return
  event.preventDefault()
  const closing = engineForQuit
  engineForQuit = null
  void closing
    .close()
    .catch((cause: unknown) => console.error(`Conductor engine did not close cleanly: ${String(cause)}`))
    .finally(() => {
      engineClosed = true
      app.quit()
    })
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})
