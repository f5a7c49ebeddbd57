/** Shared test doubles for the DLQ: a controllable clock, scripted replayers, temp dirs, inputs. */
import { mkdtempSync, rmSync } from 'node:fs'
import { Registry } from 'prom-client'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach } from 'vitest'
import type { DeadLetterInput, ReplayOutcome, RequestReplayer } from '../../../../src/main/conductor/dlq/dead-letter-port.ts'
import { DlqConfigSchema, type DlqConfigInput } from '../../../../src/main/conductor/dlq/dlq-config.ts'
import { DeadLetterQueue, type DeadLetterQueueOptions } from '../../../../src/main/conductor/dlq/dead-letter-queue.ts'
import type { DlqClock } from '../../../../src/main/conductor/dlq/retry-scheduler.ts'
import type { DlqEventMap, DlqEventName } from '../../../../src/shared/dlq.ts'

/** A clock whose time moves only when the test says so; timers fire in due order during `advance`. */
export class FakeClock implements DlqClock {
  nowMs: number
  #timers = new Map<number, { atMs: number; fn: () => void }>()
  #next = 1

  constructor(startMs = 1_700_000_000_000) {
    this.nowMs = startMs
  }

  now(): number {
    return this.nowMs
  }

  setTimer(fn: () => void, delayMs: number): unknown {
    const handle = this.#next++
    this.#timers.set(handle, { atMs: this.nowMs + delayMs, fn })
    return handle
  }

  clearTimer(handle: unknown): void {
    this.#timers.delete(handle as number)
  }

  get pendingTimers(): number {
    return this.#timers.size
  }

  /** Moves time forward to `nowMs + ms`, firing every timer due on the way (in order). */
  advance(ms: number): void {
    const target = this.nowMs + ms
    for (;;) {
      const due = [...this.#timers.entries()].filter(([, t]) => t.atMs <= target).sort((a, b) => a[1].atMs - b[1].atMs)[0]
      if (due === undefined) break
      this.#timers.delete(due[0])
      this.nowMs = Math.max(this.nowMs, due[1].atMs)
      due[1].fn()
    }
    this.nowMs = target
  }
}

/** A replayer answering from a script (last answer repeats); records every request it saw. */
export class ScriptedReplayer implements RequestReplayer {
  readonly seen: Array<Record<string, unknown>> = []
  #script: Array<(request: Record<string, unknown>) => ReplayOutcome>

  constructor(...script: Array<ReplayOutcome | ((request: Record<string, unknown>) => ReplayOutcome)>) {
    this.#script = script.map((s) => (typeof s === 'function' ? s : () => s))
  }

  async replay(request: Record<string, unknown>): Promise<ReplayOutcome> {
    this.seen.push(request)
    const step = this.#script.length > 1 ? this.#script.shift() : this.#script[0]
    if (step === undefined) throw new Error('replayer has no script')
    return step(request)
  }
}

export const failed = (message = 'plugin timed out after 5000ms', atMs = 0): ReplayOutcome => ({
  kind: 'failed',
  attempt: { atMs, durationMs: 5, platform: 'discord', instanceId: 'i-1', error: { code: 'PLUGIN_TIMEOUT', message, timeoutMs: 5000 } }
})
export const delivered: ReplayOutcome = { kind: 'delivered', response: { ok: true }, attempt: null }
export const deferred = (retryAtMs: number | null = null): ReplayOutcome => ({ kind: 'deferred', reason: 'breaker open', retryAtMs })
export const invalid: ReplayOutcome = {
  kind: 'invalid',
  error: { code: 'ROUTE_NOT_FOUND', message: 'platform discord is no longer installed', platform: 'discord' }
}

export function input(id: string, overrides: { platform?: string; message?: string; atMs?: number; content?: string } = {}): DeadLetterInput {
  const platform = overrides.platform ?? 'discord'
  return {
    request: { id, type: 'message', content: overrides.content ?? `hello from ${id}`, metadata: { user: 'u1' } },
    route: { platform, ruleId: 'rule-1' },
    attempts: [
      {
        atMs: overrides.atMs ?? 1_700_000_000_000,
        durationMs: 12,
        platform,
        instanceId: 'i-1',
        error: { code: 'PLUGIN_ERROR', message: overrides.message ?? `send failed for user 42 (req ${id})` }
      }
    ]
  }
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'dlq-test-'))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Registers a fresh temp dir per test (removed after it); `path` is a database file in it. */
export function databasePerTest(): { readonly dir: string; readonly path: string } {
  let temp: ReturnType<typeof tempDir> | undefined
  const current = { dir: '', path: '' }
  beforeEach(() => {
    temp = tempDir()
    current.dir = temp.dir
    current.path = join(temp.dir, 'dlq.sqlite')
  })
  afterEach(() => temp?.cleanup())
  return current
}

export function openQueue(
  path: string,
  options: Partial<Omit<DeadLetterQueueOptions, 'config'>> & { config?: DlqConfigInput } = {}
): DeadLetterQueue {
  const opened = DeadLetterQueue.open({
    replayer: options.replayer ?? new ScriptedReplayer(delivered),
    metricsRegistry: new Registry(),
    ...options,
    config: DlqConfigSchema.parse(options.config ?? {}),
    path
  })
  if (!opened.ok) throw new Error(`open failed: ${opened.error.message}`)
  return opened.value
}

/** Resolves with the next `name` event matching `predicate`. */
export function nextEvent<K extends DlqEventName>(
  queue: DeadLetterQueue,
  name: K,
  predicate: (payload: DlqEventMap[K]) => boolean = () => true
): Promise<DlqEventMap[K]> {
  return new Promise((resolve) => {
    const listener = (payload: DlqEventMap[K]): void => {
      if (!predicate(payload)) return
      ;(queue.off as (n: K, l: typeof listener) => void)(name, listener)
      resolve(payload)
    }
    ;(queue.on as (n: K, l: typeof listener) => void)(name, listener)
  })
}

/** A replayer that holds every replay until the test releases it (oldest first); counts replays in flight. */
export class HeldReplayer implements RequestReplayer {
  readonly release: Array<(outcome: ReplayOutcome) => void> = []
  inFlight = 0
  peak = 0

  replay(): Promise<ReplayOutcome> {
    this.inFlight++
    this.peak = Math.max(this.peak, this.inFlight)
    return new Promise((resolve) =>
      this.release.push((outcome) => {
        this.inFlight--
        resolve(outcome)
      })
    )
  }
}
