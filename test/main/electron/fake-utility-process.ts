/**
 * A stand-in for Electron's `UtilityProcess` that behaves as Electron documents it, backed by a real Node
 * child so the sandbox host really runs (the real MessagePort is stood in for by the child host's fd-3
 * channel, which it uses whenever `process.parentPort` is absent): `pid` is undefined until `spawn`; an empty `env` inherits the whole
 * parent environment; Node flags in `execArgv` are dropped except `--js-flags=` (handed to V8); `kill()`
 * sends SIGTERM to that pid only and the exit code after a host kill is 0.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { EventEmitter } from 'node:events'
import type { Duplex, Readable } from 'node:stream'
import { encodeFrame, FrameDecoder } from '../../../src/main/conductor/sandbox/framing.ts'

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
  private channel: Duplex | undefined
  private killedByHost = false

  constructor(call: ForkCall) {
    super()
    const env = call.options.env && Object.keys(call.options.env).length > 0 ? call.options.env : { ...process.env }
    // Electron keeps only a small allowlist of execArgv; plain Node flags like --permission vanish.
    const v8Flags = (call.options.execArgv ?? []).filter((flag) => flag.startsWith('--js-flags=')).flatMap((flag) => flag.slice('--js-flags='.length).split(' '))
    setImmediate(() => {
      const child = spawn(process.execPath, [...v8Flags, call.modulePath, ...call.args], { env, cwd: call.options.cwd, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] })
      this.child = child
      this.stdout = child.stdout
      this.stderr = child.stderr
      this.channel = child.stdio[3] as Duplex
      const decoder = new FrameDecoder(Number.MAX_SAFE_INTEGER, (message) => this.emit('message', message), () => child.kill('SIGKILL'))
      this.channel.on('data', (chunk: Buffer) => decoder.push(chunk))
      this.channel.on('error', () => {})
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
    this.channel?.write(encodeFrame(message))
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
