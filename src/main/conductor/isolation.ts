/**
 * `IsolatedPluginRunner`: runs platform plugins in separate, limited processes (see
 * shared/research/ISOLATION.md). Composed from `sandbox/*`: a `ProcessHost` launches children (hardened by
 * default; Electron's utility host when injected), a `SandboxInstance` owns one child, and this class keeps
 * the instances, the sample ring buffer, host selection by policy, and metrics.
 */
import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { createServer, type AddressInfo } from 'node:net'
import { basename, dirname, isAbsolute } from 'node:path'
import type { ConductorError } from '../../shared/errors.ts'
import type { SpareLauncher } from '../../shared/panel.ts'
import { PluginRequestSchema, type PluginRequest } from '../../shared/request.ts'
import type { Result } from '../../shared/result.ts'
import { err, ok } from '../../shared/result.ts'
import {
  SandboxLimitsOverrideSchema,
  SandboxPolicySchema,
  type IsolationLayer,
  type ResourceSample,
  type SandboxLimits,
  type SandboxLimitsOverride,
  type SandboxPolicy,
  type SandboxResult
} from '../../shared/sandbox.ts'
import { isolationMetrics } from './metrics.ts'
import { HardenedProcessHost } from './sandbox/hardened-host.ts'
import { resolveHostScript, type HostScript } from './sandbox/host-script.ts'
import type { ProcessHost } from './sandbox/process-host.ts'
import { treeRssBytes } from './sandbox/proc-tree.ts'
import type { ExecuteOptions, SandboxInstanceInfo, SandboxRunner, SandboxRunnerEvents, StartOptions } from './sandbox/runner-api.ts'
import { SandboxConfigSchema, type SandboxConfig, type SandboxConfigInput } from './sandbox/sandbox-config.ts'
import { SandboxInstance } from './sandbox/sandbox-instance.ts'

function looksLikeRequest(value: unknown): value is PluginRequest {
  const r = value as PluginRequest | null
  return (
    typeof r === 'object' && r !== null && typeof r.id === 'string' && typeof r.type === 'string' &&
    typeof r.content === 'string' && typeof r.metadata === 'object' && r.metadata !== null && !Array.isArray(r.metadata)
  )
}

/** Concatenates two captures, keeping at most `capBytes` (the head). */
function joinCapped(first: string, second: string, capBytes: number): { text: string; truncated: boolean } {
  const all = first + second
  if (Buffer.byteLength(all) <= capBytes) return { text: all, truncated: false }
  return { text: Buffer.from(all).subarray(0, capBytes).toString('utf8'), truncated: true }
}

export interface IsolatedPluginRunnerOptions {
  /** The hardened host (default: a plain Node child of `process.execPath`). */
  hardenedHost?: ProcessHost
  /** Electron's utility host, injected by the Electron composition root. */
  utilityHost?: ProcessHost
  /** Wall clock for samples and exits (epoch ms). */
  now?: () => number
}

interface Entry {
  instance: SandboxInstance
  modulePath: string
  plugin: string
}

export class IsolatedPluginRunner extends EventEmitter<SandboxRunnerEvents> implements SandboxRunner {
  readonly config: SandboxConfig
  private readonly hardened: ProcessHost
  private readonly utility: ProcessHost | undefined
  private readonly now: () => number
  private readonly entries = new Map<string, Entry>()
  private readonly ring = new Map<string, ResourceSample[]>()
  private hostScript: HostScript | undefined
  /** Starts still choosing their host (no instance yet); `stop`/`close` cancel them. */
  private readonly launching = new Map<string, { cancelled: boolean }>()
  private closed = false
  private probedCapabilities: Promise<IsolationLayer[]> | undefined

  constructor(config: SandboxConfigInput = {}, options: IsolatedPluginRunnerOptions = {}) {
    super()
    this.config = SandboxConfigSchema.parse(config)
    this.hardened = options.hardenedHost ?? new HardenedProcessHost({ ...(this.config.nodePath === undefined ? {} : { nodePath: this.config.nodePath }), useMountNamespace: this.config.mountNamespace, landlock: this.config.landlock, spareLaunchers: this.config.spareLaunchers })
    this.utility = options.utilityHost
    this.now = options.now ?? Date.now
  }

  private limits(override: SandboxLimitsOverride | undefined): SandboxLimits {
    const parsed = SandboxLimitsOverrideSchema.safeParse(override ?? {})
    if (!parsed.success) throw new TypeError(`invalid sandbox limits: ${parsed.error.message}`)
    const { memoryMb, timeoutMs, outputBytes } = this.config
    return { memoryMb, timeoutMs, outputBytes, ...parsed.data }
  }

  /** Picks the host for a policy; a policy the preferred host cannot enforce is moved or refused. */
  private async chooseHost(policy: SandboxPolicy): Promise<Result<ProcessHost, ConductorError>> {
    if (this.config.host !== 'utility' || !this.utility) return ok(this.hardened)
    const caps = await this.utility.capabilities()
    const lacking = [
      ...(policy.networkHosts.length === 0 && !caps.network ? ['network: none'] : []),
      ...(!policy.unrestrictedFilesystem && !caps.filesystem ? ['filesystem: own folder + scratch'] : []),
      ...((!policy.childProcesses || !policy.workers) && !caps.processes ? ['no child processes/workers'] : [])
    ]
    if (lacking.length === 0) return ok(this.utility)
    if (this.config.onUnenforceablePolicy === 'use-hardened') return ok(this.hardened)
    return err({ code: 'DENIED', message: `refused: the utility host cannot enforce ${lacking.join(', ')} (onUnenforceablePolicy = refuse)` })
  }

  private createInstance(
    instanceId: string,
    modulePath: string | null,
    limits: SandboxLimits,
    policy: SandboxPolicy,
    host: ProcessHost,
    pluginConfig: unknown,
    probe?: { port: number }
  ): SandboxInstance {
    this.hostScript ??= resolveHostScript(this.config.hostScriptPath)
    // The capability probe sandbox is internal: its state changes, samples and exit are not published.
    const quiet = probe !== undefined
    return new SandboxInstance({
      instanceId,
      modulePath,
      limits,
      policy,
      pluginConfig,
      ...(probe ? { probePort: probe.port } : {}),
      host,
      hostScript: this.hostScript,
      killGraceMs: this.config.killGraceMs,
      cancelGraceMs: this.config.cancelGraceMs,
      maxMessageBytes: this.config.maxMessageBytes,
      busySampleMs: this.config.busySampleMs,
      sampleIntervalMs: this.config.sampleIntervalMs,
      now: this.now,
      onState: (state) => quiet || this.emit('state', { instanceId, state, atMs: this.now() }),
      onSample: (sample) => quiet || this.pushSample({ instanceId, pid: sample.pid, atMs: sample.atMs, cpuPercent: sample.cpuPercent, rssBytes: sample.rssBytes }),
      onExit: (exit) => quiet || this.emit('exit', exit)
    })
  }

  private pushSample(sample: ResourceSample): void {
    let buffer = this.ring.get(sample.instanceId)
    if (!buffer) this.ring.set(sample.instanceId, (buffer = []))
    buffer.push(sample)
    if (buffer.length > this.config.sampleBufferSize) buffer.splice(0, buffer.length - this.config.sampleBufferSize)
    this.emit('sample', sample)
  }

  async start(modulePath: string, instanceId: string, options: StartOptions = {}): Promise<Result<SandboxInstanceInfo, ConductorError>> {
    if (!isAbsolute(modulePath)) throw new TypeError(`modulePath must be absolute: ${modulePath}`)
    if (!instanceId) throw new TypeError('instanceId must not be empty')
    const existing = this.entries.get(instanceId)
    if ((existing && existing.instance.state !== 'down' && existing.instance.state !== 'stopped') || this.launching.has(instanceId)) {
      // Also while a start of it is still choosing its host: two starts would both launch, and the first
      // sandbox, replaced in the table, would run on with nothing to stop it.
      throw new Error(`instance ${instanceId} is already running`)
    }
    const limits = this.limits(options.limits)
    const policy = SandboxPolicySchema.parse(options.policy ?? {})
    const launch = { cancelled: this.closed }
    this.launching.set(instanceId, launch)
    let host: Result<ProcessHost, ConductorError>
    try {
      host = await this.chooseHost(policy)
    } finally {
      if (this.launching.get(instanceId) === launch) this.launching.delete(instanceId)
    }
    if (!host.ok) return host
    if (launch.cancelled || this.closed) {
      const why = this.closed ? 'the runner is closed' : 'it was stopped while starting'
      return err({ code: 'PLUGIN_CRASHED', message: `sandbox ${instanceId} not started: ${why}`, instanceId, exitCode: null, signal: null })
    }
    const instance = this.createInstance(instanceId, modulePath, limits, policy, host.value, options.pluginConfig)
    this.entries.set(instanceId, { instance, modulePath, plugin: basename(dirname(modulePath)) })
    const started = await instance.start()
    if (!started.ok) return started
    return ok(this.info(instanceId)!)
  }

  private entry(instanceId: string): Entry {
    const entry = this.entries.get(instanceId)
    if (!entry) throw new Error(`unknown sandbox instance: ${instanceId}`)
    return entry
  }

  private record(plugin: string, result: SandboxResult): SandboxResult {
    isolationMetrics.record({ plugin, outcome: result.status, durationMs: result.durationMs, peakRssBytes: result.peakRssBytes })
    return result
  }

  async execute(instanceId: string, request: PluginRequest, options: ExecuteOptions = {}): Promise<SandboxResult> {
    const entry = this.entry(instanceId)
    // A cheap shape check on the hot path; the full schema only runs to explain a misuse.
    if (!looksLikeRequest(request)) {
      const parsed = PluginRequestSchema.safeParse(request)
      throw new TypeError(`invalid plugin request: ${parsed.success ? 'unexpected shape' : parsed.error.message}`)
    }
    const timeoutMs = options.timeoutMs ?? entry.instance.options.limits.timeoutMs
    const result = await entry.instance.run('handle', request, undefined, timeoutMs, options.signal)
    return this.record(entry.plugin, result)
  }

  async healthCheck(instanceId: string, options: ExecuteOptions = {}): Promise<SandboxResult> {
    const entry = this.entry(instanceId)
    return entry.instance.run('health', undefined, undefined, options.timeoutMs ?? entry.instance.options.limits.timeoutMs, options.signal)
  }

  async stop(instanceId: string): Promise<void> {
    const launch = this.launching.get(instanceId)
    if (launch) launch.cancelled = true
    const entry = this.entries.get(instanceId)
    if (!entry) return
    await entry.instance.stop(this.config.killGraceMs)
    this.entries.delete(instanceId)
  }

  async executeRequest(code: string, payload: unknown, limits?: SandboxLimitsOverride): Promise<SandboxResult> {
    if (typeof code !== 'string') throw new TypeError('code must be a string')
    const resolved = this.limits(limits)
    const policy = SandboxPolicySchema.parse({})
    const instanceId = `adhoc-${randomUUID()}`
    if (this.closed) {
      const error = { message: 'sandbox not started: the runner is closed' }
      return { status: 'crashed', error, instanceId, stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, exitCode: null, signal: null, durationMs: 0, peakRssBytes: 0, cpuMs: 0, killedBecause: error.message }
    }
    const instance = this.createInstance(instanceId, null, resolved, policy, this.hardened, undefined)
    const startedAt = performance.now()
    // Registered before it starts, so that close() ends it whether it is starting or running.
    this.entries.set(instanceId, { instance, modulePath: '(code)', plugin: 'adhoc' })
    const started = await instance.start()
    if (!started.ok) {
      this.entries.delete(instanceId)
      const e = started.error
      const exit = instance.exit
      const common = {
        instanceId,
        stdout: '',
        stderr: e.code === 'PLUGIN_CRASHED' ? (e.stderrTail ?? '') : '',
        stdoutTruncated: false,
        stderrTruncated: false,
        exitCode: exit?.exitCode ?? null,
        signal: exit?.signal ?? null,
        durationMs: performance.now() - startedAt,
        peakRssBytes: 0,
        cpuMs: 0,
        killedBecause: exit?.detail ?? e.message
      }
      const error = { message: e.message }
      if (e.code === 'PLUGIN_MEMORY') return this.record('adhoc', { status: 'memory_limit', error, limitBytes: e.limitBytes, ...common })
      if (e.code === 'PLUGIN_TIMEOUT') return this.record('adhoc', { status: 'timeout', error, timeoutMs: e.timeoutMs, ...common })
      if (e.code === 'DENIED') return this.record('adhoc', { status: 'denied', error, ...common })
      return this.record('adhoc', { status: 'crashed', error, ...common })
    }
    const result = await instance.run('eval', payload, code, resolved.timeoutMs)
    await instance.stop(this.config.killGraceMs)
    this.entries.delete(instanceId)
    this.ring.delete(instanceId)
    // The sandbox is gone, so its pipes are drained: add what it wrote to them outside `console.*`.
    const raw = instance.rawOutput()
    const fromConsole = result.status === 'ok' || result.status === 'error' || result.status === 'denied'
    const stdout = joinCapped(fromConsole ? result.stdout : '', raw.stdout, resolved.outputBytes)
    const stderr = joinCapped(fromConsole ? result.stderr : '', raw.stderr, resolved.outputBytes)
    return this.record('adhoc', {
      ...result,
      stdout: stdout.text,
      stderr: stderr.text,
      stdoutTruncated: result.stdoutTruncated || raw.stdoutTruncated || stdout.truncated,
      stderrTruncated: result.stderrTruncated || raw.stderrTruncated || stderr.truncated
    })
  }

  private info(instanceId: string): SandboxInstanceInfo | undefined {
    const entry = this.entries.get(instanceId)
    if (!entry) return undefined
    const { instance } = entry
    return {
      instanceId,
      modulePath: entry.modulePath,
      pid: instance.pid,
      state: instance.state,
      startedAtMs: instance.startedAtMs,
      inFlight: instance.inFlight,
      limits: { ...instance.options.limits },
      isolation: instance.isolation
    }
  }

  instances(): SandboxInstanceInfo[] {
    return [...this.entries.keys()].map((id) => this.info(id)!).filter((info) => info !== undefined)
  }

  /** The launchers the hardened host keeps started ahead of time, with what each holds in memory now. */
  spareLaunchers(): SpareLauncher[] {
    return (this.hardened.spareLaunchers?.() ?? []).map((spare) => ({
      pid: spare.pid ?? null,
      kind: spare.landlock ? 'landlock' : spare.rooted ? 'rooted' : 'chain',
      rssBytes: spare.pid === undefined ? null : treeRssBytes(spare.pid)
    }))
  }

  /** Host pids of an instance's live process tree (the panel and the no-orphan checks use it). */
  treePids(instanceId: string): number[] {
    return this.entry(instanceId).instance.treePids()
  }

  samples(instanceId?: string): ResourceSample[] {
    if (instanceId !== undefined) return [...(this.ring.get(instanceId) ?? [])]
    return [...this.ring.values()].flat().sort((a, b) => a.atMs - b.atMs)
  }

  /**
   * What a plugin with the default policy gets on this machine, from evidence: one probe sandbox is started
   * (once per runner) and its isolation report returned, with the network layer also checked against a TCP
   * listener of the host's own that must see no connection. Falls back to the host's static probe results
   * when the probe sandbox cannot start.
   */
  capabilities(): Promise<IsolationLayer[]> {
    this.probedCapabilities ??= this.probeCapabilities()
    return this.probedCapabilities
  }

  private async probeCapabilities(): Promise<IsolationLayer[]> {
    const policy = SandboxPolicySchema.parse({})
    const chosen = await this.chooseHost(policy)
    const host = chosen.ok ? chosen.value : this.utility ?? this.hardened
    const caps = await host.capabilities()
    if (!chosen.ok) return [{ layer: 'process', status: 'unavailable', mechanism: `${host.kind} host`, evidence: chosen.error.message }, ...caps.layers]
    let connections = 0
    const server = createServer((socket) => {
      connections++
      socket.destroy()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port
    const instance = this.createInstance(`probe-${randomUUID()}`, null, this.limits(undefined), policy, host, undefined, { port })
    try {
      const started = await instance.start()
      if (!started.ok) return [{ layer: 'process', status: 'unavailable', mechanism: `${host.kind} host`, evidence: `probe sandbox failed: ${started.error.message}` }, ...caps.layers]
      await instance.stop(this.config.killGraceMs)
      return instance.isolation.map((layer) => {
        if (layer.layer !== 'network') return layer
        const evidence = `${layer.evidence}; host listener on 127.0.0.1:${port} saw ${connections} connection(s)`
        return connections === 0 ? { ...layer, evidence } : { ...layer, status: 'unavailable' as const, evidence }
      })
    } finally {
      await instance.terminate('stopped', 'capability probe done', 0)
      server.close()
    }
  }

  /** Stops every sandbox, those still starting included; later starts are refused. */
  async close(): Promise<void> {
    this.closed = true
    for (const launch of this.launching.values()) launch.cancelled = true
    await Promise.all([...this.entries.keys()].map((id) => this.stop(id)))
    await Promise.all([this.hardened.close?.(), this.utility?.close?.()])
  }
}
