/**
 * The durable dead-letter queue: the router's `DeadLetterSink`, replaying through a `RequestReplayer` (the
 * router, so an open breaker answers `deferred` and no attempt is burnt). Storage is `DlqStore` (SQLite);
 * the rules live in `entry-transitions.ts`; this class wires store, group commit, scheduler, events, metrics.
 *
 * Invariants: `enqueue` resolves only after its own entry is committed; nothing is evicted to make room
 * (full → `DLQ_FULL` + event + metric); reads never change an entry; every operator action is recorded.
 */
import { EventEmitter } from 'node:events'
import type { Registry } from 'prom-client'
import {
  DlqPageRequestSchema,
  type DlqCounts,
  type DlqEntry,
  type DlqEntryDetail,
  type DlqErrorGroup,
  type DlqEventMap,
  type DlqEventName,
  type DlqFilter,
  type DlqOperatorAction,
  type DlqPage,
  type DlqPageRequest,
  type DlqSettings,
  type DlqState
} from '../../../shared/dlq.ts'
import { fieldIssuesOf, toInternalError, type ConductorError } from '../../../shared/errors.ts'
import { err, ok, type Result } from '../../../shared/result.ts'
import { backoffBoundsMs } from './backoff.ts'
import { entryIdOf, type DeadLetterInput, type DeadLetterSink, type ReplayOutcome, type RequestReplayer } from './dead-letter-port.ts'
import type { DlqConfig } from './dlq-config.ts'
import { createDlqMetrics, type DlqMetrics } from './dlq-metrics.ts'
import type { TallyChild } from '../tally-counter.ts'
import type { DlqStore } from './dlq-store.ts'
import { applyReplayOutcome, createEntry, markRetrying, reopenEntry, type TransitionContext } from './entry-transitions.ts'
import { GroupCommitter } from './group-commit.ts'
import { RetryScheduler, systemClock, type DlqClock } from './retry-scheduler.ts'
import { openDlqDatabase } from './sqlite-open.ts'
import { DlqOperations, refusalError, type EntryChange } from './dlq-operations.ts'
import { SqliteDlqStore } from './sqlite-store.ts'

export interface DeadLetterQueueOptions {
  config: DlqConfig
  /** Database file (`:memory:` for a throwaway store); defaults to `config.dbPath`. */
  path?: string
  replayer: RequestReplayer
  clock?: DlqClock
  /** [0, 1) source for backoff jitter. */
  random?: () => number
  metricsRegistry?: Registry
  /** Unexpected failures of the background scheduler (a bug or a broken disk); default logs them. */
  onError?: (cause: unknown) => void
}

type EmitterMap = { [K in DlqEventName]: [DlqEventMap[K]] }
type EnqueueResult = Result<{ id: string }, ConductorError>
/** An enqueue waiting for its group commit, with its request serialised once (by the JSON check). */
interface PendingEnqueue {
  input: DeadLetterInput
  requestJson: string
}
const LIVE: readonly DlqState[] = ['pending', 'retrying', 'dead']
const OUTCOME_WRITE_FIRST_DELAY_MS = 1_000
const OUTCOME_WRITE_MAX_DELAY_MS = 60_000

type Recovery = { reason: string; movedTo: string[] } | null

export class DeadLetterQueue extends EventEmitter<EmitterMap> implements DeadLetterSink {
  readonly #store: DlqStore
  readonly #config: DlqConfig
  readonly #clock: DlqClock
  readonly #random: () => number
  readonly #replayer: RequestReplayer
  readonly #metrics: DlqMetrics
  /** The enqueue counter's `added` child, kept (every batch bumps it). */
  readonly #addedTally: TallyChild
  readonly #scheduler: RetryScheduler<DlqEntry>
  readonly #committer: GroupCommitter<PendingEnqueue, EnqueueResult>
  readonly #counts: Record<DlqState, number>
  readonly #abort = new AbortController()
  readonly #recovered: Recovery
  readonly #onError: (cause: unknown) => void
  /** Operator actions (retry, discard, undo, edit, bulk). */
  readonly operations: DlqOperations
  /** Ids whose replay is running now (a discard does not stop it; see `undoDiscard`). */
  readonly #replaying = new Set<string>()
  /** Timers of replay outcomes waiting to be written again after a failed write. */
  readonly #outcomeWrites = new Set<unknown>()
  #warned = false
  /** Live entries at which `dlq.capacityWarning` fires (the config cannot change under a queue). */
  readonly #warningAt: number
  #closed = false
  #retentionTimer: unknown = null

  /** Opens the store (moving a corrupt file aside; refusing a newer schema). Call `start()` to begin replays. */
  static open(options: DeadLetterQueueOptions): Result<DeadLetterQueue, ConductorError> {
    const clock = options.clock ?? systemClock
    const path = options.path ?? options.config.dbPath
    if (path === null) return err({ code: 'DLQ_UNAVAILABLE', message: 'No DLQ database path configured (dlq.dbPath)' })
    const { walAutocheckpointPages, indexBatch } = options.config.groupCommit
    const opened = openDlqDatabase(path, clock.now(), { walAutocheckpointPages, busyTimeoutMs: options.config.busyTimeoutMs })
    if (!opened.ok) return opened
    const store = new SqliteDlqStore(opened.value.db, { inboxBatch: indexBatch })
    return ok(new DeadLetterQueue(options, store, opened.value.recovered))
  }

  private constructor(options: DeadLetterQueueOptions, store: DlqStore, recovered: Recovery) {
    super()
    this.#store = store
    this.#config = options.config
    this.#clock = options.clock ?? systemClock
    this.#random = options.random ?? Math.random
    this.#replayer = options.replayer
    this.#recovered = recovered
    this.#onError = options.onError ?? ((cause) => console.error('[dlq]', cause))
    this.#counts = store.countsByState()
    this.#metrics = createDlqMetrics(() => this.counts(), options.metricsRegistry)
    this.#addedTally = this.#metrics.enqueued.labels('added')
    this.#warningAt = Math.max(1, Math.floor(options.config.maxEntries * options.config.warnAtFraction))
    this.#committer = new GroupCommitter({
      commit: (inputs) => this.#commitBatch(inputs),
      failed: (cause) => err({ code: 'DLQ_UNAVAILABLE', message: `DLQ write failed: ${toInternalError(cause).message}` }),
      maxBatch: options.config.groupCommit.maxBatch
    })
    this.#scheduler = new RetryScheduler<DlqEntry>({
      clock: this.#clock,
      concurrency: options.config.retryConcurrency,
      nextDueAtMs: () => this.#store.nextDueAtMs(),
      takeDue: (nowMs, limit) => this.#takeDue(nowMs, limit),
      run: (entry) => this.#replay(entry),
      onError: (cause) => this.#onError(cause)
    })
    this.operations = new DlqOperations({
      store,
      config: options.config,
      clock: this.#clock,
      context: () => this.#context(),
      hasRoomFor: (n) => this.#live() + n <= this.#config.maxEntries,
      changed: (changes, actions) => this.#changed(changes, actions),
      capacity: () => this.#config.maxEntries,
      replaying: (id) => this.#replaying.has(id)
    })
  }

  get metricsRegistry(): Registry {
    return this.#metrics.registry
  }

  /**
   * Events report changes already committed. A listener that throws must not turn that commit into an error
   * for the caller (an enqueue answered DLQ_UNAVAILABLE after its entry was stored), nor stop the in-memory
   * counts half-way through a batch, nor keep the other listeners from hearing it: each listener runs on its
   * own and a throw goes to `onError`.
   */
  override emit<K extends DlqEventName>(event: K, ...args: EmitterMap[K]): boolean {
    if (this.listenerCount(event as DlqEventName) === 0) return false
    const listeners = this.rawListeners(event as DlqEventName) as Array<(...a: unknown[]) => unknown>
    for (const listener of listeners) {
      try {
        listener.apply(this, args)
      } catch (cause) {
        this.#onError(new Error(`a ${event} listener threw: ${toInternalError(cause).message}`, { cause }))
      }
    }
    return listeners.length > 0
  }

  /** Set when the database file was unusable at open and moved aside (also sent as `dlq.storeRecovered`). */
  get recovery(): Recovery {
    return this.#recovered
  }

  /** When the single retry timer fires next (null when idle) — for the panel's countdown and for tests. */
  get nextTimerAtMs(): number | null {
    return this.#scheduler.timerAtMs
  }

  /** Reports a recovery, returns replays interrupted by a crash to `pending`, and starts the scheduler. */
  start(): void {
    if (this.#recovered !== null) {
      this.emit('dlq.storeRecovered', { ...this.#recovered, atMs: this.#clock.now() })
    }
    const nowMs = this.#clock.now()
    const interrupted = this.#store.transaction(() =>
      this.#store.inState('retrying').map((entry) => {
        this.#store.appendAttempt(entry.id, {
          atMs: nowMs, durationMs: 0, origin: 'replay', outcome: 'interrupted', round: entry.round, n: null,
          platform: entry.platform, instanceId: null, error: null, note: 'Conductor stopped while this replay was in flight'
        })
        const next: DlqEntry = { ...entry, state: 'pending', nextAttemptAtMs: nowMs, updatedAtMs: nowMs }
        this.#store.update(next)
        return { before: entry.state, entry: next }
      })
    )
    this.#changed(interrupted, [])
    this.#scheduler.start()
    this.#armRetention()
  }

  enqueue(input: DeadLetterInput): Promise<EnqueueResult> {
    if (this.#closed) return Promise.resolve(err({ code: 'DLQ_UNAVAILABLE', message: 'DLQ is closed' }))
    if (typeof input.request?.id !== 'string' || input.request.id === '') {
      return Promise.resolve(err({ code: 'BAD_REQUEST', message: 'request.id is required', issues: [{ path: 'request.id', message: 'required' }] }))
    }
    if (input.entryId !== undefined && (typeof input.entryId !== 'string' || input.entryId === '')) {
      return Promise.resolve(err({ code: 'BAD_REQUEST', message: 'entryId must be a non-empty string', issues: [{ path: 'entryId', message: 'empty' }] }))
    }
    let requestJson: string
    try {
      requestJson = JSON.stringify(input.request)
    } catch (cause) {
      const message = `request is not JSON: ${toInternalError(cause).message}`
      return Promise.resolve(err({ code: 'BAD_REQUEST', message, issues: [{ path: 'request', message }] }))
    }
    return this.#committer.submit({ input, requestJson })
  }

  get(id: string): Result<DlqEntryDetail, ConductorError> {
    const entry = this.#store.get(id)
    if (entry === null) return err(refusalError(id, 'notFound', this.#config.maxEntries))
    return ok({ entry, attempts: this.#store.attempts(id), actions: this.#store.actions(id, 1_000) })
  }

  page(request: DlqPageRequest = {}): Result<DlqPage, ConductorError> {
    const parsed = DlqPageRequestSchema.safeParse(request)
    if (!parsed.success) {
      return err({ code: 'BAD_REQUEST', message: 'Invalid page request', issues: fieldIssuesOf(parsed.error) })
    }
    const { filter, limit, cursor } = parsed.data
    const match = cursor === undefined ? null : /^(-?\d+)\.(\d+)$/.exec(cursor)
    if (cursor !== undefined && match === null) {
      return err({ code: 'BAD_REQUEST', message: 'Invalid cursor', issues: [{ path: 'cursor', message: 'malformed' }] })
    }
    const after = match === null ? null : { lastFailedAtMs: Number(match[1]), seq: Number(match[2]) }
    const asOfMs = this.#clock.now()
    const { entries, total } = this.#store.page({ filter, limit, after })
    const last = entries.length === limit ? entries.at(-1) : undefined
    return ok({
      entries: entries.map(({ seq: _seq, ...entry }) => entry),
      total,
      nextCursor: last === undefined ? null : `${last.lastFailedAtMs}.${last.seq}`,
      asOfMs
    })
  }

  errorGroups(filter: DlqFilter = { states: [...LIVE] }): DlqErrorGroup[] {
    return this.#store.errorGroups(filter)
  }

  actions(entryId: string | null = null, limit = 200): DlqOperatorAction[] {
    return this.#store.actions(entryId, limit)
  }

  counts(): DlqCounts {
    const live = this.#live()
    const capacity = this.#config.maxEntries
    return {
      ...this.#counts,
      live,
      capacity,
      warningAt: this.#warningAt,
      full: live >= capacity
    }
  }

  /** The policy in force, for the panel: caps, retention, and the backoff bounds of each attempt. */
  settings(): DlqSettings {
    const { maxAttempts, backoff, retryConcurrency, retention } = this.#config
    const counts = this.counts()
    const schedule = Array.from({ length: maxAttempts }, (_, i) => ({ attempt: i + 1, ...backoffBoundsMs(backoff, i + 1, null) }))
    return {
      maxAttempts,
      jitter: backoff.jitter,
      schedule,
      capacity: counts.capacity,
      warningAt: counts.warningAt,
      retryConcurrency,
      retention: { resolvedMs: retention.resolvedMs, discardedMs: retention.discardedMs }
    }
  }

  /** Deletes resolved/discarded entries older than the retention policy; no-op when the policy is off. */
  sweepRetention(): string[] {
    const { resolvedMs, discardedMs } = this.#config.retention
    const nowMs = this.#clock.now()
    const removed: Array<{ id: string; state: DlqState }> = this.#store.transaction(() => [
      ...(resolvedMs === null ? [] : this.#store.deleteExpired('resolved', nowMs - resolvedMs).map((id) => ({ id, state: 'resolved' as const }))),
      ...(discardedMs === null ? [] : this.#store.deleteExpired('discarded', nowMs - discardedMs).map((id) => ({ id, state: 'discarded' as const })))
    ])
    for (const { state } of removed) this.#counts[state]--
    if (removed.length > 0) {
      this.emit('dlq.entriesRemoved', { ids: removed.map((r) => r.id), reason: 'retention' })
      this.#afterCountsChanged()
    }
    return removed.map((r) => r.id)
  }

  /**
   * Stops replays (in flight ones are aborted and resume after restart) while still accepting enqueues: a host
   * shutting down calls this before it stops the sandboxes, so their last failures are kept, not replayed.
   */
  stopReplays(): void {
    this.#abort.abort()
    if (this.#retentionTimer !== null) this.#clock.clearTimer(this.#retentionTimer)
    this.#retentionTimer = null
    for (const timer of this.#outcomeWrites) this.#clock.clearTimer(timer)
    this.#outcomeWrites.clear()
    // Not awaited: an aborted replay writes nothing (see #replay), so a replayer that ignores the signal
    // cannot hold the close up. Its entry stays `retrying` and is recorded as interrupted on the next start.
    void this.#scheduler.stop()
  }

  /** Commits what was enqueued, stops replays (see `stopReplays`), closes. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#committer.drained()
    this.stopReplays()
    this.#store.close()
  }

  #live(): number {
    return this.#counts.pending + this.#counts.retrying + this.#counts.dead
  }

  #context(): TransitionContext {
    return { nowMs: this.#clock.now(), config: this.#config, random: this.#random }
  }

  #armRetention(): void {
    const { resolvedMs, discardedMs, sweepIntervalMs } = this.#config.retention
    if (resolvedMs === null && discardedMs === null) return
    this.sweepRetention()
    this.#retentionTimer = this.#clock.setTimer(() => {
      if (!this.#closed) this.#armRetention()
    }, sweepIntervalMs)
  }

  #commitBatch(pending: readonly PendingEnqueue[]): EnqueueResult[] {
    const ctx = this.#context()
    const room = this.#config.maxEntries - this.#live()
    const added: DlqEntry[] = []
    const reopened: Array<{ before: DlqState; entry: DlqEntry }> = []
    const seen = new Set<string>()
    const results = this.#store.transaction(() =>
      pending.map(({ input, requestJson }): EnqueueResult | 'full' => {
        const id = entryIdOf(input)
        if (seen.has(id)) return ok({ id })
        if (this.#store.has(id)) {
          const existing = this.#store.get(id)
          const again = existing === null ? null : reopenEntry(existing, input, ctx)
          if (existing === null || again === null) return ok({ id })
          if (added.length + reopened.length >= room) return 'full'
          seen.add(id)
          this.#store.update(again.entry, true)
          for (const attempt of again.attempts) this.#store.appendAttempt(id, attempt)
          reopened.push({ before: existing.state, entry: again.entry })
          return ok({ id })
        }
        if (added.length + reopened.length >= room) return 'full'
        seen.add(id)
        const { entry, attempts } = createEntry(input, ctx)
        this.#store.insert(entry, attempts, requestJson)
        added.push(entry)
        return ok({ id })
      })
    )
    this.#counts.pending += added.length
    for (const entry of added) this.emit('dlq.entryAdded', { entry })
    this.#addedTally.inc(added.length)
    const out = results.map((result, index): EnqueueResult => {
      if (result !== 'full') return result
      const counts = this.counts()
      const rejectedId = entryIdOf((pending[index] as PendingEnqueue).input)
      this.#metrics.enqueued.labels('full').inc()
      this.emit('dlq.full', { counts, rejectedId })
      return err(refusalError(rejectedId, 'full', counts.capacity))
    })
    if (reopened.length > 0) this.#changed(reopened, [])
    this.#afterCountsChanged()
    let earliest = Infinity
    for (const entry of added) earliest = Math.min(earliest, entry.nextAttemptAtMs ?? Infinity)
    if (Number.isFinite(earliest)) this.#scheduler.pokeAt(earliest)
    return out
  }

  #takeDue(nowMs: number, limit: number): DlqEntry[] {
    if (limit <= 0) return []
    const taken = this.#store.transaction(() =>
      this.#store.due(nowMs, limit).map((entry) => {
        const next = markRetrying(entry, nowMs)
        this.#store.update(next)
        return { before: entry.state, entry: next }
      })
    )
    this.#changed(taken, [])
    return taken.map((t) => t.entry)
  }

  async #replay(entry: DlqEntry): Promise<void> {
    const signal = this.#abort.signal
    const startedAtMs = this.#clock.now()
    let outcome: ReplayOutcome
    this.#replaying.add(entry.id)
    try {
      outcome = await this.#replayer.replay(entry.request, { signal })
    } catch (cause) {
      const error = toInternalError(cause)
      const durationMs = this.#clock.now() - startedAtMs
      outcome = { kind: 'failed', attempt: { atMs: startedAtMs, durationMs, platform: entry.platform, instanceId: null, error } }
    } finally {
      this.#replaying.delete(entry.id)
    }
    // Stopped mid-replay: leave it `retrying`; the next start records it as interrupted without counting it.
    if (signal.aborted) return
    this.#metrics.replays.labels(outcome.kind).inc()
    this.#recordOutcome(entry.id, outcome, startedAtMs, 0)
  }

  /**
   * Writes a replay's outcome. A write that fails (disk full, a write lock held by another process) is
   * reported and tried again with backoff, instead of leaving the entry `retrying` until the next start.
   * Stopping replays gives up: the next start returns the entry to `pending` as interrupted, uncounted.
   */
  #recordOutcome(id: string, outcome: ReplayOutcome, startedAtMs: number, failures: number): void {
    if (this.#abort.signal.aborted) return
    let change: EntryChange | null
    try {
      change = this.#store.transaction(() => {
        const current = this.#store.get(id)
        if (current === null) return null
        const { entry: next, attempt } = applyReplayOutcome(current, outcome, startedAtMs, this.#context())
        this.#store.appendAttempt(id, attempt)
        this.#store.update(next)
        return { before: current.state, entry: next }
      })
    } catch (cause) {
      const delayMs = Math.min(OUTCOME_WRITE_MAX_DELAY_MS, OUTCOME_WRITE_FIRST_DELAY_MS * 2 ** failures)
      this.#onError(new Error(`could not record the replay outcome of ${id} (${toInternalError(cause).message}); trying again in ${delayMs} ms`, { cause }))
      const timer = this.#clock.setTimer(() => {
        this.#outcomeWrites.delete(timer)
        this.#recordOutcome(id, outcome, startedAtMs, failures + 1)
      }, delayMs)
      this.#outcomeWrites.add(timer)
      return
    }
    if (change !== null) this.#changed([change], [])
  }

  /** Applies committed changes to the in-memory counts and tells the world. */
  #changed(changes: ReadonlyArray<{ before: DlqState; entry: DlqEntry }>, actions: readonly DlqOperatorAction[]): void {
    for (const { before, entry } of changes) {
      this.#counts[before]--
      this.#counts[entry.state]++
      this.emit('dlq.entryUpdated', { entry, previousState: before })
    }
    for (const action of actions) this.emit('dlq.actionRecorded', { action })
    this.#afterCountsChanged()
    if (changes.length > 0) this.#scheduler.poke()
  }

  #afterCountsChanged(): void {
    const live = this.#live()
    if (live >= this.#warningAt && !this.#warned) {
      this.#warned = true
      this.emit('dlq.capacityWarning', { counts: this.counts() })
    } else if (live < this.#warningAt) {
      this.#warned = false
    }
  }
}
