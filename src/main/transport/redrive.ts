/**
 * Redrives the panel starts on top of the engine's plain DLQ operations, stepped once per update tick:
 * - canary: retry a few entries of an error group first; retry the rest only if every canary resolved,
 *   abort (and say why) as soon as one fails again;
 * - when-healthy: wait until the platform's breaker is closed, then retry in batches that double each tick
 *   (1, 2, 4 …), and pause while the breaker is not closed.
 * Both act on exactly the set of entries that matched when the job started.
 * With a state store (redrive-file-store.ts), jobs are written whenever they change and read back on start, so
 * a restart resumes them; without one they live in memory and say so (`survivesRestart: false`).
 */
import type { ConductorError } from '../../shared/errors.ts'
import type { DlqFilter } from '../../shared/dlq.ts'
import type { RedriveJob } from '../../shared/panel.ts'
import { err, ok, type Result } from '../../shared/result.ts'
import type { EnginePort } from './engine-port.ts'

const retryable: NonNullable<DlqFilter['states']> = ['pending', 'dead']
const maxSetSize = 5000
/** Finished jobs kept (and shown) besides every active one. */
const keptFinished = 20

/** Keeps the serialised jobs across restarts (see createRedriveFileStore). */
export interface RedriveStateStore {
  /** Where, in words (a file path), for messages. */
  where: string
  /** The last written text, or null when nothing was written yet. */
  read(): string | null
  /** Replaces the stored text as a whole. */
  write(text: string): void
  /** Keeps unreadable state aside for a person to look at. */
  moveAside(): void
}

export interface RedriveOptions {
  /** Absent = memory only. */
  store?: RedriveStateStore
}

interface SavedJob {
  view: RedriveJob
  remaining: string[]
  canaries: [string, number][]
  batch: number
}

interface SavedState {
  v: 1
  nextId: number
  jobs: SavedJob[]
}

const finished = (job: { view: RedriveJob }): boolean => job.view.status === 'done' || job.view.status === 'aborted'

interface JobState {
  view: RedriveJob
  remaining: string[]
  /** Canary ids with the attempt-log length when they were retried. */
  canaries: Map<string, number>
  batch: number
}

export class RedriveCoordinator {
  readonly #engine: EnginePort
  readonly #jobs = new Map<string, JobState>()
  readonly #store: RedriveStateStore | undefined
  #nextId = 1
  #saved = ''
  /** Why the saved jobs could not be read back, if so; the store then keeps the unreadable state aside. */
  loadProblem: string | null = null

  constructor(engine: EnginePort, options: RedriveOptions = {}) {
    this.#engine = engine
    this.#store = options.store
    if (this.#store) this.#load(this.#store)
  }

  #load(store: RedriveStateStore): void {
    try {
      const text = store.read()
      if (text === null) return
      const state = JSON.parse(text) as SavedState
      if (state.v !== 1 || !Array.isArray(state.jobs)) throw new Error(`unknown format ${String(state.v)}`)
      this.#nextId = state.nextId
      for (const saved of state.jobs) {
        const view = { ...saved.view, survivesRestart: true }
        if (!finished(saved)) view.detail = `resumed after a restart; ${view.detail}`
        this.#jobs.set(view.jobId, { view, remaining: saved.remaining, canaries: new Map(saved.canaries), batch: saved.batch })
      }
    } catch (cause) {
      // A damaged file must not stop the panel: keep it aside for a person to look at, and start empty.
      this.loadProblem = `could not read ${store.where}: ${cause instanceof Error ? cause.message : String(cause)}`
      store.moveAside()
    }
  }

  /** Writes the jobs when they changed since the last write. */
  #save(): void {
    if (!this.#store) return
    const all = [...this.#jobs.values()]
    const done = all.filter(finished)
    for (const old of done.slice(0, Math.max(0, done.length - keptFinished))) this.#jobs.delete(old.view.jobId)
    const state: SavedState = {
      v: 1,
      nextId: this.#nextId,
      jobs: [...this.#jobs.values()].map((job) => ({ view: job.view, remaining: job.remaining, canaries: [...job.canaries], batch: job.batch }))
    }
    const text = JSON.stringify(state)
    if (text === this.#saved) return
    this.#store.write(text)
    this.#saved = text
  }

  jobs(): RedriveJob[] {
    return [...this.#jobs.values()].map((job) => ({ ...job.view }))
  }

  async #matching(filter: DlqFilter): Promise<Result<string[], ConductorError>> {
    const ids: string[] = []
    let cursor: string | undefined
    while (ids.length < maxSetSize) {
      const page = await this.#engine.dlq.list(cursor === undefined ? { filter, limit: 200 } : { filter, limit: 200, cursor })
      if (!page.ok) return page
      ids.push(...page.value.entries.map((entry) => entry.id))
      if (page.value.nextCursor === null || page.value.entries.length === 0) break
      cursor = page.value.nextCursor
    }
    return ok(ids)
  }

  #create(kind: RedriveJob['kind'], platform: string | null, signature: string | null, ids: string[]): JobState {
    const view: RedriveJob = {
      jobId: `redrive-${this.#nextId++}`,
      kind,
      platform,
      signature,
      status: 'waiting',
      detail: `${ids.length} entries matched`,
      total: ids.length,
      retried: 0,
      createdAtMs: this.#engine.now(),
      // Without a store the job is held in this process only; the panel says so next to it.
      survivesRestart: this.#store !== undefined
    }
    const job: JobState = { view, remaining: ids, canaries: new Map(), batch: 1 }
    this.#jobs.set(view.jobId, job)
    return job
  }

  async startCanary(signature: string, canaryCount: number): Promise<Result<RedriveJob, ConductorError>> {
    const ids = await this.#matching({ signature, states: retryable })
    if (!ids.ok) return ids
    if (ids.value.length === 0) return err({ code: 'NOT_FOUND', message: 'no retryable entries in this group', id: signature })
    const job = this.#create('canary', null, signature, ids.value)
    const canaryIds = job.remaining.splice(0, canaryCount)
    for (const id of canaryIds) {
      const detail = await this.#engine.dlq.get(id)
      job.canaries.set(id, detail.ok ? detail.value.attempts.length : 0)
    }
    const retried = await this.#engine.dlq.retry(canaryIds)
    if (!retried.ok) return retried
    job.view.retried += retried.value.done.length
    job.view.status = 'canary'
    job.view.detail = `retrying ${canaryIds.length} canar${canaryIds.length === 1 ? 'y' : 'ies'} first`
    this.#save()
    return ok({ ...job.view })
  }

  async startWhenHealthy(platform: string, signature?: string): Promise<Result<RedriveJob, ConductorError>> {
    const filter: DlqFilter = signature ? { platforms: [platform], signature, states: retryable } : { platforms: [platform], states: retryable }
    const ids = await this.#matching(filter)
    if (!ids.ok) return ids
    const job = this.#create('when-healthy', platform, signature ?? null, ids.value)
    job.view.detail = `waiting for the ${platform} breaker to close (${ids.value.length} entries)`
    await this.step()
    return ok({ ...job.view })
  }

  /** Advances every active job by one tick. */
  async step(): Promise<void> {
    for (const job of this.#jobs.values()) {
      if (job.view.status === 'done' || job.view.status === 'aborted') continue
      if (job.view.kind === 'canary') await this.#stepCanary(job)
      else await this.#stepWhenHealthy(job)
    }
    this.#save()
  }

  async #stepCanary(job: JobState): Promise<void> {
    if (job.view.status !== 'canary') return
    let pending = 0
    for (const [id, logLength] of job.canaries) {
      const detail = await this.#engine.dlq.get(id)
      if (!detail.ok) continue
      const { entry, attempts } = detail.value
      if (entry.state === 'resolved') continue
      const failed = attempts.slice(logLength).find((attempt) => attempt.outcome === 'failed' || attempt.outcome === 'invalid')
      if (failed || entry.state === 'dead') {
        job.view.status = 'aborted'
        const why = failed?.error?.message ?? entry.deadReason ?? entry.lastError?.message ?? 'failed'
        job.view.detail = `canary ${id} failed again: ${why}; ${job.remaining.length} left untouched`
        return
      }
      pending++
    }
    if (pending > 0) return
    const rest = job.remaining.splice(0)
    if (rest.length > 0) {
      const retried = await this.#engine.dlq.retry(rest)
      if (retried.ok) job.view.retried += retried.value.done.length
    }
    job.view.status = 'done'
    job.view.detail = `canaries resolved; retried ${rest.length} more`
  }

  async #stepWhenHealthy(job: JobState): Promise<void> {
    const breaker = this.#engine.live().router.platforms.find((p) => p.platform === job.view.platform)?.breaker
    const healthy = !breaker || breaker.state === 'closed'
    if (!healthy) {
      if (job.view.status === 'running') {
        job.view.status = 'paused'
        job.view.detail = `paused: breaker ${breaker.state}${breaker.lastFailure ? ` (${breaker.lastFailure.cause})` : ''}`
        job.batch = 1
      }
      return
    }
    const batch = job.remaining.splice(0, job.batch)
    job.batch = Math.min(job.batch * 2, 64)
    if (batch.length > 0) {
      const retried = await this.#engine.dlq.retry(batch)
      if (retried.ok) job.view.retried += retried.value.done.length
    }
    if (job.remaining.length === 0) {
      job.view.status = 'done'
      job.view.detail = `retried ${job.view.retried} of ${job.view.total}`
    } else {
      job.view.status = 'running'
      job.view.detail = `ramping up: ${job.view.retried} of ${job.view.total} retried`
    }
  }
}
