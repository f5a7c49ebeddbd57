/**
 * Test doubles for the router and plugin manager: an in-process `SandboxRunner` that loads the real plugin
 * modules and behaves as the interface documents (results are data, `timeoutMs` honoured with the plugin's
 * signal aborted, unknown instance → throw, `exit` events), a plain platform directory, and an in-memory
 * dead-letter sink. The fake counts every call that reaches a plugin.
 */
import { EventEmitter } from 'node:events'
import { pathToFileURL } from 'node:url'
import { entryIdOf, type DeadLetterInput, type DeadLetterSink } from '../../../../src/main/conductor/dlq/dead-letter-port.ts'
import type { PlatformDirectory, PlatformInstanceView } from '../../../../src/main/conductor/routing/platform-directory.ts'
import type { ExecuteOptions, SandboxInstanceInfo, SandboxRunner, SandboxRunnerEvents, StartOptions } from '../../../../src/main/conductor/sandbox/runner-api.ts'
import type { ConductorError } from '../../../../src/shared/errors.ts'
import type { PluginRequest } from '../../../../src/shared/request.ts'
import type { Result } from '../../../../src/shared/result.ts'
import type { SandboxExit, SandboxResult } from '../../../../src/shared/sandbox.ts'

interface PluginModule {
  initialize?: (config: unknown) => unknown
  handleRequest: (request: PluginRequest, ctx: unknown) => unknown
  healthCheck?: () => unknown
  shutdown?: () => unknown
}

interface FakeInstance {
  info: SandboxInstanceInfo
  module: PluginModule
}

let loadCounter = 0

function common(instanceId: string, durationMs: number) {
  return { instanceId, stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, exitCode: null, signal: null, durationMs, peakRssBytes: 0, cpuMs: 0 }
}

export class FakeRunner extends EventEmitter<SandboxRunnerEvents> implements SandboxRunner {
  /** Requests that reached a plugin's `handleRequest`, in total and per instance. */
  calls = 0
  readonly callsByInstance = new Map<string, number>()
  readonly live = new Map<string, FakeInstance>()
  /** Start attempts per instance id (restarts included). */
  readonly starts = new Map<string, number>()
  /** The deadline each `execute` was given, in call order. */
  readonly timeouts: number[] = []
  private readonly starting = new Set<string>()

  async start(modulePath: string, instanceId: string, options: StartOptions = {}): Promise<Result<SandboxInstanceInfo, ConductorError>> {
    this.starts.set(instanceId, (this.starts.get(instanceId) ?? 0) + 1)
    // As the real runner: a second start of an id that is running or still starting is the caller's misuse.
    if (this.live.has(instanceId) || this.starting.has(instanceId)) throw new Error(`instance ${instanceId} already running`)
    this.starting.add(instanceId)
    let module: PluginModule
    try {
      // A fresh module instance per sandbox, as separate processes would have.
      module = (await import(`${pathToFileURL(modulePath).href}?instance=${instanceId}&load=${++loadCounter}`)) as PluginModule
      await module.initialize?.(options.pluginConfig ?? {})
    } catch (cause) {
      return { ok: false, error: { code: 'PLUGIN_CRASHED', message: `plugin failed to load: ${(cause as Error).message}`, instanceId, exitCode: 1, signal: null } }
    } finally {
      this.starting.delete(instanceId)
    }
    const info: SandboxInstanceInfo = {
      instanceId,
      modulePath,
      pid: 4242,
      state: 'ready',
      startedAtMs: Date.now(),
      inFlight: 0,
      limits: { memoryMb: options.limits?.memoryMb ?? 512, timeoutMs: options.limits?.timeoutMs ?? 30_000, outputBytes: 65_536 },
      isolation: []
    }
    this.live.set(instanceId, { info, module })
    this.emit('state', { instanceId, state: 'ready', atMs: Date.now() })
    return { ok: true, value: info }
  }

  async execute(instanceId: string, request: PluginRequest, options: ExecuteOptions = {}): Promise<SandboxResult> {
    const instance = this.live.get(instanceId)
    if (instance === undefined) throw new Error(`unknown instance ${instanceId}`)
    this.calls++
    this.callsByInstance.set(instanceId, (this.callsByInstance.get(instanceId) ?? 0) + 1)
    const timeoutMs = options.timeoutMs ?? instance.info.limits.timeoutMs
    this.timeouts.push(timeoutMs)
    const started = Date.now()
    const cancel = new AbortController()
    instance.info.inFlight++
    let timer: NodeJS.Timeout | undefined
    const expired = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs)
      options.signal?.addEventListener('abort', () => resolve('timeout'), { once: true })
    })
    const ctx = { instanceId, requestId: request.id, deadlineMs: started + timeoutMs, signal: cancel.signal }
    const work = (async () => instance.module.handleRequest(request, ctx))().then(
      (output) => ({ output }),
      (error: unknown) => ({ error: error as Error })
    )
    try {
      const outcome = await Promise.race([work, expired])
      const base = common(instanceId, Date.now() - started)
      if (outcome === 'timeout') {
        cancel.abort(new Error('deadline'))
        return { status: 'timeout', error: { message: `request exceeded ${timeoutMs} ms` }, timeoutMs, ...base }
      }
      if ('error' in outcome) return { status: 'error', error: { message: outcome.error.message }, ...base }
      return { status: 'ok', output: JSON.parse(JSON.stringify(outcome.output ?? null)) as unknown, ...base }
    } finally {
      clearTimeout(timer)
      instance.info.inFlight--
    }
  }

  async healthCheck(instanceId: string): Promise<SandboxResult> {
    const instance = this.live.get(instanceId)
    if (instance === undefined) throw new Error(`unknown instance ${instanceId}`)
    const output = (await instance.module.healthCheck?.()) ?? { healthy: true }
    return { status: 'ok', output, ...common(instanceId, 0) }
  }

  async stop(instanceId: string): Promise<void> {
    const instance = this.live.get(instanceId)
    if (instance === undefined) return
    this.live.delete(instanceId)
    await instance.module.shutdown?.()
    this.emitExit(instanceId, 'stopped', 'stopped by host')
  }

  /** Test hook: the sandbox process dies on its own. */
  crash(instanceId: string, detail = 'exited with code 3'): void {
    if (!this.live.delete(instanceId)) throw new Error(`unknown instance ${instanceId}`)
    this.emitExit(instanceId, 'crashed', detail)
  }

  async executeRequest(): Promise<SandboxResult> {
    return { status: 'error', error: { message: 'not supported by the fake' }, ...common('adhoc', 0) }
  }

  instances(): SandboxInstanceInfo[] {
    return [...this.live.values()].map((i) => i.info)
  }

  samples() {
    return []
  }

  async capabilities() {
    return []
  }

  async close(): Promise<void> {
    for (const id of [...this.live.keys()]) await this.stop(id)
  }

  private emitExit(instanceId: string, reason: SandboxExit['reason'], detail: string): void {
    this.emit('exit', { instanceId, pid: 4242, atMs: Date.now(), reason, detail, exitCode: reason === 'crashed' ? 3 : 0, signal: null })
  }
}

/** A directory whose instance states tests set directly. */
export class FakeDirectory implements PlatformDirectory {
  readonly platforms = new Map<string, PlatformInstanceView[]>()

  constructor(layout: Record<string, string[]> = {}) {
    for (const [platform, ids] of Object.entries(layout)) this.platforms.set(platform, ids.map((instanceId) => ({ instanceId, state: 'ready', healthy: true })))
  }

  instancesOf(platform: string): readonly PlatformInstanceView[] | undefined {
    return this.platforms.get(platform)
  }

  listPlatforms(): string[] {
    return [...this.platforms.keys()]
  }

  set(instanceId: string, change: Partial<PlatformInstanceView>): void {
    for (const list of this.platforms.values()) {
      const found = list.find((i) => i.instanceId === instanceId)
      if (found !== undefined) Object.assign(found, change)
    }
  }
}

/** In-memory dead-letter sink, idempotent per entry id (the request id unless the router names one) like the real one. */
export class MemorySink implements DeadLetterSink {
  readonly entries = new Map<string, DeadLetterInput & { id: string }>()
  failWith: ConductorError | null = null

  async enqueue(input: DeadLetterInput): Promise<Result<{ id: string }, ConductorError>> {
    if (this.failWith !== null) return { ok: false, error: this.failWith }
    const key = entryIdOf(input)
    const existing = this.entries.get(key)
    if (existing !== undefined) return { ok: true, value: { id: existing.id } }
    const id = `dlq-${this.entries.size + 1}`
    this.entries.set(key, { ...structuredClone(input), id })
    return { ok: true, value: { id } }
  }
}

/** Starts a fake runner with the given plugin modules, instance ids `<name>-<n>`. */
export async function startFakes(layout: Record<string, { modulePath: string; instances: number }>): Promise<{ runner: FakeRunner; directory: FakeDirectory }> {
  const runner = new FakeRunner()
  const ids: Record<string, string[]> = {}
  for (const [platform, spec] of Object.entries(layout)) {
    ids[platform] = []
    for (let n = 1; n <= spec.instances; n++) {
      const id = `${platform}-${n}`
      const started = await runner.start(spec.modulePath, id)
      if (!started.ok) throw new Error(started.error.message)
      ids[platform].push(id)
    }
  }
  return { runner, directory: new FakeDirectory(ids) }
}
