/**
 * Batches engine events into at most one `panel.updated` per tick (1 Hz by default): live metrics, breaker
 * and instance states, DLQ counts and redrive jobs as of the tick, plus the resource samples, exits and
 * incidents since the previous tick. Buffers are bounded so a stalled tick cannot grow memory without limit.
 */
import type { PanelUpdate } from '../../shared/panel.ts'
import type { ResourceSample, SandboxExit } from '../../shared/sandbox.ts'
import type { EngineEvent, EnginePort } from './engine-port.ts'
import type { IncidentLog } from './incident-log.ts'
import type { RedriveCoordinator } from './redrive.ts'
import type { RpcServer } from './rpc-server.ts'

export interface UpdateBatcherOptions {
  engine: EnginePort
  server: RpcServer
  incidents: IncidentLog
  redrive: RedriveCoordinator
  /** Tick period in ms (default 1000). */
  intervalMs?: number
  /** Samples kept between two ticks (default 5000); older ones are dropped first. */
  maxBufferedSamples?: number
  setInterval?: (fn: () => void, ms: number) => unknown
  clearInterval?: (handle: unknown) => void
  /** Where a failing tick is reported (a tick never rejects: it runs from a timer). Defaults to console.error. */
  logError?: (message: string, cause: unknown) => void
}

export class UpdateBatcher {
  readonly #o: UpdateBatcherOptions
  readonly #maxSamples: number
  #samples: ResourceSample[] = []
  #exits: SandboxExit[] = []
  #seq = 0
  #timer: unknown = null
  #ticking: Promise<void> | null = null
  #unsubscribe: (() => void) | null = null

  constructor(options: UpdateBatcherOptions) {
    this.#o = options
    this.#maxSamples = options.maxBufferedSamples ?? 5000
  }

  /** Subscribes to the engine and starts the tick timer. */
  start(): void {
    if (this.#timer !== null) return
    this.#unsubscribe = this.#o.engine.subscribe((event) => this.#onEvent(event))
    const set = this.#o.setInterval ?? ((fn, ms) => setInterval(fn, ms))
    this.#timer = set(() => void this.tick(), this.#o.intervalMs ?? 1000)
  }

  stop(): void {
    if (this.#timer !== null) (this.#o.clearInterval ?? ((h) => clearInterval(h as ReturnType<typeof setInterval>)))(this.#timer)
    this.#timer = null
    this.#unsubscribe?.()
    this.#unsubscribe = null
  }

  #onEvent(event: EngineEvent): void {
    this.#o.incidents.record(event)
    if (event.type === 'sample') {
      this.#samples.push(event.sample)
      if (this.#samples.length > this.#maxSamples) this.#samples.splice(0, this.#samples.length - this.#maxSamples)
    } else if (event.type === 'exit') {
      this.#exits.push(event.exit)
      if (this.#exits.length > 1000) this.#exits.shift()
    }
  }

  /**
   * Runs one tick: steps redrive jobs, then publishes one update. A tick that starts while the previous one
   * is still running is skipped, so there is never more than one update per period. Resolves when done.
   */
  tick(): Promise<void> {
    if (this.#ticking) return this.#ticking
    this.#ticking = this.#run()
      .catch((cause: unknown) => this.#logError('conductor panel: update tick failed', cause))
      .finally(() => {
        this.#ticking = null
      })
    return this.#ticking
  }

  /**
   * Publishes an update now, after the one in progress if any (that one may predate the caller's change):
   * an operator's action shows in counts and states at once instead of at the next tick.
   */
  refresh(): Promise<void> {
    const running = this.#ticking
    return running ? running.then(() => this.tick()) : this.tick()
  }

  #logError(message: string, cause: unknown): void {
    ;(this.#o.logError ?? ((m, c) => console.error(m, c)))(message, cause)
  }

  async #run(): Promise<void> {
    try {
      await this.#o.redrive.step()
    } catch (cause) {
      // E.g. the redrive file cannot be written: the panel still gets its update (the jobs show as of now).
      this.#logError('conductor panel: redrive step failed', cause)
    }
    const update: PanelUpdate = {
      seq: ++this.#seq,
      atMs: this.#o.engine.now(),
      ...this.#o.engine.live(),
      jobs: this.#o.redrive.jobs(),
      samples: this.#samples,
      exits: this.#exits,
      incidents: this.#o.incidents.drainFresh()
    }
    this.#samples = []
    this.#exits = []
    this.#o.server.publish('panel.updated', update)
  }
}
