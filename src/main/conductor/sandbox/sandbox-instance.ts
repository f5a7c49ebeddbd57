/**
 * One live sandbox: a child process speaking the protocol, its in-flight requests with their own deadlines,
 * its resource monitor, scratch dir and isolation report. Turns every way a child can fail (limit, deadline,
 * crash, garbage on the channel) into a result status and one `SandboxExit`; never throws for the plugin.
 */
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { ConductorError } from '../../../shared/errors.ts'
import type { Result } from '../../../shared/result.ts'
import { err, ok } from '../../../shared/result.ts'
import type {
  InstanceState,
  IsolationLayer,
  SandboxErrorInfo,
  SandboxExit,
  SandboxLimits,
  SandboxPolicy,
  SandboxResult
} from '../../../shared/sandbox.ts'
import { BoundedTail } from './bounded-text.ts'
import { buildIsolationReport, missingRequiredLayers } from './isolation-report.ts'
import type { ProcessHandle, ProcessHost } from './process-host.ts'
import { asWireMessage, ChildMessageSchema, createBatcher, unbatch, type ChildMessage, type HostMessage, type RequestMessage, type SelfTest } from './protocol.ts'
import { classifyExit, failureResult, startFailure, type ExitReason, type HostKill } from './outcomes.ts'
import { ResourceMonitor, type TreeSample } from './resource-monitor.ts'
import type { HostScript } from './host-script.ts'
import { scratchShapeFor, spawnSpecFor } from './spawn-spec.ts'

export interface InstanceOptions {
  instanceId: string
  /** Absolute plugin module path, or null for an ad-hoc code sandbox. */
  modulePath: string | null
  limits: SandboxLimits
  policy: SandboxPolicy
  pluginConfig?: unknown
  /** Capability probe only: a port the host listens on, for the self-test to try. */
  probePort?: number
  host: ProcessHost
  hostScript: HostScript
  killGraceMs: number
  cancelGraceMs: number
  maxMessageBytes: number
  busySampleMs: number
  sampleIntervalMs: number
  now: () => number
  onState: (state: InstanceState) => void
  onSample: (sample: TreeSample & { pid: number }) => void
  onExit: (exit: SandboxExit) => void
}

type Outcome = ExitReason

interface Pending {
  id: string
  timeoutMs: number
  startedAt: number
  peakRssBytes: number
  cpuAtStartMs: number
  timer: ReturnType<typeof setTimeout>
  resolve: (result: SandboxResult) => void
  onAbort?: () => void
  signal?: AbortSignal
}

const STDERR_TAIL_CHARS = 4096

export class SandboxInstance {
  readonly options: InstanceOptions
  readonly startedAtMs: number
  state: InstanceState = 'starting'
  isolation: IsolationLayer[] = []
  private handle: ProcessHandle | undefined
  /** Sends to the child, coalescing messages of one microtask drain into one IPC write. */
  private post: (message: HostMessage) => void = () => {}
  private scratchDir = ''
  private readonly pending = new Map<string, Pending>()
  private readonly cancelTimers = new Map<string, ReturnType<typeof setTimeout>>()
  private readonly rawStdout: BoundedTail
  private readonly rawStderr: BoundedTail
  private monitor: ResourceMonitor | undefined
  private nextId = 0
  private kill: HostKill | undefined
  private readyWaiter: ((message: Extract<ChildMessage, { t: 'ready' }> | { exited: string }) => void) | undefined
  private exitInfo: SandboxExit | undefined
  private readonly exited: Promise<void>
  private markExited!: () => void

  constructor(options: InstanceOptions) {
    this.options = options
    this.startedAtMs = options.now()
    this.rawStdout = new BoundedTail(options.limits.outputBytes)
    this.rawStderr = new BoundedTail(options.limits.outputBytes)
    this.exited = new Promise((resolve) => (this.markExited = resolve))
  }

  get pid(): number | null {
    return this.handle?.pid ?? null
  }

  get inFlight(): number {
    return this.pending.size
  }

  get exit(): SandboxExit | undefined {
    return this.exitInfo
  }

  /** What the child wrote straight to its stdout/stderr pipes (bounded tails), e.g. for an ad-hoc result. */
  rawOutput(): { stdout: string; stderr: string; stdoutTruncated: boolean; stderrTruncated: boolean } {
    return {
      stdout: this.rawStdout.text(),
      stderr: this.rawStderr.text(),
      stdoutTruncated: this.rawStdout.truncated,
      stderrTruncated: this.rawStderr.truncated
    }
  }

  /** Host pids of this sandbox's live tree (for tests and the panel). */
  treePids(): number[] {
    return this.handle?.treePids() ?? []
  }

  private setState(state: InstanceState): void {
    this.state = state
    this.options.onState(state)
  }

  async start(): Promise<Result<SelfTest, ConductorError>> {
    const o = this.options
    this.setState('starting')
    // A scratch dir the host prepared ahead (a launcher with this sandbox's private root already mounted), or
    // a fresh one; either way it is this instance's, removed when it ends.
    const shape = scratchShapeFor({ modulePath: o.modulePath, policy: o.policy, hostScript: o.hostScript })
    this.scratchDir = (await o.host.claimScratch?.(shape).catch(() => null)) ?? mkdtempSync(join(tmpdir(), 'conductor-scratch-'))
    // Self-test probes: a symlink in scratch to a path the policy denies (the permission model does not follow
    // links), and a path outside scratch that node:sqlite must fail to create.
    const probeReadPath = '/etc/passwd'
    const probeLinkPath = join(this.scratchDir, '.conductor-probe-link')
    const probeWritePath = join(dirname(this.scratchDir), `conductor-write-probe-${process.pid}-${o.instanceId.replace(/\W/g, '_')}`)
    symlinkSync(probeReadPath, probeLinkPath)
    const spec = spawnSpecFor({ instanceId: o.instanceId, modulePath: o.modulePath, policy: o.policy, hostScript: o.hostScript, scratchDir: this.scratchDir, memoryMb: o.limits.memoryMb, maxMessageBytes: o.maxMessageBytes })
    try {
      this.handle = await o.host.spawn(spec)
    } catch (cause) {
      this.cleanup()
      this.finishExit({ reason: 'crashed', detail: `could not launch: ${(cause as Error).message}`, exitCode: null, signal: null })
      return err({ code: 'PLUGIN_CRASHED', message: `sandbox could not be launched: ${(cause as Error).message}`, instanceId: o.instanceId, exitCode: null, signal: null })
    }
    const handle = this.handle
    this.post = createBatcher((messages) => handle.send(asWireMessage(messages)))
    handle.stdout?.on('data', (chunk: Buffer) => this.rawStdout.push(chunk))
    handle.stderr?.on('data', (chunk: Buffer) => this.rawStderr.push(chunk))
    handle.onMessage((raw) => this.onMessage(raw))
    handle.onProtocolError((why) => void this.terminate('protocol', `sandbox broke the channel framing: ${why}`, 0))
    handle.onExit((info) => this.onProcessExit(info.exitCode, info.signal, info.oomKilled))

    const ready = new Promise<Extract<ChildMessage, { t: 'ready' }> | { exited: string }>((resolve) => (this.readyWaiter = resolve))
    // Stopped or terminated while the process was being launched: end it now (its exit settles `ready`).
    if (this.kill) void handle.kill(0)
    const startTimer = setTimeout(() => this.terminate('timeout', `not ready within ${o.limits.timeoutMs} ms`, 0), o.limits.timeoutMs)
    this.post({
      t: 'init',
      instanceId: o.instanceId,
      modulePath: o.modulePath,
      pluginConfig: o.pluginConfig,
      outputBytes: o.limits.outputBytes,
      probeReadPath,
      probeWritePath,
      probeLinkPath,
      hostPid: process.pid,
      maxMessageBytes: o.maxMessageBytes,
      ...(o.probePort === undefined ? {} : { probePort: o.probePort }),
      grants: { network: o.policy.networkHosts.length > 0, childProcesses: o.policy.childProcesses, workers: o.policy.workers }
    })
    const message = await ready
    clearTimeout(startTimer)
    rmSync(probeLinkPath, { force: true })
    // Where only the permission model stands, node:sqlite really creates the probe file: note it, remove it.
    const writeProbeLeaked = existsSync(probeWritePath)
    if (writeProbeLeaked) rmSync(probeWritePath, { force: true })
    if ('exited' in message) {
      return err(
        startFailure({
          detail: message.exited,
          exit: this.exitInfo,
          instanceId: o.instanceId,
          memoryMb: o.limits.memoryMb,
          timeoutMs: o.limits.timeoutMs,
          stderrTail: this.rawStderr.tail(STDERR_TAIL_CHARS)
        })
      )
    }
    if (this.kill) {
      // Stopped or terminated after the launch but before it was ready: it is on its way out, not ready.
      await this.exited
      const { detail } = this.kill
      return err(startFailure({ detail, exit: this.exitInfo, instanceId: o.instanceId, memoryMb: o.limits.memoryMb, timeoutMs: o.limits.timeoutMs, stderrTail: this.rawStderr.tail(STDERR_TAIL_CHARS) }))
    }
    this.isolation = buildIsolationReport({
      hostKind: o.host.kind,
      pid: handle.pid ?? -1,
      verified: handle.verify(),
      selfTest: message.selfTest,
      probeReadPath,
      probeReadExistsOnHost: existsSync(probeReadPath),
      writeProbeLeaked,
      policy: o.policy,
      limits: o.limits,
      envKeys: [...Object.keys(spec.env), ...(o.host.addedEnvKeys ?? [])],
      busySampleMs: o.busySampleMs,
      killGraceMs: o.killGraceMs
    })
    if (message.initError) {
      await this.terminate('crashed', `plugin failed to initialise: ${message.initError.message}`, o.killGraceMs)
      const denied = message.initError.code === 'ERR_ACCESS_DENIED'
      return err(
        denied
          ? { code: 'DENIED', message: `plugin initialisation was denied: ${message.initError.message}` }
          : { code: 'PLUGIN_ERROR', message: `plugin failed to initialise: ${message.initError.message}`, instanceId: o.instanceId, ...(message.initError.stack ? { stack: message.initError.stack } : {}) }
      )
    }
    const missing = missingRequiredLayers(this.isolation, o.policy)
    if (missing.length > 0) {
      const why = missing.map((layer) => `${layer.layer} (${layer.evidence})`).join('; ')
      await this.terminate('killed', `policy requires isolation this host could not verify: ${why}`, o.killGraceMs)
      return err({ code: 'DENIED', message: `refused to run: policy requires isolation this host could not verify: ${why}` })
    }
    this.monitor = new ResourceMonitor({
      busyIntervalMs: o.busySampleMs,
      sampleIntervalMs: o.sampleIntervalMs,
      limitBytes: o.limits.memoryMb * 1024 * 1024,
      isBusy: () => this.pending.size > 0,
      pids: () => this.handle?.treePids() ?? [],
      now: o.now,
      onSample: (sample) => {
        for (const request of this.pending.values()) request.peakRssBytes = Math.max(request.peakRssBytes, sample.rssBytes)
        o.onSample({ ...sample, pid: this.pid ?? -1 })
      },
      onOverLimit: (sample) => {
        const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)
        void this.terminate('memory_limit', `exceeded ${o.limits.memoryMb} MiB RSS (${mb(sample.rssBytes)} MiB sampled)`, 0)
      }
    })
    this.monitor.start()
    this.setState('ready')
    return ok(message.selfTest)
  }

  /** Runs one request. Resolves with the outcome; never rejects for the plugin's fault. */
  run(kind: RequestMessage['kind'], input: unknown, code: string | undefined, timeoutMs: number, signal?: AbortSignal): Promise<SandboxResult> {
    const id = `r${++this.nextId}`
    const startedAt = performance.now()
    return new Promise<SandboxResult>((resolve) => {
      if (this.state !== 'ready') {
        resolve(this.failure('crashed', { message: `instance is ${this.state}` }, 0, startedAt))
        return
      }
      const request: Pending = {
        id,
        timeoutMs,
        startedAt,
        peakRssBytes: this.monitor?.last?.rssBytes ?? 0,
        cpuAtStartMs: this.monitor?.last?.cpuMs ?? 0,
        timer: setTimeout(() => this.onDeadline(id, `deadline of ${timeoutMs} ms passed`), timeoutMs),
        resolve
      }
      if (signal) {
        if (signal.aborted) {
          clearTimeout(request.timer)
          resolve(this.failure('timeout', { message: `cancelled by the caller: ${String(signal.reason)}` }, timeoutMs, startedAt))
          return
        }
        request.signal = signal
        request.onAbort = () => this.onDeadline(id, `cancelled by the caller: ${String(signal.reason)}`)
        signal.addEventListener('abort', request.onAbort, { once: true })
      }
      const wasIdle = this.pending.size === 0
      this.pending.set(id, request)
      if (wasIdle) this.monitor?.wake()
      this.post({ t: 'req', id, kind, input, code, deadlineMs: Date.now() + timeoutMs })
    })
  }

  private settle(id: string): Pending | undefined {
    const request = this.pending.get(id)
    if (!request) return undefined
    this.pending.delete(id)
    clearTimeout(request.timer)
    if (request.onAbort) request.signal?.removeEventListener('abort', request.onAbort)
    return request
  }

  private onDeadline(id: string, why: string): void {
    const request = this.settle(id)
    if (!request) return
    request.resolve(this.failure('timeout', { message: `request ${why}` }, request.timeoutMs, request.startedAt, request))
    if (this.options.modulePath === null) {
      // An ad-hoc sandbox serves one request: nothing to keep alive.
      void this.terminate('timeout', `request ${why}`, this.options.killGraceMs)
      return
    }
    // Ask the child to cancel; a child whose event loop does not answer within the grace is stuck: kill it.
    this.post({ t: 'cancel', id })
    this.cancelTimers.set(
      id,
      setTimeout(() => {
        this.cancelTimers.delete(id)
        void this.terminate('timeout', `request ${id} passed its deadline and the event loop did not answer a cancel within ${this.options.cancelGraceMs} ms`, this.options.killGraceMs)
      }, this.options.cancelGraceMs)
    )
  }

  private onMessage(raw: unknown): void {
    const parts = unbatch(raw)
    if (!Array.isArray(parts)) return this.protocolViolation(raw)
    for (const part of parts) {
      if (this.exitInfo || this.kill?.reason === 'protocol') return
      const parsed = ChildMessageSchema.safeParse(part)
      if (!parsed.success) return this.protocolViolation(part)
      this.dispatch(parsed.data)
    }
  }

  private protocolViolation(raw: unknown): void {
    const preview = JSON.stringify(raw)?.slice(0, 120) ?? String(raw)
    void this.terminate('protocol', `sandbox sent a message that does not match the protocol: ${preview}`, 0)
  }

  private dispatch(message: ChildMessage): void {
    switch (message.t) {
      case 'ready':
        this.readyWaiter?.(message)
        this.readyWaiter = undefined
        break
      case 'cancelled': {
        const timer = this.cancelTimers.get(message.id)
        if (timer) clearTimeout(timer)
        this.cancelTimers.delete(message.id)
        break
      }
      case 'res': {
        const request = this.settle(message.id)
        if (!request) return // already answered (deadline passed): a late result is dropped
        const common = { ...this.base(request.startedAt, request), exitCode: null, signal: null }
        const captured = {
          stdout: message.stdout,
          stderr: message.stderr,
          stdoutTruncated: message.stdoutTruncated,
          stderrTruncated: message.stderrTruncated,
          cpuMs: message.cpuMs
        }
        if (!message.error) request.resolve({ status: 'ok', output: message.output, ...common, ...captured })
        else request.resolve({ status: message.error.code === 'ERR_ACCESS_DENIED' ? 'denied' : 'error', error: message.error, ...common, ...captured })
        break
      }
      case 'bye':
        break
    }
  }

  private base(startedAt: number, request?: Pending, peakOverall = false) {
    const last = this.monitor?.last
    const peak = Math.max(request?.peakRssBytes ?? 0, last?.rssBytes ?? 0, peakOverall ? (this.monitor?.peakRssBytes ?? 0) : 0)
    return {
      instanceId: this.options.instanceId,
      durationMs: performance.now() - startedAt,
      peakRssBytes: peak,
      cpuMs: Math.max(0, (last?.cpuMs ?? 0) - (request?.cpuAtStartMs ?? 0))
    }
  }

  private failure(
    status: 'timeout' | 'memory_limit' | 'crashed',
    error: SandboxErrorInfo,
    timeoutMs: number,
    startedAt: number,
    request?: Pending
  ): SandboxResult {
    return failureResult({
      status,
      error,
      base: this.base(startedAt, request, status === 'memory_limit'),
      timeoutMs,
      limitBytes: this.options.limits.memoryMb * 1024 * 1024,
      exit: this.exitInfo,
      stderrTail: this.rawStderr.tail(STDERR_TAIL_CHARS),
      stderrTruncated: this.rawStderr.truncated,
      killedBecause: this.kill?.detail
    })
  }

  /** Kills the tree for `reason`; every in-flight request gets that outcome. Resolves after the exit. */
  async terminate(reason: Outcome, detail: string, graceMs: number): Promise<void> {
    if (this.exitInfo) return this.exited
    this.kill ??= { reason, detail }
    if (this.state !== 'stopped') this.setState('down')
    this.monitor?.stop()
    // Still launching: `start` kills the process as soon as it exists.
    if (!this.handle) return this.exited
    await this.handle.kill(graceMs)
    return this.exited
  }

  /** Graceful stop: plugin `shutdown()`, then the process; killed if it does not leave within the grace. */
  async stop(graceMs: number): Promise<void> {
    if (this.exitInfo) return this.exited
    this.kill ??= { reason: 'stopped', detail: 'stopped by the host' }
    this.setState('stopped')
    this.monitor?.stop()
    // Still launching: `start` kills the process as soon as it exists.
    if (!this.handle) return this.exited
    this.post({ t: 'shutdown' })
    const timer = setTimeout(() => void this.handle?.kill(this.options.killGraceMs), graceMs)
    await this.exited
    clearTimeout(timer)
  }

  private onProcessExit(exitCode: number | null, signal: string | null, oomKilled: boolean): void {
    this.monitor?.stop()
    const { reason, detail } = classifyExit({ kill: this.kill, oomKilled, stderr: this.rawStderr.text(), memoryMb: this.options.limits.memoryMb, exitCode, signal })
    this.finishExit({ reason, detail, exitCode, signal })
    const status = reason === 'memory_limit' ? 'memory_limit' : reason === 'timeout' ? 'timeout' : 'crashed'
    for (const id of [...this.pending.keys()]) {
      const request = this.settle(id)!
      request.resolve(this.failure(status, { message: detail }, request.timeoutMs, request.startedAt, request))
    }
    for (const timer of this.cancelTimers.values()) clearTimeout(timer)
    this.cancelTimers.clear()
    this.readyWaiter?.({ exited: detail })
    this.readyWaiter = undefined
    if (this.state !== 'stopped') this.setState('down')
    this.cleanup()
  }

  private finishExit(exit: { reason: Outcome; detail: string; exitCode: number | null; signal: string | null }): void {
    this.exitInfo = { instanceId: this.options.instanceId, pid: this.pid, atMs: this.options.now(), ...exit }
    this.options.onExit(this.exitInfo)
    this.markExited()
  }

  private cleanup(): void {
    if (this.scratchDir) rmSync(this.scratchDir, { recursive: true, force: true })
  }
}
