/**
 * The panel in a real browser against the headless host and a fake engine: the overview shows both
 * platforms closed, a failing platform's breaker opens in the UI, its failures appear in Dead letters,
 * one is retried (it resolves once the platform recovered) and one discarded with a reason, a Discord
 * command is test-routed, and every sandbox gets resource points. Screenshots of every view are saved.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { startHeadless, type HeadlessHost } from '../../src/main/headless.ts'
import { FakeEngine } from '../main/transport/fake-engine.ts'
import { assertPrerequisites, launchChromium, poll, rendererDir, screenshotDir } from './browser.ts'

let engine: FakeEngine
let host: HeadlessHost
let browser: Browser
let page: Page
let clock: ReturnType<typeof setInterval>

beforeAll(async () => {
  assertPrerequisites()
  engine = new FakeEngine([{ name: 'discord', instances: 2 }, { name: 'android', instances: 2 }], Date.now())
  engine.advance(30_000)
  // The fake engine's clock moves 1 s per 200 ms of real time, so the browser sees samples arrive.
  clock = setInterval(() => engine.advance(1000), 200)
  host = await startHeadless({ engine, rendererDir, intervalMs: 200 })
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
})

afterAll(async () => {
  clearInterval(clock)
  await browser?.close()
  await host?.close()
})

const shot = (name: string) => page.screenshot({ path: join(screenshotDir, `fake-${name}.png`), fullPage: false })
const nav = (label: string) => page.getByRole('tab', { name: new RegExp(`^${label}`) }).click()

describe('control panel in Chromium (fake engine)', () => {
  it('refuses the API without the token and shows why', async () => {
    const bare = await browser.newPage()
    await bare.goto(`http://127.0.0.1:${host.port}/`)
    await poll(() => bare.getByRole('status').filter({ hasText: /Disconnected|Connecting/ }).count()).toBeGreaterThan(0)
    await bare.close()
  })

  it('shows both platforms with closed breakers, and drops the token from the address bar', async () => {
    await page.goto(host.url)
    await page.getByTestId('platform-discord').waitFor()
    expect(await page.locator('[data-testid=breaker-discord] .breaker-head .badge').getAttribute('data-state')).toBe('closed')
    expect(await page.locator('[data-testid=breaker-android] .breaker-head .badge').getAttribute('data-state')).toBe('closed')
    expect(page.url()).not.toContain('token=')
    await shot('overview-closed')
  })

  it('shows the breaker open once the failing platform crossed its threshold', async () => {
    engine.setFailing('android', true)
    for (let i = 0; i < 4; i++) await engine.testRoute({ type: 'android', content: `GET /api/item/${i}` }, true)
    await page.locator('[data-testid=breaker-android] .breaker-head .badge[data-state=open]').waitFor()
    await poll(() => page.locator('[data-testid=breaker-android] .cause').textContent()).toContain('failed on demand')
    await shot('overview-open')
  })

  it('lists the failed requests in Dead letters, retries one after recovery and discards one with a reason', async () => {
    await nav('Dead letters')
    await page.getByRole('table', { name: 'Dead letters' }).waitFor()
    await poll(() => page.locator('tr[data-testid^=dlq-row-]').count()).toBe(4)
    await shot('dlq')

    engine.setFailing('android', false)
    engine.advance(10_000)
    const rows = page.locator('tr[data-testid^=dlq-row-]')
    const retryId = (await rows.nth(0).getAttribute('data-testid'))!.replace('dlq-row-', '')
    const discardId = (await rows.nth(1).getAttribute('data-testid'))!.replace('dlq-row-', '')

    await rows.nth(0).click()
    await page.getByTestId('dlq-detail').waitFor()
    await poll(() => page.getByTestId('dlq-request').textContent()).toContain('GET /api/item')
    await shot('dlq-detail')
    await page.getByTestId('dlq-detail').getByRole('button', { name: 'Retry' }).click()
    await poll(async () => (await engine.dlq.get(retryId)).ok && (await engine.dlq.get(retryId) as { value: { entry: { state: string } } }).value.entry.state).toBe('resolved')
    await page.getByTestId('dlq-detail').locator('.badge[data-state=resolved]').first().waitFor()

    await page.getByRole('button', { name: 'Close detail' }).click()
    await page.getByRole('checkbox', { name: `Select ${discardId}` }).check()
    await page.getByRole('button', { name: 'Discard selected…' }).click()
    const dialog = page.getByRole('dialog')
    expect(await dialog.getByRole('button', { name: 'Discard' }).isDisabled()).toBe(true)
    await dialog.getByLabel('Reason').fill('duplicate of an already answered request')
    await shot('dlq-discard-dialog')
    await dialog.getByRole('button', { name: 'Discard' }).click()
    await page.getByRole('status').filter({ hasText: 'Discarded 1' }).waitFor()
    const discarded = await engine.dlq.get(discardId)
    expect(discarded.ok && discarded.value.entry.discard?.reason).toBe('duplicate of an already answered request')
    await poll(() => page.getByTestId('count-discarded').textContent()).toContain('1')
    await poll(() => page.getByTestId('count-resolved').textContent()).toContain('1')
  })

  it('test-routes a Discord command and shows the decision and the response', async () => {
    await nav('Test routing')
    await page.getByRole('button', { name: 'Discord command' }).click()
    await page.getByRole('button', { name: 'Send it' }).click()
    await page.getByTestId('route-result').waitFor()
    expect(await page.getByTestId('decision-platforms').textContent()).toBe('discord')
    expect(await page.getByTestId('decision-rule').textContent()).toBe('builtin:discord')
    expect(await page.getByTestId('response-discord').textContent()).toContain('discord handled !ping')
    expect(await page.getByTestId('route-timing').textContent()).toMatch(/Decision[\d.]+ (µs|ms).*Total[\d.]+ (µs|ms)/)
    await shot('routing')
    await page.getByRole('button', { name: 'Malformed' }).click()
    await page.getByRole('button', { name: 'Where would it go?' }).click()
    await poll(() => page.getByTestId('decision-error').textContent()).toContain('type')
    await shot('routing-malformed')
  })

  it('draws resource points for every sandbox process', async () => {
    engine.killForMemory('discord-2')
    await nav('Resources')
    for (const id of ['discord-1', 'discord-2', 'android-1', 'android-2']) {
      await poll(async () => Number(await page.getByTestId(`process-${id}`).getAttribute('data-points'))).toBeGreaterThan(2)
      // The points attribute is set on the render that receives them; the chart draws its path a frame later.
      await poll(() => page.getByTestId(`process-${id}`).locator('.recharts-line path, path.recharts-curve').count()).toBeGreaterThan(0)
    }
    await page.getByTestId('process-discord-2').getByText('memory limit').first().waitFor()
    await shot('resources')
  })

  it('shows isolation layers with the weakest highlighted, and the incident timeline', async () => {
    await nav('Isolation')
    await page.locator('[data-testid=isolation-discord] tr[data-weakest=true]').waitFor()
    expect(await page.locator('[data-testid=isolation-discord] tr[data-weakest=true] td').first().textContent()).toBe('cgroup-memory')
    await shot('isolation')
    await nav('Incidents')
    await page.getByTestId('timeline-android').locator('.incident-list').getByText('Breaker closed → open').waitFor()
    await shot('timeline')
  })
})
