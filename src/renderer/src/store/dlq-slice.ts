/**
 * Dead letters: the current filter and page (cursor stack for back/forward), row selection, the open detail,
 * error groups, a pending bulk preview and the last action's report. Every action goes through the client.
 */
import type { StateCreator } from 'zustand'
import type { DlqBulkAction, DlqBulkPreview, DlqEntryDetail, DlqErrorGroup, DlqFilter, DlqPage } from '../../../shared/dlq.ts'
import type { ConductorError } from '../../../shared/errors.ts'
import { describeError } from '../lib/describe-error.ts'
import type { AppState } from './app-store.ts'

export const DLQ_PAGE_SIZE = 25

export interface Notice {
  kind: 'ok' | 'error'
  text: string
}

export interface DlqSlice {
  dlq: {
    filter: DlqFilter
    /** Cursors of the pages before the current one; the current page's cursor is `cursor`. */
    back: (string | undefined)[]
    cursor: string | undefined
    page: DlqPage | null
    loading: boolean
    error: ConductorError | null
    selected: string[]
    detail: { id: string; data: DlqEntryDetail | null; error: ConductorError | null } | null
    groups: DlqErrorGroup[] | null
    /** Why the error groups could not be loaded (the last try); null once they load. */
    groupsError: ConductorError | null
    preview: DlqBulkPreview | null
    notice: Notice | null
  }
  loadDlqPage(cursor?: string, quiet?: boolean): Promise<void>
  setDlqFilter(filter: DlqFilter): Promise<void>
  nextDlqPage(): Promise<void>
  prevDlqPage(): Promise<void>
  toggleSelected(id: string): void
  setSelected(ids: string[]): void
  openDetail(id: string): Promise<void>
  closeDetail(): void
  retryEntries(ids: string[]): Promise<void>
  discardEntries(ids: string[], reason: string): Promise<void>
  undoDiscard(ids: string[]): Promise<void>
  /** Saves an edited payload (the original is kept); resolves whether it was saved. */
  editPayload(id: string, request: Record<string, unknown>, reason?: string): Promise<boolean>
  previewBulk(action: DlqBulkAction): Promise<void>
  applyBulk(reason?: string): Promise<void>
  cancelBulk(): void
  loadGroups(): Promise<void>
  canaryRetry(signature: string, canaryCount: number): Promise<void>
  retryWhenHealthy(platform: string, signature?: string): Promise<void>
}

type Set = Parameters<StateCreator<AppState, [], [], DlqSlice>>[0]
type Get = Parameters<StateCreator<AppState, [], [], DlqSlice>>[1]

function patch(set: Set, get: Get, part: Partial<DlqSlice['dlq']>): void {
  set({ dlq: { ...get().dlq, ...part } })
}

export const createDlqSlice: StateCreator<AppState, [], [], DlqSlice> = (set, get) => {
  const notify = (notice: Notice): void => patch(set, get, { notice })
  const afterChange = async (): Promise<void> => {
    await Promise.all([get().loadDlqPage(get().dlq.cursor, true), get().loadGroups()])
    const detail = get().dlq.detail
    if (detail) await get().openDetail(detail.id)
  }
  return {
    dlq: { filter: {}, back: [], cursor: undefined, page: null, loading: false, error: null, selected: [], detail: null, groups: null, groupsError: null, preview: null, notice: null },

    async loadDlqPage(cursor, quiet = false) {
      if (!quiet) patch(set, get, { loading: true, error: null })
      const { filter } = get().dlq
      const result = await get().client.call('dlq.list', cursor === undefined ? { filter, limit: DLQ_PAGE_SIZE } : { filter, limit: DLQ_PAGE_SIZE, cursor })
      if (result.ok) {
        const visible = new Set(result.value.entries.map((e) => e.id))
        patch(set, get, { page: result.value, cursor, loading: false, error: null, selected: get().dlq.selected.filter((id) => visible.has(id)) })
      } else patch(set, get, { loading: false, error: result.error })
    },
    async setDlqFilter(filter) {
      patch(set, get, { filter, back: [], selected: [] })
      await get().loadDlqPage(undefined)
    },
    async nextDlqPage() {
      const { page, cursor, back } = get().dlq
      if (!page?.nextCursor) return
      patch(set, get, { back: [...back, cursor] })
      await get().loadDlqPage(page.nextCursor)
    },
    async prevDlqPage() {
      const back = [...get().dlq.back]
      if (back.length === 0) return
      const cursor = back.pop()
      patch(set, get, { back })
      await get().loadDlqPage(cursor)
    },
    toggleSelected(id) {
      const selected = get().dlq.selected
      patch(set, get, { selected: selected.includes(id) ? selected.filter((x) => x !== id) : [...selected, id] })
    },
    setSelected(ids) {
      patch(set, get, { selected: ids })
    },
    async openDetail(id) {
      if (get().dlq.detail?.id !== id) patch(set, get, { detail: { id, data: null, error: null } })
      const result = await get().client.call('dlq.get', { id })
      if (get().dlq.detail?.id !== id) return
      patch(set, get, { detail: result.ok ? { id, data: result.value, error: null } : { id, data: null, error: result.error } })
    },
    closeDetail() {
      patch(set, get, { detail: null })
    },
    async retryEntries(ids) {
      const result = await get().client.call('dlq.retry', { ids })
      if (!result.ok) return notify({ kind: 'error', text: describeError(result.error) })
      const failed = result.value.failed.length
      notify({ kind: failed ? 'error' : 'ok', text: `Retried ${result.value.done.length}${failed ? `, ${failed} could not be retried (${describeError(result.value.failed[0]!.error)})` : ''}` })
      patch(set, get, { selected: [] })
      await afterChange()
    },
    async discardEntries(ids, reason) {
      const result = await get().client.call('dlq.discard', { ids, reason })
      if (!result.ok) return notify({ kind: 'error', text: describeError(result.error) })
      const failed = result.value.failed.length
      notify({ kind: failed ? 'error' : 'ok', text: `Discarded ${result.value.done.length}${failed ? `, ${failed} could not be discarded` : ''} — reason: ${reason}` })
      patch(set, get, { selected: [] })
      await afterChange()
    },
    async undoDiscard(ids) {
      const result = await get().client.call('dlq.undoDiscard', { ids, reason: 'undone from the panel' })
      if (!result.ok) return notify({ kind: 'error', text: describeError(result.error) })
      notify({ kind: result.value.failed.length ? 'error' : 'ok', text: `Restored ${result.value.done.length}${result.value.failed.length ? `, ${result.value.failed.length} could not be restored` : ''}` })
      await afterChange()
    },
    async editPayload(id, request, reason) {
      const result = await get().client.call('dlq.editPayload', reason ? { id, request, reason } : { id, request })
      if (!result.ok) {
        notify({ kind: 'error', text: describeError(result.error) })
        return false
      }
      notify({ kind: 'ok', text: `Saved the edited payload of ${id}; the original is kept. Retry to send it.` })
      await afterChange()
      return true
    },
    async previewBulk(action) {
      const result = await get().client.call('dlq.bulkPreview', { filter: get().dlq.filter, action })
      if (!result.ok) return notify({ kind: 'error', text: describeError(result.error) })
      patch(set, get, { preview: result.value })
    },
    async applyBulk(reason) {
      const preview = get().dlq.preview
      if (!preview) return
      const result = await get().client.call('dlq.bulkApply', reason === undefined ? { token: preview.token } : { token: preview.token, reason })
      patch(set, get, { preview: null })
      if (!result.ok) return notify({ kind: 'error', text: describeError(result.error) })
      const skipped = Object.entries(result.value.skipped).map(([why, n]) => `${n} ${why}`).join(', ')
      notify({ kind: 'ok', text: `Bulk ${result.value.action}: ${result.value.applied} of ${result.value.requested} as of ${new Date(preview.asOfMs).toLocaleTimeString()}${skipped ? ` (skipped: ${skipped})` : ''}` })
      await afterChange()
    },
    cancelBulk() {
      patch(set, get, { preview: null })
    },
    async loadGroups() {
      const result = await get().client.call('dlq.groups', {})
      patch(set, get, result.ok ? { groups: result.value, groupsError: null } : { groupsError: result.error })
    },
    async canaryRetry(signature, canaryCount) {
      const result = await get().client.call('dlq.canaryRetry', { signature, canaryCount })
      notify(result.ok ? { kind: 'ok', text: `Canary retry started: ${result.value.detail}` } : { kind: 'error', text: describeError(result.error) })
      if (result.ok) await afterChange()
    },
    async retryWhenHealthy(platform, signature) {
      const result = await get().client.call('dlq.retryWhenHealthy', signature === undefined ? { platform } : { platform, signature })
      notify(result.ok ? { kind: 'ok', text: `Retry when healthy: ${result.value.detail}` } : { kind: 'error', text: describeError(result.error) })
      if (result.ok) await afterChange()
    }
  }
}
