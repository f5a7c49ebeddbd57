/**
 * What `npm run serve` runs: the built headless bundle (out/main/headless.js) as its own process, with the
 * bundled sandbox child. It prints a token URL; the panel opened at that URL shows both built-in platforms with
 * ready instances; the API refuses a WebSocket without the token; SIGTERM leaves no sandbox process behind.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import WebSocket from 'ws'
import { assertPrerequisites, launchChromium, poll, root, screenshotDir } from './browser.ts'

const bundle = join(root, 'out/main/headless.js')
let dataDir: string
let host: ChildProcess
let url: URL
let browser: Browser

/** Pids of live processes whose command line runs the bundled sandbox child. */
function sandboxPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(join(root, 'out/main/sandbox-host.mjs'))
      } catch {
        return false
      }
    })
    .map(Number)
}

beforeAll(async () => {
  assertPrerequisites()
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build first (npm test does)`)
  dataDir = mkdtempSync(join(tmpdir(), 'conductor-serve-'))
  host = spawn(process.execPath, [bundle, '--port', '0'], {
    env: { ...process.env, CONDUCTOR_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  url = await new Promise<URL>((resolve, reject) => {
    let printed = ''
    const onData = (chunk: Buffer): void => {
      printed += chunk.toString()
      const found = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/.exec(printed)
      if (found) resolve(new URL(found[0]))
    }
    host.stdout!.on('data', onData)
    host.stderr!.on('data', onData)
    host.once('exit', (code) => reject(new Error(`headless host exited (${code}) before printing its URL:\n${printed}`)))
  })
  browser = await launchChromium()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  if (host && host.exitCode === null) {
    host.kill('SIGTERM')
    await once(host, 'exit')
  }
  rmSync(dataDir, { recursive: true, force: true })
})

describe('the built headless host (npm run serve)', () => {
  it('serves the panel at the printed token URL, with both built-in platforms ready', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    await page.goto(url.href)
    for (const platform of ['discord', 'android']) {
      await poll(() => page.getByText(`${platform}-1`, { exact: true }).count()).toBeGreaterThan(0)
    }
    await poll(() => page.getByText('ready', { exact: true }).count()).toBeGreaterThanOrEqual(4)
    await page.screenshot({ path: join(screenshotDir, 'serve-bundle-overview.png') })
    await page.close()
  })

  it('opens the API WebSocket only with the token', async () => {
    const status = (path: string): Promise<number | 'open'> =>
      new Promise((resolve) => {
        const socket = new WebSocket(`ws://${url.host}${path}`, { origin: url.origin })
        socket.once('open', () => {
          socket.terminate()
          resolve('open')
        })
        socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
        socket.once('error', () => undefined)
      })
    expect(await status('/rpc')).toBe(401)
    expect(await status(`/rpc?token=${url.searchParams.get('token')}`)).toBe('open')
  })

  it('exposes the engine metrics to a Prometheus scraper with the token', async () => {
    const res = await fetch(`${url.origin}/metrics`, { headers: { authorization: `Bearer ${url.searchParams.get('token')}` } })
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text).toMatch(/^# TYPE conductor_\w+/m)
    expect(text).toContain('conductor_router_breaker_state')
  })

  it('stops every sandbox on SIGTERM', async () => {
    expect(sandboxPids().length).toBeGreaterThanOrEqual(4)
    host.kill('SIGTERM')
    const [code] = await once(host, 'exit')
    expect(code).toBe(0)
    await poll(() => sandboxPids().length).toBe(0)
  })
})
