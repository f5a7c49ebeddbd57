/**
 * The Electron `utilityProcess` process host: the thin adapter that lets the sandbox engine run a child as an
 * Electron utility process. The only sandbox file that touches electron, and only for types: the composition
 * root passes `utilityProcess.fork` in, so the adapter is testable against a fake.
 *
 * What Electron documents and this adapter accounts for (see shared/research/ISOLATION.md):
 * - `pid` is undefined until `spawn`; `spawn()` here resolves only after it (or after an early exit).
 * - an empty `env` inherits the whole parent environment: the adapter always passes the explicit, non-empty
 *   env the engine built, and refuses an empty one.
 * - plain Node flags in `execArgv` are silently dropped: the heap cap goes through `--js-flags=`.
 * - `kill()` signals that pid only and the exit code afterwards is 0: the adapter kills descendants itself and
 *   reports the signal it sent instead of Electron's 0.
 * It cannot enforce network or filesystem limits, and says so in `capabilities()`.
 */
import type { ForkOptions, UtilityProcess } from 'electron'
import type { IsolationLayer } from '../../shared/sandbox.ts'
import type { ExitInfo, HostCapabilities, ProcessHandle, ProcessHost, SpawnSpec } from '../conductor/sandbox/process-host.ts'
import { heapFlags } from '../conductor/sandbox/heap-flags.ts'
import { killAndReap, refsOf, treeOf, type ProcessRef } from '../conductor/sandbox/proc-tree.ts'

export type UtilityFork = (modulePath: string, args?: string[], options?: ForkOptions) => UtilityProcess

export class UtilityProcessHost implements ProcessHost {
  readonly kind = 'utility' as const
  private readonly fork: UtilityFork

  constructor(fork: UtilityFork) {
    this.fork = fork
  }

  async capabilities(): Promise<HostCapabilities> {
    const layers: IsolationLayer[] = [
      { layer: 'network', status: 'unavailable', mechanism: 'none', evidence: 'utilityProcess has no network restriction (electron.net bypasses namespaces)' },
      { layer: 'filesystem-read', status: 'unavailable', mechanism: 'none', evidence: 'utilityProcess drops --permission / --allow-fs-* from execArgv' },
      { layer: 'signals', status: 'unavailable', mechanism: 'none', evidence: 'no PID namespace for a utility process' },
      { layer: 'cgroup-memory', status: 'unavailable', mechanism: 'none', evidence: 'utility processes are not placed in a per-sandbox cgroup' }
    ]
    return { network: false, filesystem: false, processes: false, layers }
  }

  spawn(spec: SpawnSpec): Promise<ProcessHandle> {
    if (Object.keys(spec.env).length === 0) throw new Error('refusing an empty env: Electron would inherit the whole parent environment')
    const child = this.fork(spec.scriptPath, [], {
      env: { ...spec.env },
      execArgv: [`--js-flags=${heapFlags(spec.memoryMb).join(' ')}`],
      cwd: spec.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      serviceName: `Conductor sandbox ${spec.instanceId}`
    })
    const handle = new UtilityHandle(child)
    return new Promise((resolve) => {
      child.once('spawn', () => resolve(handle))
      handle.onExit(() => resolve(handle))
    })
  }
}

class UtilityHandle implements ProcessHandle {
  private readonly child: UtilityProcess
  private sentSignal: string | null = null
  private exited: ExitInfo | undefined
  private lastPid: number | undefined
  /** The tree as it was when a kill began: what must be gone before the exit is reported. */
  private killed: ProcessRef[] = []
  /** The utility process has exited (its exit is reported once the rest of a killed tree is gone too). */
  private gone = false
  private readonly listeners: ((info: ExitInfo) => void)[] = []

  constructor(child: UtilityProcess) {
    this.child = child
    child.once('spawn', () => (this.lastPid = child.pid))
    child.once('exit', (code: number) => {
      this.gone = true
      // After a host kill Electron reports 0; report the signal we sent, not a clean exit.
      const info: ExitInfo = this.sentSignal ? { exitCode: null, signal: this.sentSignal, oomKilled: false } : { exitCode: code, signal: null, oomKilled: false }
      // Descendants that were signalled with it (a grandchild in its own session) may still be dying.
      void killAndReap(this.killed).then(() => {
        this.exited = info
        for (const listener of this.listeners) listener(info)
      })
    })
  }

  get pid(): number | undefined {
    return this.child.pid ?? this.lastPid
  }

  get stdout(): NodeJS.ReadableStream | null {
    return this.child.stdout
  }

  get stderr(): NodeJS.ReadableStream | null {
    return this.child.stderr
  }

  send(message: unknown): void {
    if (!this.gone) this.child.postMessage(message)
  }

  onMessage(listener: (message: unknown) => void): void {
    this.child.on('message', listener)
  }

  onProtocolError(): void {
    // MessagePort delivers structured-clone values, never unparsed bytes: shape errors surface in onMessage.
  }

  onExit(listener: (info: ExitInfo) => void): void {
    if (this.exited) listener(this.exited)
    else this.listeners.push(listener)
  }

  treePids(): number[] {
    const pid = this.child.pid
    return pid === undefined || this.gone ? [] : treeOf(pid)
  }

  kill(graceMs: number): Promise<void> {
    if (this.exited) return Promise.resolve()
    const done = new Promise<void>((resolve) => this.onExit(() => resolve()))
    if (this.gone) return done
    const tree = this.treePids()
    this.killed = refsOf(tree)
    this.sentSignal = 'SIGTERM'
    this.child.kill()
    for (const pid of tree.slice(1)) signal(pid, 'SIGTERM')
    const timer = setTimeout(() => {
      this.sentSignal = 'SIGKILL'
      for (const pid of [...tree, ...this.treePids()]) signal(pid, 'SIGKILL')
    }, graceMs)
    void done.then(() => clearTimeout(timer))
    return done
  }

  verify(): IsolationLayer[] {
    return []
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {
    // Already gone.
  }
}
