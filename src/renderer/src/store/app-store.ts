/**
 * The one zustand store, built from slices. It owns the RPC client: components read with selectors and call
 * actions; only actions talk to the client. Batched updates are applied once per tick with structural sharing
 * (unchanged objects keep their identity) and every history is bounded.
 */
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { ConductorError } from '../../../shared/errors.ts'
import type { Incident, PanelSnapshot, PanelUpdate, TestRouteResult } from '../../../shared/panel.ts'
import type { ResourceSample, SandboxExit } from '../../../shared/sandbox.ts'
import { describeError } from '../lib/describe-error.ts'
import type { RpcClient } from '../lib/rpc-client.ts'
import type { TransportStatus } from '../lib/transport.ts'
import { createDlqSlice, type DlqSlice, type Notice } from './dlq-slice.ts'
import { appendBounded } from './history.ts'
import { applyLive, initialLive, type LiveState } from './live-slice.ts'

/** Resource history kept per process: the last 5 minutes, at most 600 samples. */
export const RESOURCE_WINDOW_MS = 5 * 60_000
const MAX_SAMPLES_PER_PROCESS = 600
const MAX_EXITS_PER_PROCESS = 50
const MAX_INCIDENTS = 500

export type ViewName = 'overview' | 'resources' | 'dlq' | 'routing' | 'isolation' | 'timeline'

export interface AppState extends DlqSlice {
  client: RpcClient
  view: ViewName
  connection: { status: TransportStatus; kind: RpcClient['transport']['kind']; error: ConductorError | null; missedUpdates: number; lastSeq: number }
  snapshotLoaded: boolean
  live: LiveState
  samples: Record<string, ResourceSample[]>
  exits: Record<string, SandboxExit[]>
  incidents: Incident[]
  /** `run` counts test-route calls, so a view (or a test) can tell a new answer from the previous one. */
  routing: { pending: boolean; run: number; result: TestRouteResult | null; error: ConductorError | null }
  opsNotice: Notice | null
  setView(view: ViewName): void
  start(): () => void
  loadSnapshot(): Promise<void>
  applyUpdate(update: PanelUpdate): void
  testRoute(request: unknown, execute: boolean): Promise<void>
  restartInstance(instanceId: string): Promise<void>
  resetBreaker(platform: string, reason: string): Promise<void>
  forceOpenBreaker(platform: string, reason: string): Promise<void>
}

export type AppStore = StoreApi<AppState>

function groupBy<T extends { instanceId: string }>(items: readonly T[]): Map<string, T[]> {
  const map = new Map<string, T[]>()
  for (const item of items) {
    const list = map.get(item.instanceId)
    if (list) list.push(item)
    else map.set(item.instanceId, [item])
  }
  return map
}

/** Appends per-process items; only processes that got new items get new arrays. */
function mergePerProcess<T extends { instanceId: string; atMs: number }>(prev: Record<string, T[]>, added: readonly T[], nowMs: number, max: number): Record<string, T[]> {
  if (added.length === 0) return prev
  const next = { ...prev }
  for (const [id, items] of groupBy(added)) next[id] = appendBounded(prev[id] ?? [], items, nowMs, RESOURCE_WINDOW_MS, max)
  return next
}

export function createAppStore(client: RpcClient): AppStore {
  return createStore<AppState>()((set, get, api) => ({
    ...createDlqSlice(set, get, api),
    client,
    view: 'overview',
    connection: { status: client.transport.status(), kind: client.transport.kind, error: null, missedUpdates: 0, lastSeq: 0 },
    snapshotLoaded: false,
    live: initialLive,
    samples: {},
    exits: {},
    incidents: [],
    routing: { pending: false, run: 0, result: null, error: null },
    opsNotice: null,

    setView(view) {
      set({ view })
      if (view === 'dlq') {
        void get().loadDlqPage(get().dlq.cursor)
        void get().loadGroups()
      }
    },

    start() {
      const offUpdate = client.on('panel.updated', (update) => get().applyUpdate(update))
      let wasOpen = client.transport.status() === 'open'
      const offStatus = client.transport.onStatus((status) => {
        set({ connection: { ...get().connection, status } })
        if (status === 'open' && !wasOpen) void get().loadSnapshot()
        wasOpen = status === 'open'
      })
      if (wasOpen) void get().loadSnapshot()
      return () => {
        offUpdate()
        offStatus()
      }
    },

    async loadSnapshot() {
      const result = await client.call('panel.snapshot', {})
      if (!result.ok) {
        set({ connection: { ...get().connection, error: result.error } })
        return
      }
      const s: PanelSnapshot = result.value
      set({
        snapshotLoaded: true,
        connection: { ...get().connection, error: null },
        live: applyLive(get().live, s),
        samples: mergePerProcess({}, s.samples, s.atMs, MAX_SAMPLES_PER_PROCESS),
        exits: mergePerProcess({}, s.exits, s.atMs, MAX_EXITS_PER_PROCESS),
        incidents: s.incidents.slice(-MAX_INCIDENTS)
      })
    },

    applyUpdate(update) {
      const state = get()
      const { lastSeq, missedUpdates } = state.connection
      const missed = lastSeq > 0 && update.seq > lastSeq + 1 ? update.seq - lastSeq - 1 : 0
      const dlqChanged = state.live.dlqCounts !== null && JSON.stringify(state.live.dlqCounts) !== JSON.stringify(update.dlqCounts)
      set({
        connection: { ...state.connection, lastSeq: update.seq, missedUpdates: missedUpdates + missed },
        live: applyLive(state.live, update),
        samples: mergePerProcess(state.samples, update.samples, update.atMs, MAX_SAMPLES_PER_PROCESS),
        exits: mergePerProcess(state.exits, update.exits, update.atMs, MAX_EXITS_PER_PROCESS),
        incidents: update.incidents.length ? [...state.incidents, ...update.incidents].slice(-MAX_INCIDENTS) : state.incidents
      })
      if (dlqChanged && state.view === 'dlq' && state.dlq.page) {
        void get().loadDlqPage(state.dlq.cursor, true)
        void get().loadGroups()
      }
    },

    async testRoute(request, execute) {
      const run = get().routing.run + 1
      set({ routing: { ...get().routing, run, pending: true, error: null } })
      const result = await client.call('route.test', { request, execute })
      // A later call supersedes this one: its answer is the one to show.
      if (get().routing.run !== run) return
      set({ routing: result.ok ? { pending: false, run, result: result.value, error: null } : { pending: false, run, result: null, error: result.error } })
    },

    async restartInstance(instanceId) {
      const result = await client.call('plugins.restart', { instanceId })
      set({ opsNotice: result.ok ? { kind: 'ok', text: `Restart of ${instanceId} requested` } : { kind: 'error', text: describeError(result.error) } })
    },

    async resetBreaker(platform, reason) {
      const result = await client.call('breakers.reset', { platform, reason })
      set({ opsNotice: result.ok ? { kind: 'ok', text: `${platform} breaker reset (${reason})` } : { kind: 'error', text: describeError(result.error) } })
    },

    async forceOpenBreaker(platform, reason) {
      const result = await client.call('breakers.forceOpen', { platform, reason })
      set({ opsNotice: result.ok ? { kind: 'ok', text: `${platform} breaker forced open (${reason})` } : { kind: 'error', text: describeError(result.error) } })
    }
  }))
}
