/**
 * The scenario in Chromium against the real engine (real sandboxes, router, SQLite DLQ) behind the
 * headless host: both built-in platforms closed; requests typed into the Test routing form make the
 * fails-on-demand plugin fail until its breaker opens, and the Overview shows it open; the failures appear in
 * Dead letters; one is retried after the plugin recovered and
 * resolves, another is discarded with a reason; a Discord command is test-routed; every sandbox has points.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { startHeadless, type HeadlessHost } from '../../src/main/headless.ts'
import { assertPrerequisites, launchChromium, poll, rendererDir, screenshotDir } from './browser.ts'
import { startRealEngine } from './real-engine.ts'

let real: Awaited<ReturnType<typeof startRealEngine>>
let host: HeadlessHost
let browser: Browser
let page: Page

beforeAll(async () => {
  assertPrerequisites()
  real = await startRealEngine()
  host = await startHeadless({ engine: real.engine, rendererDir, intervalMs: 500 })
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await host?.close()
  await real?.close()
})

const shot = (name: string) => page.screenshot({ path: join(screenshotDir, `real-${name}.png`) })
const nav = (label: string) => page.getByRole('tab', { name: new RegExp(`^${label}`) }).click()
/** Clicks a Test routing button and returns the result of exactly that call (the form numbers its runs). */
async function submit(button: 'Send it' | 'Where would it go?') {
  const shown = page.getByTestId('route-result')
  const before = (await shown.count()) > 0 ? Number(await shown.getAttribute('data-run')) : 0
  await page.getByRole('button', { name: button }).click()
  const result = page.locator(`[data-testid=route-result][data-run="${before + 1}"]`)
  await result.waitFor({ timeout: 15_000 }).catch(async (cause: unknown) => {
    await shot('routing-timeout')
    const html = await page.locator('[data-testid=route-result]').evaluateAll((els) => els.map((e) => e.outerHTML.slice(0, 120)))
    throw new Error(`no result for run ${before + 1}: ${JSON.stringify(html)}`, { cause })
  })
  return result
}

/** Types a request into the Test routing form and sends it through the router, as an operator would. */
async function sendThroughForm(request: Record<string, unknown>) {
  await page.getByLabel('Request JSON').fill(JSON.stringify(request, null, 2))
  return submit('Send it')
}

const breakerState = (platform: string) => page.locator(`[data-testid=breaker-${platform}] .breaker-head .badge`).getAttribute('data-state')

describe('control panel in Chromium (real engine)', () => {
  it('shows discord and android with closed breakers', async () => {
    await page.goto(host.url)
    await page.getByTestId('platform-discord').waitFor()
    await page.getByTestId('platform-android').waitFor()
    expect(await breakerState('discord')).toBe('closed')
    expect(await breakerState('android')).toBe('closed')
    await poll(() => page.locator('[data-testid^=instance-discord-] .badge[data-state=ready]').count(), { timeout: 20_000 }).toBe(2)
    await shot('overview')
  })

  it('fails the test plugin through the Test routing form until its breaker opens, and shows it open', async () => {
    await nav('Test routing')
    const switched = await sendThroughForm({ type: 'x', content: 'fail:on', target: 'flaky' })
    expect(await switched.getByTestId('response-flaky').textContent()).toContain('"switched": "on"')
    for (let i = 0; i < 3; i++) {
      const result = await sendThroughForm({ id: `order-${i}`, type: 'x', content: `hello ${i}`, target: 'flaky' })
      expect(await result.getByTestId('decision-platforms').textContent()).toBe('flaky')
      expect(await result.getByTestId('response-flaky').textContent()).toContain('failing mode')
      expect(await result.getByTestId('response-dlq').textContent()).toContain(`order-${i}`)
    }
    await shot('routing-failed')
    // Three consecutive failures opened the breaker: the next request is refused without reaching the plugin.
    const refused = await sendThroughForm({ id: 'order-3', type: 'x', content: 'hello 3', target: 'flaky' })
    expect(await refused.getByTestId('response-error').textContent()).toMatch(/circuit|open/i)
    expect(await refused.getByTestId('response-dlq').textContent()).toContain('order-3')
    await nav('Overview')
    await poll(() => breakerState('flaky'), { timeout: 10_000 }).toBe('open')
    await poll(() => page.locator('[data-testid=breaker-flaky] .cause').textContent()).toContain('failing mode')
    await shot('overview-flaky-open')
  })

  it('lists the failures in Dead letters; retries one after recovery and discards another with a reason', async () => {
    await nav('Dead letters')
    await poll(() => page.locator('tr[data-testid^=dlq-row-]').count(), { timeout: 10_000 }).toBe(4)
    await shot('dlq')
    await real.runner.execute('flaky-1', { id: 'switch-off', type: 'x', content: 'fail:off', metadata: {} })

    await nav('Overview')
    await page.getByTestId('breaker-flaky').getByRole('button', { name: 'Reset…' }).click()
    await page.getByRole('dialog').getByLabel('Reason').fill('plugin recovered')
    await page.getByRole('dialog').getByRole('button', { name: 'Reset breaker' }).click()
    await poll(() => breakerState('flaky')).toBe('closed')

    await nav('Dead letters')
    await page.getByTestId('dlq-row-order-0').click()
    const detail = page.getByTestId('dlq-detail')
    await poll(() => detail.getByTestId('dlq-request').textContent()).toContain('hello 0')
    await detail.getByRole('button', { name: 'Retry' }).click()
    await poll(() => { const d = real.dlq.get('order-0'); return d.ok ? d.value.entry.state : null }, { timeout: 15_000 }).toBe('resolved')
    await detail.locator('.card-head .badge[data-state=resolved]').waitFor({ timeout: 10_000 })
    await shot('dlq-retried')

    await page.getByRole('button', { name: 'Close detail' }).click()
    await page.getByRole('checkbox', { name: 'Select order-1' }).check()
    await page.getByRole('button', { name: 'Discard selected…' }).click()
    await page.getByRole('dialog').getByLabel('Reason').fill('customer cancelled the order')
    await page.getByRole('dialog').getByRole('button', { name: 'Discard' }).click()
    await poll(() => { const d = real.dlq.get('order-1'); return d.ok ? d.value.entry.discard?.reason : null }).toBe('customer cancelled the order')
    await poll(() => page.getByTestId('count-discarded').textContent()).toContain('1')
    await shot('dlq-after')
  })

  it('test-routes a Discord command and shows the decision, the rule, the response and the timing', async () => {
    await nav('Test routing')
    await page.getByRole('button', { name: 'Discord command' }).click()
    const result = await submit('Send it')
    expect(await result.getByTestId('decision-platforms').textContent()).toBe('discord')
    expect(await result.getByTestId('decision-rule').textContent()).toMatch(/^builtin:discord/)
    expect(await result.getByTestId('response-discord').textContent()).toContain('Pong!')
    expect(await result.getByTestId('route-timing').textContent()).toMatch(/Decision[\d.]+ (µs|ms).*Delivery[\d.]+ (µs|ms).*Total[\d.]+ (µs|ms)/)
    await shot('routing')
  })

  it('shows resource points for every sandbox process', async () => {
    await nav('Resources')
    const ids = real.runner.instances().map((i) => i.instanceId)
    expect(ids.length).toBe(5)
    for (const id of ids) await poll(async () => Number(await page.getByTestId(`process-${id}`).getAttribute('data-points')), { timeout: 15_000 }).toBeGreaterThan(0)
    await shot('resources')
    await nav('Isolation')
    await page.locator('[data-testid=isolation-discord] tr[data-weakest=true]').waitFor()
    await shot('isolation')
    await nav('Incidents')
    await page.getByTestId('timeline-flaky').locator('.incident-list').getByText('Breaker closed → open').waitFor()
    await shot('timeline')
  })
})
