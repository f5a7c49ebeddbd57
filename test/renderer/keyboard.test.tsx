/**
 * Keyboard use of the panel: dialogs give focus back to the control that opened them, the dead-letter detail
 * takes focus and gives it back to its row, and every enabled control of every view is reachable with Tab.
 */
import { act, cleanup, screen, waitFor, within } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import type { ViewName } from '../../src/renderer/src/store/app-store.ts'
import type { FakeEngine } from '../main/transport/fake-engine.ts'
import { renderPanel } from './render-panel.tsx'

afterEach(cleanup)

async function failAndroid(engine: FakeEngine, n: number): Promise<void> {
  engine.setFailing('android', true)
  for (let i = 0; i < n; i++) await engine.testRoute({ type: 'android', content: `GET /api/item/${i}` }, true)
}

const rows = () => screen.queryAllByTestId(/^dlq-row-/)

describe('keyboard', () => {
  it('returns focus to the restart button after the dialog is cancelled with Escape', async () => {
    const { user } = await renderPanel()
    const restart = await screen.findByRole('button', { name: 'Restart discord-2' })
    restart.focus()
    await user.keyboard('{Enter}')
    const dialog = screen.getByRole('dialog')
    expect(dialog.contains(document.activeElement)).toBe(true)
    await user.keyboard('{Escape}')
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(document.activeElement).toBe(restart)
  })

  it('returns focus to the breaker action after a reset confirmed from the keyboard', async () => {
    const { engine, user, tick } = await renderPanel()
    await failAndroid(engine, 3)
    await tick()
    const reset = within(screen.getByTestId('breaker-android')).getByRole('button', { name: 'Reset…' })
    reset.focus()
    await user.keyboard('{Enter}')
    expect(document.activeElement).toBe(within(screen.getByRole('dialog')).getByLabelText('Reason'))
    await user.keyboard('upstream fixed{Enter}')
    await tick()
    // The same control now offers the opposite action, and still has focus.
    const action = within(screen.getByTestId('breaker-android')).getByRole('button', { name: 'Force open…' })
    expect(document.activeElement).toBe(action)
  })

  it('moves focus to a usable control next to a bulk action that the action disabled', async () => {
    const { user } = await renderPanel({ view: 'dlq', before: (e) => failAndroid(e, 2) })
    await waitFor(() => expect(rows()).toHaveLength(2))
    await user.click(within(rows()[0]!).getByRole('checkbox'))
    const discard = screen.getByRole('button', { name: 'Discard selected…' })
    discard.focus()
    await user.keyboard('{Enter}')
    await user.keyboard('duplicate{Enter}')
    await waitFor(() => expect(screen.getByText(/Discarded 1/)).toBeTruthy())
    expect(screen.queryByRole('dialog')).toBeNull()
    const toolbar = screen.getByRole('toolbar', { name: 'Dead-letter actions' })
    expect(toolbar.contains(document.activeElement)).toBe(true)
    expect((document.activeElement as HTMLButtonElement).disabled).toBe(false)
  })

  it('opens a dead letter with Enter, focuses its detail, and gives focus back to the row on Escape', async () => {
    const { user } = await renderPanel({ view: 'dlq', before: (e) => failAndroid(e, 2) })
    await waitFor(() => expect(rows()).toHaveLength(2))
    const row = rows()[1]!
    row.focus()
    await user.keyboard('{Enter}')
    const detail = await screen.findByTestId('dlq-detail')
    await waitFor(() => expect(detail.contains(document.activeElement)).toBe(true))
    await user.keyboard('{Escape}')
    expect(screen.queryByTestId('dlq-detail')).toBeNull()
    expect(document.activeElement).toBe(row)
  })

  it('closes only the dialog, not the detail under it, on Escape', async () => {
    const { user } = await renderPanel({ view: 'dlq', before: (e) => failAndroid(e, 1) })
    await waitFor(() => expect(rows()).toHaveLength(1))
    await user.click(rows()[0]!)
    const detail = await screen.findByTestId('dlq-detail')
    const discard = await within(detail).findByRole('button', { name: 'Discard…' })
    await user.click(discard)
    await user.keyboard('{Escape}')
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(screen.getByTestId('dlq-detail')).toBeTruthy()
    expect(document.activeElement).toBe(discard)
  })

  it('moves between views with the arrow keys, Home and End, keeping one tab in the Tab order', async () => {
    const { user } = await renderPanel()
    const tab = (name: RegExp) => screen.getByRole('tab', { name })
    tab(/^Overview/).focus()
    await user.keyboard('{ArrowDown}')
    expect(document.activeElement).toBe(tab(/^Resources/))
    expect(tab(/^Resources/).getAttribute('aria-selected')).toBe('true')
    await user.keyboard('{End}')
    expect(document.activeElement).toBe(tab(/^Incidents/))
    await user.keyboard('{ArrowDown}')
    expect(document.activeElement).toBe(tab(/^Overview/))
    await user.keyboard('{ArrowUp}{Home}')
    expect(document.activeElement).toBe(tab(/^Overview/))
    expect(screen.getAllByRole('tab').filter((t) => t.tabIndex === 0)).toEqual([tab(/^Overview/)])
  })

  // The views with controls (Resources, Isolation and Incidents only show data).
  const views: ViewName[] = ['overview', 'dlq', 'routing']
  for (const view of views) {
    it(`reaches every enabled control of the ${view} view with Tab`, async () => {
      const { user, tick } = await renderPanel({ view, before: (e) => failAndroid(e, 3) })
      await tick()
      if (view === 'dlq') await waitFor(() => expect(rows().length).toBeGreaterThan(0))
      const panel = screen.getByRole('tabpanel')
      const controls = [...panel.querySelectorAll<HTMLElement>('button, input, select, textarea, summary, a[href], [tabindex="0"]')].filter((el) => !el.matches(':disabled'))
      expect(controls.length).toBeGreaterThan(0)
      const reached = new Set<Element>()
      await act(async () => document.body.focus())
      for (let i = 0; i < controls.length + 20 && reached.size < controls.length; i++) {
        await user.tab()
        if (document.activeElement && controls.includes(document.activeElement as HTMLElement)) reached.add(document.activeElement)
      }
      const missed = controls.filter((el) => !reached.has(el)).map((el) => el.outerHTML.slice(0, 80))
      expect(missed).toEqual([])
    })
  }
})
