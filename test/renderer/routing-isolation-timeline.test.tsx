import { cleanup, screen, waitFor, within } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { renderPanel } from './render-panel.tsx'

afterEach(cleanup)

describe('Test routing', () => {
  it('answers "where would it go" for a Discord command without executing it', async () => {
    const { user, engine } = await renderPanel({ view: 'routing' })
    await user.click(screen.getByRole('button', { name: 'Discord command' }))
    await user.click(screen.getByRole('button', { name: 'Where would it go?' }))
    const result = await screen.findByTestId('route-result')
    expect(within(result).getByTestId('decision-platforms').textContent).toBe('discord')
    expect(within(result).getByTestId('decision-rule').textContent).toBe('builtin:discord')
    expect(within(result).getByText(/nothing was executed/)).toBeTruthy()
    expect(engine.live().router.totals.ok).toBe(0)
  })

  it('sends an Android call and shows the response and timing', async () => {
    const { user } = await renderPanel({ view: 'routing' })
    await user.click(screen.getByRole('button', { name: 'Android API call' }))
    await user.click(screen.getByRole('button', { name: 'Send it' }))
    const result = await screen.findByTestId('route-result')
    expect(within(result).getByTestId('response-android').textContent).toContain('android handled GET /api/status')
    expect(within(result).getByTestId('route-timing').textContent).toMatch(/^Decision[\d.]+ (µs|ms) determineRouteDelivery[\d.]+ (µs|ms) routeRequest.*Total[\d.]+ (µs|ms)$/)
  })

  it('shows a fan-out decision with both platforms', async () => {
    const { user } = await renderPanel({ view: 'routing' })
    await user.click(screen.getByRole('button', { name: 'Fan-out' }))
    await user.click(screen.getByRole('button', { name: 'Send it' }))
    const result = await screen.findByTestId('route-result')
    expect(within(result).getByTestId('decision-platforms').textContent).toBe('discord, android')
    expect(within(result).getByTestId('response-discord')).toBeTruthy()
    expect(within(result).getByTestId('response-android')).toBeTruthy()
  })

  it('shows the precise rejection of a malformed request', async () => {
    const { user } = await renderPanel({ view: 'routing' })
    await user.click(screen.getByRole('button', { name: 'Malformed' }))
    await user.click(screen.getByRole('button', { name: 'Send it' }))
    const error = await screen.findByTestId('decision-error')
    expect(error.textContent).toContain('type expected a string')
  })

  it('says when the text is not JSON instead of sending it', async () => {
    const { user } = await renderPanel({ view: 'routing' })
    const box = screen.getByLabelText('Request JSON')
    await user.clear(box)
    await user.type(box, 'not json')
    await user.click(screen.getByRole('button', { name: 'Send it' }))
    expect(screen.getByRole('alert').textContent).toMatch(/Not JSON/)
  })
})

describe('Isolation', () => {
  it('lists every layer with evidence and highlights the weakest', async () => {
    await renderPanel({ view: 'isolation' })
    const card = await screen.findByTestId('isolation-android')
    const weakest = card.querySelector('tr[data-weakest=true]')!
    expect(weakest.textContent).toContain('cgroup-memory')
    expect(weakest.textContent).toContain('no delegated cgroup')
    expect(within(card).getByText(/weakest:/).textContent).toContain('weakest')
    expect(card.querySelectorAll('tbody tr')).toHaveLength(6)
  })

  it('lists the launchers kept started ahead of time, with what each holds in memory and the total', async () => {
    await renderPanel({ view: 'isolation' })
    const section = await screen.findByTestId('spare-launchers')
    const rows = [...section.querySelectorAll('tbody tr')].map((row) => [...row.querySelectorAll('td')].slice(0, 3).map((cell) => cell.textContent))
    expect(rows).toEqual([
      ['chain', '4101', '3.0 MiB'],
      ['rooted', '4102', '4.0 MiB'],
      ['landlock', '4103', '45 MiB']
    ])
    expect(within(section).getByText(/3 idle · 52 MiB resident/)).toBeTruthy()
  })
})

describe('Incident timeline', () => {
  it('puts breaker transitions, dead letters, kills and restarts on each platform lane', async () => {
    const { engine, tick } = await renderPanel({ view: 'timeline' })
    engine.setFailing('android', true)
    for (let i = 0; i < 3; i++) await engine.testRoute({ type: 'android', content: 'GET /api/x' }, true)
    engine.killForMemory('discord-1')
    await tick()
    const android = screen.getByTestId('timeline-android')
    await waitFor(() => expect(within(android).getByText('Breaker closed → open')).toBeTruthy())
    expect(within(android).getAllByText('Dead letter: PLUGIN_ERROR')).toHaveLength(3)
    const discord = screen.getByTestId('timeline-discord')
    expect(within(discord).getByText('Killed (memory limit): discord-1')).toBeTruthy()
    expect(within(discord).getByText('Restarting discord-1')).toBeTruthy()
    expect(discord.querySelectorAll('rect.mark-kill')).toHaveLength(1)
  })
})
