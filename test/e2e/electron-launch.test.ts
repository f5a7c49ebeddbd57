/**
 * Launches the real desktop app through Playwright's `_electron` where the Electron binary is installed, and
 * checks the window's security settings from inside the page. Where the binary is absent (offline build
 * machines: Electron 45 downloads it on first launch) the test is skipped and says why. It resolves the binary
 * the way `require('electron')` does but never calls it, because that would try to download.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { _electron } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { root, screenshotDir } from './browser.ts'

function electronBinary(): { path: string } | { missing: string } {
  const dir = join(root, 'node_modules/electron')
  const pathFile = join(dir, 'path.txt')
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null
  const override = process.env['ELECTRON_OVERRIDE_DIST_PATH']
  if (override) {
    const path = join(override, relative ?? 'electron')
    return existsSync(path) ? { path } : { missing: `ELECTRON_OVERRIDE_DIST_PATH is set but ${path} does not exist` }
  }
  if (!relative) return { missing: 'node_modules/electron/path.txt is absent: the Electron binary was never downloaded (offline machine)' }
  const path = join(dir, 'dist', relative)
  return existsSync(path) ? { path } : { missing: `the Electron binary ${path} is absent` }
}

const binary = electronBinary()
if ('missing' in binary) console.log(`[electron-launch] skipped: ${binary.missing}`)

describe('desktop app', () => {
  it.skipIf(!('path' in binary))('opens a sandboxed, context-isolated window showing the panel', async () => {
    if (!existsSync(join(root, 'out/main/index.js'))) throw new Error('out/main/index.js missing: run npm run build first')
    const app = await _electron.launch({ executablePath: (binary as { path: string }).path, args: [join(root, 'out/main/index.js'), '--no-sandbox'], cwd: root })
    try {
      const window = await app.firstWindow()
      await window.waitForLoadState('domcontentloaded')
      expect(await window.title()).toBe('Conductor')
      const exposed = await window.evaluate(() => ({
        bridge: typeof (window as unknown as { conductor?: { transport?: string } }).conductor?.transport,
        require: typeof (window as unknown as { require?: unknown }).require,
        process: typeof (window as unknown as { process?: unknown }).process
      }))
      expect(exposed).toEqual({ bridge: 'string', require: 'undefined', process: 'undefined' })
      const prefs = await app.evaluate(({ BrowserWindow }) => {
        const w = BrowserWindow.getAllWindows()[0]!
        // getLastWebPreferences() exists at run time (Electron ≥ 18) but is not in every typings version.
        const p = (w.webContents as unknown as { getLastWebPreferences(): Record<string, unknown> | null }).getLastWebPreferences()
        return { contextIsolation: p?.['contextIsolation'], sandbox: p?.['sandbox'], nodeIntegration: p?.['nodeIntegration'] }
      })
      expect(prefs).toEqual({ contextIsolation: true, sandbox: true, nodeIntegration: false })
      await window.getByRole('tablist').waitFor()
      mkdirSync(screenshotDir, { recursive: true })
      await window.screenshot({ path: join(screenshotDir, 'electron-window.png') })
    } finally {
      await app.close()
    }
  })
})
