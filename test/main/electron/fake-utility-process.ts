/**
 * A stand-in for Electron's `UtilityProcess` that behaves as Electron documents it, backed by a real Node
 * child so the sandbox host really runs: `pid` is undefined until `spawn`; an empty `env` inherits the whole
 * parent environment; Node flags in `execArgv` are dropped except `--js-flags=` (handed to V8); `kill()`
 * sends SIGTERM to that pid only and the exit code after a host kill is 0.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { EventEmitter } from 'node:events'
import type { Readable } from 'node:stream'

export interface ForkCall {
  modulePath: string
  args: string[]
  options: { env?: Record<string, string | undefined>; execArgv?: string[]; cwd?: string; stdio?: unknown; serviceName?: string }
  pidAtSpawnEvent: number | undefined
}

export class FakeUtilityProcess extends EventEmitter {
  pid: number | undefined = undefined
  stdout: Readable | null = null
  stderr: Readable | null = null
  private child: ChildProcess | undefined
  private killedByHost = false

  constructor(call: ForkCall) {
    super()
    const env = call.options.env && Object.keys(call.options.env).length > 0 ? call.options.env : { ...process.env }
    // Electron keeps only a small allowlist of execArgv; plain Node flags like --permission vanish.
    const v8Flags = (call.options.execArgv ?? []).filter((flag) => flag.startsWith('--js-flags=')).flatMap((flag) => flag.slice('--js-flags='.length).split(' '))
    setImmediate(() => {
      const child = fork(call.modulePath, call.args, { env, execArgv: v8Flags, cwd: call.options.cwd, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
      this.child = child
      this.stdout = child.stdout
      this.stderr = child.stderr
      child.on('message', (message) => this.emit('message', message))
      child.once('spawn', () => {
        this.pid = child.pid
        call.pidAtSpawnEvent = this.pid
        this.emit('spawn')
      })
      child.once('exit', (code) => {
        this.pid = undefined
        this.emit('exit', this.killedByHost ? 0 : (code ?? 1))
      })
    })
  }

  postMessage(message: unknown): void {
    this.child?.send(message as object)
  }

  kill(): boolean {
    this.killedByHost = true
    return this.child?.kill('SIGTERM') ?? false
  }
}

/** A `utilityProcess.fork` double that records every call. */
export function createFakeFork() {
  const calls: ForkCall[] = []
  const forkFn = (modulePath: string, args: string[] = [], options: ForkCall['options'] = {}) => {
    const call: ForkCall = { modulePath, args, options, pidAtSpawnEvent: undefined }
    calls.push(call)
    return new FakeUtilityProcess(call)
  }
  return { calls, fork: forkFn }
}
