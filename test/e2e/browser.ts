/**
 * Shared browser setup for the e2e tests: Debian's Chromium through playwright-core. A missing browser or a
 * missing renderer build FAILS with the reason (CI installs chromium and builds first); it never skips.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { expect } from 'vitest'

export const root = join(import.meta.dirname, '../..')
export const rendererDir = join(root, 'out/renderer')
export const screenshotDir = join(root, 'test-output/screenshots')
export const chromiumPath = process.env['CONDUCTOR_CHROMIUM'] ?? '/usr/bin/chromium'

export function assertPrerequisites(): void {
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium not found at ${chromiumPath}: install Debian's package (apt-get install -y chromium; .ci/run does this) or set CONDUCTOR_CHROMIUM`)
  }
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new Error(`The renderer is not built (${rendererDir}/index.html missing): run npm run build first (npm test does)`)
  }
  mkdirSync(screenshotDir, { recursive: true })
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run']
  })
}

/** `expect.poll` with a patient default: the machine running the suite is shared and slow at times. */
export function poll<T>(fn: () => T | Promise<T>, options: { timeout?: number } = {}) {
  return expect.poll(fn, { interval: 50, ...options, timeout: Math.max(options.timeout ?? 0, 15_000) })
}
