/**
 * The child's self-test, run BEFORE any plugin code is imported: it tries each thing the policy denies and
 * reports the error code it got. The host turns these into isolation evidence (together with what it checks
 * from the outside), so a layer is never reported from a flag alone.
 */
import type { InitMessage, SelfTest } from '../protocol.ts'

// Through getBuiltinModule, not `import`, for the cold start (see sandbox-host.ts). node:child_process and
// node:worker_threads are loaded only where a spawn or a Worker is really attempted (see processProbes).
const { readFileSync, rmSync, writeFileSync } = process.getBuiltinModule('node:fs')
const { connect } = process.getBuiltinModule('node:net')
const { getHeapStatistics } = process.getBuiltinModule('node:v8')

function codeOf(cause: unknown): string {
  const code = (cause as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : cause instanceof Error ? cause.message : String(cause)
}

function attempt(action: () => void, success: string): string {
  try {
    action()
    return success
  } catch (cause) {
    return codeOf(cause)
  }
}

/** A TCP connect to 127.0.0.1 (port 9, discard, by default); resolves with the error code, or `connected`. */
function probeConnect(port = 9): Promise<string> {
  return new Promise((resolve) => {
    try {
      const socket = connect({ host: '127.0.0.1', port })
      const timer = setTimeout(() => {
        socket.destroy()
        resolve('ETIMEDOUT')
      }, 2000)
      socket.once('connect', () => {
        clearTimeout(timer)
        socket.destroy()
        resolve('connected')
      })
      socket.once('error', (cause) => {
        clearTimeout(timer)
        // ECONNREFUSED means the connect reached a live loopback: the network is NOT isolated.
        resolve(codeOf(cause) === 'ECONNREFUSED' ? 'reachable (ECONNREFUSED)' : codeOf(cause))
      })
    } catch (cause) {
      resolve(codeOf(cause))
    }
  })
}

function attemptSpawn(): string {
  return attempt(() => {
    const result = process.getBuiltinModule('node:child_process').spawnSync('/bin/true')
    if (result.error) throw result.error
  }, 'spawned')
}

function attemptWorker(): string {
  return attempt(() => {
    const { Worker } = process.getBuiltinModule('node:worker_threads')
    void new Worker('0', { eval: true }).terminate()
  }, 'started')
}

/** The permission model's own answer for a scope (the state its spawn and Worker gates check); null when off. */
function scopeClosed(scope: 'child' | 'worker'): boolean | null {
  const permission = (process as { permission?: { has(scope: string): boolean } }).permission
  return permission === undefined ? null : !permission.has(scope)
}

/**
 * Child processes and Workers. The host's capability probe (`init.probePort` set) attempts both, a spawn of
 * /bin/true and a Worker, and reports the error code. An ordinary sandbox asks the permission model whether
 * the scope is closed, which is the state its spawn and Worker gates check, and attempts only where Node has
 * no permission API or says the scope is open (then the attempt shows what really happens). The attempts cost
 * ~3 ms of every cold start (first calls into child_process and worker_threads: measured here), and the
 * capability probe makes them with the same Node and the same deny flags.
 */
export function processProbes(init: InitMessage): Pick<SelfTest, 'childProcess' | 'worker'> {
  const attemptAlways = init.probePort !== undefined
  const probe = (scope: 'child' | 'worker', granted: boolean, attemptIt: () => string): string => {
    if (granted) return 'granted'
    if (!attemptAlways && scopeClosed(scope) === true) {
      return `ERR_ACCESS_DENIED (process.permission.has('${scope}') is false: the permission model's answer, not an attempt; the capability probe attempts it)`
    }
    return attemptIt()
  }
  return { childProcess: probe('child', init.grants.childProcesses, attemptSpawn), worker: probe('worker', init.grants.workers, attemptWorker) }
}

async function probeNativeCode(): Promise<string> {
  const addon = attempt(() => process.dlopen({ exports: {} }, '/nonexistent/conductor-probe.node'), 'loaded')
  // getBuiltinModule is synchronous and skips the ESM loader a dynamic import() would spin up.
  const ffi = attempt(() => {
    if (process.getBuiltinModule('node:ffi') === undefined) throw Object.assign(new Error('absent'), { code: 'ERR_UNKNOWN_BUILTIN_MODULE' })
  }, 'loaded')
  return `addon: ${addon}; ffi: ${ffi}`
}

/**
 * Starts the probes that need nothing from the host right away (at module load, while the host's `init` is
 * still on its way), so they overlap the IPC round trip instead of adding to the cold start.
 */
export function startEarlyProbes(): Promise<Pick<SelfTest, 'network' | 'nativeCode'>> {
  return Promise.all([probeConnect(), probeNativeCode()]).then(([network, nativeCode]) => ({ network, nativeCode }))
}

/** node:sqlite opens files without asking the permission model: try the read and write probe paths. */
function probeSqlite(init: InitMessage): { sqliteRead: string; sqliteCreate: string } {
  const sqlite = process.getBuiltinModule('node:sqlite') as typeof import('node:sqlite') | undefined
  if (!sqlite) return { sqliteRead: 'no node:sqlite', sqliteCreate: 'no node:sqlite' }
  const open = (path: string, readOnly: boolean, success: string): string => {
    try {
      new sqlite.DatabaseSync(path, { readOnly }).close()
      return success
    } catch (cause) {
      return cause instanceof Error ? cause.message : String(cause)
    }
  }
  return { sqliteRead: open(init.probeReadPath, true, 'opened'), sqliteCreate: open(init.probeWritePath, false, 'created') }
}

export async function runSelfTest(init: InitMessage, early: ReturnType<typeof startEarlyProbes>): Promise<SelfTest> {
  const fsRead = attempt(() => readFileSync(init.probeReadPath), 'readable')
  const fsWrite = attempt(() => {
    writeFileSync(init.probeWritePath, 'probe')
    rmSync(init.probeWritePath, { force: true })
  }, 'writable')
  const signalHost = attempt(() => process.kill(init.hostPid, 0), 'reachable')
  const linkPath = init.probeLinkPath
  const fsSymlink = linkPath === undefined ? undefined : attempt(() => readFileSync(linkPath), 'readable')
  const sqlite = probeSqlite(init)
  const processes = processProbes(init)
  const probes = await early
  // The host's own listener (capability probe only): the strongest evidence, since the host counts connections.
  const network = init.probePort === undefined ? probes.network : await probeConnect(init.probePort)
  return {
    network: init.grants.network ? 'granted' : network,
    fsRead,
    fsWrite,
    ...processes,
    nativeCode: probes.nativeCode,
    signalHost,
    heapLimitBytes: getHeapStatistics().heap_size_limit,
    envKeys: Object.keys(process.env).sort(),
    ...(fsSymlink === undefined ? {} : { fsSymlink }),
    ...sqlite
  }
}
