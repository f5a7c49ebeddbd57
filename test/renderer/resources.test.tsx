import { cleanup, screen, waitFor, within } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { renderPanel } from './render-panel.tsx'

afterEach(cleanup)

describe('Resources', () => {
  it('draws a graph per sandbox process with its samples and memory cap', async () => {
    const { tick } = await renderPanel({ view: 'resources' })
    for (let i = 0; i < 5; i++) await tick()
    for (const id of ['discord-1', 'discord-2', 'android-1', 'android-2']) {
      const card = screen.getByTestId(`process-${id}`)
      expect(card.getAttribute('data-points')).toBe('5')
      expect(within(card).getByText(/cap 64 MiB/)).toBeTruthy()
    }
  })

  it('marks a process killed for memory', async () => {
    const { engine, tick } = await renderPanel({ view: 'resources' })
    await tick()
    engine.killForMemory('android-2')
    await tick()
    const card = screen.getByTestId('process-android-2')
    await waitFor(() => expect(within(card).getByText('memory limit')).toBeTruthy())
    expect(within(card).getByText(/exceeded 64 MiB RSS/)).toBeTruthy()
  })

  it('keeps only the last five minutes of samples', async () => {
    const { tick, store } = await renderPanel({ view: 'resources' })
    for (let i = 0; i < 8; i++) await tick(60_000)
    const samples = store.getState().samples['discord-1']!
    expect(samples.length).toBeLessThanOrEqual(301)
    expect(samples.at(-1)!.atMs - samples[0]!.atMs).toBeLessThanOrEqual(5 * 60_000)
  })

  it('shows a designed empty state without processes', async () => {
    await renderPanel({ view: 'resources', platforms: [] })
    expect(await screen.findByText('No sandbox processes')).toBeTruthy()
  })
})
