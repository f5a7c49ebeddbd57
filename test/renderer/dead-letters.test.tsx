import { cleanup, screen, waitFor, within } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import type { FakeEngine } from '../main/transport/fake-engine.ts'
import { renderPanel } from './render-panel.tsx'

afterEach(cleanup)

async function failAndroid(engine: FakeEngine, n: number): Promise<void> {
  engine.setFailing('android', true)
  for (let i = 0; i < n; i++) await engine.testRoute({ type: 'android', content: `GET /api/item/${i}`, metadata: { deviceId: `dev-${i}` } }, true)
}

const rows = () => screen.queryAllByTestId(/^dlq-row-/)

describe('Dead letters', () => {
  it('shows a designed empty state when nothing failed', async () => {
    await renderPanel({ view: 'dlq' })
    expect(await screen.findByText('No dead letters match')).toBeTruthy()
    expect(screen.getByTestId('count-pending').textContent).toContain('0')
  })

  it('lists failures with state, platform, error, attempts and updates counts live', async () => {
    const { engine, tick } = await renderPanel({ view: 'dlq', before: (e) => failAndroid(e, 2) })
    await waitFor(() => expect(rows()).toHaveLength(2))
    expect(within(rows()[0]!).getByText('pending')).toBeTruthy()
    expect(within(rows()[0]!).getByText('PLUGIN_ERROR')).toBeTruthy()
    expect(within(rows()[0]!).getByText('0/5')).toBeTruthy()
    await engine.testRoute({ type: 'android', content: 'GET /api/more' }, true)
    await tick()
    await waitFor(() => expect(screen.getByTestId('count-pending').textContent).toContain('3'))
    await waitFor(() => expect(rows()).toHaveLength(3))
  })

  it('opens the detail with the original request and every attempt', async () => {
    const { user } = await renderPanel({ view: 'dlq', before: (e) => failAndroid(e, 1) })
    await waitFor(() => expect(rows()).toHaveLength(1))
    await user.click(rows()[0]!)
    const detail = await screen.findByTestId('dlq-detail')
    await waitFor(() => expect(within(detail).getByTestId('dlq-request').textContent).toContain('GET /api/item/0'))
    expect(within(detail).getByText('Attempts (1)')).toBeTruthy()
    expect(detail.querySelector('.attempts')!.textContent).toContain('failed on demand')
  })

  it('retries one entry and shows it resolved once the platform recovered', async () => {
    const { engine, user } = await renderPanel({ view: 'dlq', before: (e) => failAndroid(e, 2) })
    await waitFor(() => expect(rows()).toHaveLength(2))
    engine.setFailing('android', false)
    await user.click(rows()[0]!)
    const detail = await screen.findByTestId('dlq-detail')
    await user.click(await within(detail).findByRole('button', { name: 'Retry' }))
    await waitFor(() => expect(within(detail).getByText('Attempts (2)')).toBeTruthy())
    expect(within(detail).getAllByText('resolved').length).toBeGreaterThan(0)
    expect(engine.dlq.counts().resolved).toBe(1)
    expect(screen.getByText(/Retried 1/)).toBeTruthy()
  })

  it('discards the selection only with a reason, and keeps the reason', async () => {
    const { engine, user } = await renderPanel({ view: 'dlq', before: (e) => failAndroid(e, 2) })
    await waitFor(() => expect(rows()).toHaveLength(2))
    const id = rows()[1]!.getAttribute('data-testid')!.replace('dlq-row-', '')
    await user.click(screen.getByRole('checkbox', { name: `Select ${id}` }))
    await user.click(screen.getByRole('button', { name: 'Discard selected…' }))
    const dialog = screen.getByRole('dialog')
    const confirm = within(dialog).getByRole('button', { name: 'Discard' })
    expect(confirm.hasAttribute('disabled')).toBe(true)
    await user.type(within(dialog).getByLabelText('Reason'), 'test traffic')
    await user.click(confirm)
    await waitFor(() => expect(screen.getByText(/Discarded 1 — reason: test traffic/)).toBeTruthy())
    const entry = await engine.dlq.get(id)
    expect(entry.ok && entry.value.entry.discard?.reason).toBe('test traffic')
  })

  it('filters by full-text search and shows the match count', async () => {
    const { user } = await renderPanel({ view: 'dlq', before: (e) => failAndroid(e, 3) })
    await waitFor(() => expect(rows()).toHaveLength(3))
    await user.type(screen.getByRole('searchbox'), 'dev-1')
    await user.click(screen.getByRole('button', { name: 'Search' }))
    await waitFor(() => expect(rows()).toHaveLength(1))
    expect(screen.getByText('1 match')).toBeTruthy()
  })

  it('previews a filter-scoped bulk retry and acts on exactly the previewed set', async () => {
    const { engine, user } = await renderPanel({ view: 'dlq', before: (e) => failAndroid(e, 2) })
    await waitFor(() => expect(rows()).toHaveLength(2))
    engine.setFailing('android', false)
    engine.resetBreaker('android', 'test')
    await user.click(screen.getByRole('button', { name: 'Retry all matching…' }))
    const dialog = await screen.findByRole('dialog')
    expect(within(dialog).getByText(/2 match as of/)).toBeTruthy()
    engine.setFailing('android', true)
    await engine.testRoute({ type: 'android', content: 'GET /api/late' }, true)
    engine.setFailing('android', false)
    await user.click(within(dialog).getByRole('button', { name: 'Retry 2' }))
    await waitFor(() => expect(screen.getByText(/Bulk retry: 2 of 2/)).toBeTruthy())
    expect(engine.dlq.counts()).toMatchObject({ resolved: 2, pending: 1 })
  })

  it('groups failures by signature and runs a canary retry from a group', async () => {
    const { engine, user, tick } = await renderPanel({ view: 'dlq', before: (e) => failAndroid(e, 3) })
    const groups = await screen.findAllByTestId('error-group')
    expect(within(groups[0]!).getByText('3×')).toBeTruthy()
    engine.setFailing('android', false)
    engine.resetBreaker('android', 'test')
    await user.click(within(groups[0]!).getByRole('button', { name: 'Canary retry' }))
    await waitFor(() => expect(screen.getByText(/Canary retry started/)).toBeTruthy())
    await tick()
    await waitFor(() => expect(screen.getByTestId('redrive-job').getAttribute('data-status')).toBe('done'))
    expect(engine.dlq.counts().resolved).toBe(3)
  })

  it('shows a waiting retry-when-healthy as held in memory, and runs it once the breaker closes', async () => {
    const { engine, user, tick } = await renderPanel({ view: 'dlq', before: (e) => failAndroid(e, 3) })
    expect(within(screen.getByTestId('redrive-jobs')).getByText(/None yet/)).toBeTruthy()
    const groups = await screen.findAllByTestId('error-group')
    await user.click(within(groups[0]!).getByRole('button', { name: /Retry when healthy/ }))
    await tick()
    const job = await screen.findByTestId('redrive-job')
    expect(job.getAttribute('data-status')).toBe('waiting')
    expect(within(job).getByText('lost on restart')).toBeTruthy()
    expect(within(screen.getByTestId('redrive-jobs')).getByRole('note').textContent).toContain('restarting the app stops them')
    engine.setFailing('android', false)
    engine.resetBreaker('android', 'test')
    for (let i = 0; i < 3; i++) await tick()
    await waitFor(() => expect(screen.getByTestId('redrive-job').getAttribute('data-status')).toBe('done'))
    expect(within(screen.getByTestId('redrive-job')).queryByText('lost on restart')).toBeNull()
    expect(within(screen.getByTestId('redrive-job')).getByText('3/3 retried')).toBeTruthy()
  })
})

describe('Dead letters: reversible actions', () => {
  it('edits the payload before a retry and keeps the original', async () => {
    const { engine, user } = await renderPanel({ view: 'dlq', before: (e) => failAndroid(e, 1) })
    await waitFor(() => expect(rows()).toHaveLength(1))
    await user.click(rows()[0]!)
    const detail = await screen.findByTestId('dlq-detail')
    await user.click(await within(detail).findByRole('button', { name: 'Edit payload…' }))
    const box = within(detail).getByLabelText('Edited payload')
    await user.clear(box)
    await user.click(box)
    await user.paste('{"type":"android","content":"GET /api/fixed"}')
    await user.click(within(detail).getByRole('button', { name: 'Save payload' }))
    await waitFor(() => expect(within(detail).getByText('Original request')).toBeTruthy())
    expect(within(detail).getByTestId('dlq-request').textContent).toContain('GET /api/fixed')
    const id = rows()[0]!.getAttribute('data-testid')!.replace('dlq-row-', '')
    const stored = await engine.dlq.get(id)
    expect(stored.ok && stored.value.entry.originalRequest?.['content']).toBe('GET /api/item/0')
  })

  it('undoes a discard', async () => {
    const { engine, user } = await renderPanel({ view: 'dlq', before: (e) => failAndroid(e, 1) })
    await waitFor(() => expect(rows()).toHaveLength(1))
    const id = rows()[0]!.getAttribute('data-testid')!.replace('dlq-row-', '')
    await engine.dlq.discard([id], 'by mistake')
    await user.click(rows()[0]!)
    const detail = await screen.findByTestId('dlq-detail')
    await user.click(await within(detail).findByRole('button', { name: 'Undo discard' }))
    await waitFor(() => expect(screen.getByText(/Restored 1/)).toBeTruthy())
    const stored = await engine.dlq.get(id)
    expect(stored.ok && stored.value.entry.state).toBe('pending')
  })
})

describe('Dead letters: failure states', () => {
  it('shows why the queue cannot be read, and tries again on request', async () => {
    let available = false
    const { user } = await renderPanel({
      view: 'dlq',
      before: (engine) => {
        const list = engine.dlq.list.bind(engine.dlq)
        engine.dlq.list = async (request) => (available ? list(request) : { ok: false, error: { code: 'DLQ_UNAVAILABLE', message: 'database is locked' } })
      }
    })
    expect((await screen.findByRole('alert')).textContent).toContain('Dead-letter queue unavailable: database is locked')
    available = true
    await user.click(screen.getByRole('button', { name: 'Try again' }))
    expect(await screen.findByText('No dead letters match')).toBeTruthy()
  })

  it('shows why the error groups cannot be loaded instead of loading forever', async () => {
    let available = false
    const { user } = await renderPanel({
      view: 'dlq',
      before: (engine) => {
        const groups = engine.dlq.groups.bind(engine.dlq)
        engine.dlq.groups = async () => (available ? groups() : { ok: false, error: { code: 'DLQ_UNAVAILABLE', message: 'database is locked' } })
      }
    })
    const card = screen.getByRole('region', { name: 'Error groups' })
    await waitFor(() => expect(within(card).getByRole('alert').textContent).toContain('database is locked'))
    expect(within(card).queryByText('Loading groups…')).toBeNull()
    available = true
    await user.click(within(card).getByRole('button', { name: 'Try again' }))
    expect(await within(card).findByText('No open failures to group.')).toBeTruthy()
  })
})
