/**
 * Panel bench: 50 simulated instances at 1 Hz in Chromium.
 * - server tick: building + validating + serialising one batched update, vs a raw JSON.stringify of the same
 *   payload (ratio);
 * - update-to-paint: from the WebSocket message to the first DOM commit and to the next painted frame, on the
 *   Overview and Resources views, vs a raw page that writes the same frame into one element (ratio);
 * - frame rate, gaps over 25 ms and the longest frame gap while updates stream;
 * - main-thread time per second (CDP TaskDuration; steadier than frame gaps on a shared machine);
 * - host RSS (the Node process serving the panel with the fake engine) and the page's JS heap.
 * Needs Chromium (/usr/bin/chromium or CONDUCTOR_CHROMIUM) and a built renderer (npm run build).
 */
import { existsSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { chromium, type CDPSession, type Page } from 'playwright-core'
import { WebSocketServer } from 'ws'
import { startHeadless } from '../../src/main/headless.ts'
import { createPanelServer } from '../../src/main/transport/create-panel-server.ts'
import { PanelUpdateSchema } from '../../src/shared/panel.ts'
import { FakeEngine } from '../main/transport/fake-engine.ts'

const root = join(import.meta.dirname, '../..')
const rendererDir = join(root, 'out/renderer')
const chromiumPath = process.env['CONDUCTOR_CHROMIUM'] ?? '/usr/bin/chromium'
const PLATFORMS = Array.from({ length: 5 }, (_, i) => ({ name: `platform-${i + 1}`, instances: 10 }))
const MiB = 1024 * 1024

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
}

const fmt = (ms: number): string => `${ms.toFixed(2)} ms`

/** Installed before any page script: timestamps every WebSocket message, then its first DOM commit and paint. */
const probe = `
  window.__marks = [];
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        if (!String(event.data).includes('"event"')) return;
        const t0 = performance.now();
        const mark = { t0, commit: null, paint: null, last: null };
        window.__marks.push(mark);
        // First DOM change (commit), the frame after it (paint), and the last change within 900 ms (settled:
        // deferred renders such as the charts included).
        const observer = new MutationObserver(() => {
          const now = performance.now() - t0;
          if (now < 900) mark.last = now;
          if (mark.commit !== null) return;
          mark.commit = now;
          requestAnimationFrame(() => setTimeout(() => { mark.paint = performance.now() - t0 }, 0));
        });
        observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
        setTimeout(() => observer.disconnect(), 950);
      });
    }
  };
  window.__frames = [];
  const frame = (t) => { window.__frames.push(t); requestAnimationFrame(frame) };
  requestAnimationFrame(frame);
`

/** Main-thread time the page spent so far (CDP Performance metrics, s → ms): steadier than frame gaps on a busy machine. */
async function mainThreadMs(cdp: CDPSession): Promise<{ task: number; script: number; layout: number }> {
  const { metrics } = await cdp.send('Performance.getMetrics')
  const get = (name: string) => (metrics.find((m) => m.name === name)?.value ?? 0) * 1000
  return { task: get('TaskDuration'), script: get('ScriptDuration'), layout: get('LayoutDuration') + get('RecalcStyleDuration') }
}

async function collect(page: Page, seconds: number) {
  await page.evaluate(() => {
    const w = globalThis as unknown as { __marks: unknown[]; __frames: number[] }
    w.__marks = []
    w.__frames = []
  })
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Performance.enable')
  const before = await mainThreadMs(cdp)
  await page.waitForTimeout(seconds * 1000)
  const after = await mainThreadMs(cdp)
  await cdp.detach()
  const data = await page.evaluate(() => {
    const w = globalThis as unknown as { __marks: { commit: number | null; paint: number | null; last: number | null }[]; __frames: number[] }
    return { marks: w.__marks.filter((m) => m.paint !== null), frames: w.__frames }
  })
  return { ...data, busy: { task: after.task - before.task, script: after.script - before.script, layout: after.layout - before.layout } }
}

interface Mark {
  commit: number | null
  paint: number | null
  last: number | null
}

function report(label: string, data: { marks: Mark[]; frames: number[]; busy: { task: number; script: number; layout: number } }, seconds: number) {
  const paints = data.marks.map((m) => m.paint!)
  const commits = data.marks.map((m) => m.commit!)
  const settled = data.marks.map((m) => m.last ?? m.commit!)
  const gaps = data.frames.slice(1).map((t, i) => t - data.frames[i]!)
  const fps = data.frames.length / seconds
  // A gap over 25 ms at 60 Hz means at least one frame was skipped.
  const dropped = gaps.filter((gap) => gap > 25).length
  console.log(`  ${label}: ${data.marks.length} updates · commit p50 ${fmt(percentile(commits, 0.5))} · paint p50 ${fmt(percentile(paints, 0.5))} p95 ${fmt(percentile(paints, 0.95))} · settled p50 ${fmt(percentile(settled, 0.5))} max ${fmt(Math.max(...settled))} · ${fps.toFixed(1)} fps · ${dropped} gaps > 25 ms · longest frame gap ${fmt(Math.max(...gaps))}`)
  console.log(`    main thread per second: ${fmt(data.busy.task / seconds)} busy (script ${fmt(data.busy.script / seconds)}, style+layout ${fmt(data.busy.layout / seconds)})`)
  return { busyPerSec: data.busy.task / seconds, paintP50: percentile(paints, 0.5), paintP95: percentile(paints, 0.95), settledP50: percentile(settled, 0.5), fps }
}

export default async function panelBench(): Promise<void> {
  if (!existsSync(chromiumPath) || !existsSync(join(rendererDir, 'index.html'))) {
    console.log(`skipped: needs ${chromiumPath} and a built renderer (${rendererDir}); run npm run build`)
    return
  }
  const rssBeforeMiB = process.memoryUsage().rss / MiB

  // Server side: one tick's work at 50 instances vs raw JSON.stringify of the same payload.
  {
    const engine = new FakeEngine(PLATFORMS)
    engine.advance(60_000)
    const panel = createPanelServer(engine, { setInterval: () => 0, clearInterval: () => undefined })
    let bytes = 0
    panel.server.addSink((frame) => {
      bytes = JSON.stringify(frame).length
    })
    const rounds = 300
    let t = performance.now()
    for (let i = 0; i < rounds; i++) {
      engine.advance(1000)
      await panel.batcher.tick()
    }
    const tickMs = (performance.now() - t) / rounds
    const payload = PanelUpdateSchema.parse({ seq: 1, atMs: engine.now(), ...engine.live(), jobs: [], samples: [], exits: [], incidents: [] })
    t = performance.now()
    for (let i = 0; i < rounds; i++) JSON.stringify({ v: 1, event: 'panel.updated', payload })
    const rawMs = (performance.now() - t) / rounds
    console.log(`server tick at 50 instances: ${fmt(tickMs)} per update (${(bytes / 1024).toFixed(1)} KiB) vs raw stringify ${fmt(rawMs)} → ${(tickMs / rawMs).toFixed(1)}× raw`)
    panel.close()
  }

  // Browser side.
  const engine = new FakeEngine(PLATFORMS, Date.now())
  engine.advance(120_000)
  const driver = setInterval(() => {
    engine.advance(1000)
    void engine.testRoute({ type: 'platform-1', content: 'ping' }, true)
  }, 1000)
  const host = await startHeadless({ engine, rendererDir, intervalMs: 1000 })
  // Raw baseline: the same update frames, forwarded to a bare page that writes them into one element.
  // (Served over http from 127.0.0.1 itself: Chromium blocks a page elsewhere from opening a local socket.)
  const rawHttp = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(rawHtml))
  const raw = new WebSocketServer({ server: rawHttp })
  await new Promise<void>((resolve) => rawHttp.listen(0, '127.0.0.1', () => resolve()))
  const rawPort = (rawHttp.address() as AddressInfo).port
  const rawHtml = `<!doctype html><pre id="o">waiting</pre><script>const ws = new WebSocket('ws://127.0.0.1:${rawPort}'); ws.onmessage = (e) => { const f = JSON.parse(e.data); document.getElementById('o').textContent = 'seq ' + f.payload.seq + ', ' + e.data.length + ' bytes' }</script>`
  const forward = (frame: unknown): void => {
    const text = JSON.stringify(frame)
    for (const client of raw.clients) client.send(text)
  }
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] })
  try {
    const seconds = 12
    const rawPage = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    await rawPage.addInitScript(probe)
    await rawPage.goto(`http://127.0.0.1:${rawPort}/`)
    // The same batched updates at 1 Hz from a second panel server over the same engine.
    const panelForRaw = createPanelServer(engine, { intervalMs: 1000 })
    panelForRaw.server.addSink(forward)
    await rawPage.locator('#o', { hasText: 'seq' }).waitFor()
    const rawStats = report('raw page (baseline)', await collect(rawPage, seconds), seconds)
    panelForRaw.close()
    await rawPage.close()

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    await page.addInitScript(probe)
    await page.goto(host.url)
    await page.getByTestId('platform-platform-1').waitFor()
    const overview = report('panel, Overview (50 instances)', await collect(page, seconds), seconds)
    await page.getByRole('tab', { name: /^Resources/ }).click()
    await page.getByTestId('process-platform-1-1').waitFor()
    const resources = report('panel, Resources (50 charts)', await collect(page, seconds), seconds)
    console.log(`main-thread time per second vs raw: Overview ${(overview.busyPerSec / rawStats.busyPerSec).toFixed(1)}×, Resources ${(resources.busyPerSec / rawStats.busyPerSec).toFixed(1)}×`)
    console.log(`update-to-paint p50 vs raw: Overview ${(overview.paintP50 / rawStats.paintP50).toFixed(1)}×, Resources ${(resources.paintP50 / rawStats.paintP50).toFixed(1)}× (charts settled ${(resources.settledP50 / rawStats.paintP50).toFixed(1)}×)`)
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Performance.enable')
    const { metrics } = await cdp.send('Performance.getMetrics')
    const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value
    console.log(`host RSS with 50 instances and one client: ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB (bench process before the host: ${rssBeforeMiB.toFixed(0)} MiB)${heap ? ` · page JS heap ${(heap / MiB).toFixed(1)} MiB` : ''}`)
  } finally {
    clearInterval(driver)
    await browser.close()
    raw.close()
    rawHttp.close()
    await host.close()
  }
}
