import { screen, within } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup } from '@testing-library/react'
import { renderPanel } from './render-panel.tsx'

afterEach(cleanup)

describe('Overview', () => {
  it('shows every platform with its instances and a closed breaker', async () => {
    await renderPanel()
    const discord = await screen.findByTestId('platform-discord')
    expect(within(screen.getByTestId('breaker-discord')).getAllByText('closed')[0]).toBeTruthy()
    expect(within(discord).getByTestId('instance-discord-1')).toBeTruthy()
    expect(within(screen.getByTestId('platform-android')).getAllByRole('row')).toHaveLength(3)
  })

  it('shows an open breaker with its last cause after a tick', async () => {
    const { engine, tick } = await renderPanel()
    engine.setFailing('android', true)
    for (let i = 0; i < 3; i++) await engine.testRoute({ type: 'android', content: 'GET /api/x' }, true)
    await tick()
    const breaker = screen.getByTestId('breaker-android')
    expect(breaker.querySelector('.breaker-head .badge')!.getAttribute('data-state')).toBe('open')
    expect(within(breaker).getByText(/3 consecutive|failed on demand/, { selector: '.cause' })).toBeTruthy()
    expect(within(breaker).getByText(/next probe/)).toBeTruthy()
  })

  it('shows how many requests wait for a busy platform, marked once any do', async () => {
    const { engine, tick } = await renderPanel()
    const waiting = async () => within(await screen.findByTestId('platform-android')).getByText('waiting').parentElement!
    expect((await waiting()).textContent).toBe('0waiting')
    expect((await waiting()).className).not.toContain('metric-bad')
    engine.setQueued('android', 7)
    await tick()
    expect((await waiting()).textContent).toBe('7waiting')
    expect((await waiting()).className).toContain('metric-bad')
  })

  it('states the breaker failures against its thresholds in words', async () => {
    const { engine, tick } = await renderPanel()
    expect((await screen.findByTestId('breaker-failures-android')).textContent).toMatch(/^0 of 3 in a row · no calls in the last \d+ s \(rate opens at \d+% from \d+ calls\)$/)
    engine.setFailing('android', true)
    for (let i = 0; i < 3; i++) await engine.testRoute({ type: 'android', content: 'GET /api/x' }, true)
    await tick()
    expect(screen.getByTestId('breaker-failures-android').textContent).toMatch(/^3 of 3 in a row · /)
    expect(within(screen.getByTestId('breaker-android')).getByText('Last transition')).toBeTruthy()
  })

  it('restarts an instance only after confirmation', async () => {
    const { user, tick } = await renderPanel()
    await user.click(await screen.findByRole('button', { name: 'Restart discord-2' }))
    const dialog = screen.getByRole('dialog')
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }))
    await tick()
    expect(within(screen.getByTestId('instance-discord-2')).getAllByRole('cell')[4]!.textContent).toBe('0')
    await user.click(screen.getByRole('button', { name: 'Restart discord-2' }))
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Restart' }))
    await tick()
    expect(within(screen.getByTestId('instance-discord-2')).getAllByRole('cell')[4]!.textContent).toBe('1')
  })

  it('resets a breaker only with a reason, and records it', async () => {
    const { engine, user, tick } = await renderPanel()
    engine.setFailing('android', true)
    for (let i = 0; i < 3; i++) await engine.testRoute({ type: 'android', content: 'GET /api/x' }, true)
    await tick()
    await user.click(within(screen.getByTestId('breaker-android')).getByRole('button', { name: 'Reset…' }))
    const dialog = screen.getByRole('dialog')
    expect(within(dialog).getByRole('button', { name: 'Reset breaker' }).hasAttribute('disabled')).toBe(true)
    await user.type(within(dialog).getByLabelText('Reason'), 'upstream fixed')
    await user.click(within(dialog).getByRole('button', { name: 'Reset breaker' }))
    await tick()
    expect(screen.getByTestId('breaker-android').querySelector('.breaker-head .badge')!.getAttribute('data-state')).toBe('closed')
    expect(screen.getByText('android breaker reset (upstream fixed)')).toBeTruthy()
  })

  it('shows a designed empty state when no platform is loaded', async () => {
    await renderPanel({ platforms: [] })
    expect(await screen.findByText('No platforms yet')).toBeTruthy()
  })

  it('moves between views with the arrow keys', async () => {
    const { user } = await renderPanel()
    const overview = await screen.findByRole('tab', { name: /^Overview/ })
    overview.focus()
    await user.keyboard('{ArrowDown}')
    expect(screen.getByRole('tab', { name: /^Resources/ }).getAttribute('aria-selected')).toBe('true')
    expect(document.activeElement).toBe(screen.getByRole('tab', { name: /^Resources/ }))
    await user.keyboard('{ArrowUp}{ArrowUp}')
    expect(screen.getByRole('tab', { name: /^Incidents/ }).getAttribute('aria-selected')).toBe('true')
  })

  it('shows that the engine link is down', async () => {
    const { transport, settle } = await renderPanel()
    transport.disconnect()
    await settle()
    expect(screen.getByText(/Disconnected from the engine/)).toBeTruthy()
  })
})

describe('dialogs', () => {
  it('keep Tab inside and close on Escape', async () => {
    const { user } = await renderPanel()
    await user.click(await screen.findByRole('button', { name: 'Restart discord-1' }))
    const dialog = screen.getByRole('dialog')
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Restart' }))
    await user.tab()
    expect(dialog.contains(document.activeElement)).toBe(true)
    await user.tab()
    await user.tab()
    expect(dialog.contains(document.activeElement)).toBe(true)
    await user.keyboard('{Escape}')
    expect(screen.queryByRole('dialog')).toBeNull()
  })
})

describe('engine state errors', () => {
  it('explains a failed snapshot and loads it again on Try again', async () => {
    let broken = true
    const { user } = await renderPanel({
      before: (engine) => {
        const isolation = engine.isolation.bind(engine)
        engine.isolation = () => {
          if (broken) throw new Error('isolation report unreadable')
          return isolation()
        }
      }
    })
    const alert = await screen.findByText(/Could not load the engine state/)
    expect(screen.queryByTestId('platform-discord')).toBeNull()
    broken = false
    await user.click(within(alert).getByRole('button', { name: 'Try again' }))
    expect(await screen.findByTestId('platform-discord')).toBeTruthy()
    expect(screen.queryByText(/Could not load the engine state/)).toBeNull()
  })
})
