/**
 * Raw process baselines measured in the same run as a bench, so results are ratios on this machine right now:
 * a bare `node -e 0` spawn, and a bare `child_process.fork` IPC ping-pong. Shared with the router bench.
 */
import { fork, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The child host as it ships: the self-contained bundle `npm run build` writes (the bench script builds first). */
export function shippedChildHost(): string | null {
  const file = join(import.meta.dirname, '../../out/main/sandbox-host.mjs')
  if (existsSync(file)) return file
  console.log(`  (shipped child skipped: ${file} is missing; run \`npm run build\` first)`)
  return null
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Wall time of one `node -e 0` spawn until it exits, in ms. */
export async function rawSpawnOnceMs(nodePath = process.execPath): Promise<number> {
  const started = performance.now()
  await new Promise<void>((resolve, reject) => {
    const child = spawn(nodePath, ['-e', '0'], { stdio: 'ignore', env: { PATH: '/usr/bin:/bin' } })
    child.once('error', reject)
    child.once('exit', () => resolve())
  })
  return performance.now() - started
}

/** Median wall time of spawning `node -e 0` until it exits, in ms. */
export async function measureRawSpawnMs(runs = 15, nodePath = process.execPath): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < runs; i++) times.push(await rawSpawnOnceMs(nodePath))
  return median(times)
}

/** CPU time (µs) per sequential round trip, split by side and by user space vs kernel. */
export interface RoundTripCpu {
  hostUser: number
  hostSys: number
  childUser: number
  childSys: number
}

/** User and system CPU (ms) a process has used so far, from /proc (10 ms ticks: measure long runs). */
export function procCpuMs(pid: number): { user: number; sys: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return { user: Number(fields[11]) * 10, sys: Number(fields[12]) * 10 }
}

/** Runs `work` (count round trips) and returns the CPU per round trip of this process and of `childPid`. */
export async function cpuPerRoundTrip(childPid: number, count: number, work: () => Promise<void>): Promise<RoundTripCpu> {
  const host0 = process.cpuUsage()
  const child0 = procCpuMs(childPid)
  await work()
  const host = process.cpuUsage(host0)
  const child1 = procCpuMs(childPid)
  return {
    hostUser: host.user / count,
    hostSys: host.system / count,
    childUser: ((child1.user - child0.user) * 1000) / count,
    childSys: ((child1.sys - child0.sys) * 1000) / count
  }
}

export interface IpcRoundTrip {
  /** Mean sequential round trip (send, wait for the echo), in µs. */
  roundTripUs: number
  /** Sequential round trips per second. */
  perSecond: number
  /** Messages per second with `window` requests in flight at once. */
  pipelinedPerSecond: number
  /** CPU per sequential round trip, where measured. */
  cpu?: RoundTripCpu
}

/** A message the size and shape of a sandbox request, so the baseline carries what a request carries. */
function payload(n: number): object {
  return { t: 'req', id: `r${n}`, kind: 'handle', input: { id: `r${n}`, type: 'echo', content: 'x', metadata: {} }, deadlineMs: Date.now() + 30_000 }
}

/** A raw fork IPC echo child kept open, so a bench can interleave its ping-pong with what it compares it to. */
export interface RawIpcEcho {
  pid: number
  /** Sends one message; resolves with its echo. */
  echo(message: unknown): Promise<unknown>
  /** `count` sequential round trips (send, wait for the echo); returns the elapsed ms. */
  pingPong(count: number): Promise<number>
  /** `count` messages with `window` in flight at once; returns the elapsed ms. */
  pipelined(count: number, window: number): Promise<number>
  close(): void
}

/** Starts the raw echo child (`process.on('message', (m) => process.send(m))`) and warms it up. */
export async function openRawIpcEcho(): Promise<RawIpcEcho> {
  const dir = mkdtempSync(join(tmpdir(), 'conductor-ipc-baseline-'))
  const script = join(dir, 'echo.mjs')
  writeFileSync(script, "process.on('message', (m) => process.send(m))\n")
  const child = fork(script, [], { stdio: 'ignore' })
  await new Promise<void>((resolve) => child.once('spawn', () => resolve()))
  let sent = 0
  const roundTrip = (message: unknown) =>
    new Promise<unknown>((resolve) => {
      child.once('message', resolve)
      child.send(message as Parameters<typeof child.send>[0])
    })
  const echo: RawIpcEcho = {
    pid: child.pid!,
    echo: roundTrip,
    async pingPong(count) {
      const started = performance.now()
      for (let i = 0; i < count; i++) await roundTrip(payload(sent++))
      return performance.now() - started
    },
    async pipelined(count, window) {
      const started = performance.now()
      await new Promise<void>((resolve) => {
        let out = 0
        let received = 0
        const onMessage = (): void => {
          received++
          if (out < count) {
            out++
            child.send(payload(sent++))
          }
          if (received === count) {
            child.off('message', onMessage)
            resolve()
          }
        }
        child.on('message', onMessage)
        for (; out < Math.min(window, count); out++) child.send(payload(sent++))
      })
      return performance.now() - started
    },
    close() {
      child.kill()
      rmSync(dir, { recursive: true, force: true })
    }
  }
  await echo.pingPong(1000) // warm-up
  return echo
}

/** A raw fork IPC echo of request-sized messages: the floor any request through a child process pays. */
export async function measureRawIpcRoundTrip(messages = 2000, window = 32): Promise<IpcRoundTrip> {
  const echo = await openRawIpcEcho()
  try {
    let sequentialMs = 0
    const cpu = await cpuPerRoundTrip(echo.pid, messages, async () => {
      sequentialMs = await echo.pingPong(messages)
    })
    const pipelinedMs = await echo.pipelined(messages, window)
    return {
      roundTripUs: (sequentialMs * 1000) / messages,
      perSecond: messages / (sequentialMs / 1000),
      pipelinedPerSecond: messages / (pipelinedMs / 1000),
      cpu
    }
  } finally {
    echo.close()
  }
}
