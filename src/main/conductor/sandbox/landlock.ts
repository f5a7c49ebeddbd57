/**
 * The Landlock layer of the hardened host: by default for sandboxes that get no private root (mount-root.ts;
 * no root and no user namespaces, or switched off), or stacked on it (`always`). The kernel itself denies every
 * path outside the sandbox's read and write lists, including through symlinks and for node:sqlite, which slip
 * past Node's permission model; TCP unless granted; signals out of the sandbox (ABI ≥ 6). It is applied by
 * child/landlock-launcher.ts, which restricts itself and then execs the sandbox child. Detected by asking the
 * kernel through that launcher (Node ≥ 26.1 with `node:ffi`). The launcher is one more Node start, which the
 * hardened host keeps started ahead of time (spares in `wait` mode).
 */
import { existsSync, realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { LandlockRules } from './child/landlock-launcher.ts'
import { resolveLandlockLauncher } from './host-script.ts'
import { sharedLibraries } from './mount-probe.ts'
import { runProbe as run } from './probe-run.ts'
import { DEVICES, RESOLVER_FILES, SYSTEM_DIRS } from './mount-root.ts'

export interface LandlockSupport {
  abi: number
  launcherPath: string
  /** Node's binary, its shared libraries and the files its start-up opens (loader cache, OpenSSL config). */
  runtimeFiles: string[]
}

export interface LandlockProbe {
  support: LandlockSupport | null
  evidence: string
}

// Node opens its OpenSSL config at start-up and gives up on EACCES (a missing file is fine); the loader reads
// its cache. Both are public system configuration.
const STARTUP_FILES = ['/etc/ld.so.cache', '/etc/ssl/openssl.cnf', '/usr/lib/ssl/openssl.cnf', '/usr/local/ssl/openssl.cnf']

/** Flags the launcher's own Node needs: FFI for the syscalls, and no experimental-feature warning on stderr. */
export const LAUNCHER_FLAGS = ['--experimental-ffi', '--disable-warning=ExperimentalWarning']

/** Asks the kernel, through the launcher run by this Node binary, which Landlock ABI it offers. */
export async function probeLandlock(nodePath: string, extraEnv: Record<string, string>): Promise<LandlockProbe> {
  if (process.platform !== 'linux') return { support: null, evidence: 'Landlock is Linux only' }
  const launcherPath = resolveLandlockLauncher()
  if (launcherPath === null) return { support: null, evidence: 'landlock launcher script not found' }
  const env = { PATH: '/usr/bin:/bin', ...extraEnv }
  const { code, out } = await run(nodePath, [...LAUNCHER_FLAGS, launcherPath, 'probe'], env)
  const seen = /\{.*\}/.exec(out)?.[0]
  const answer = seen ? (JSON.parse(seen) as { abi: number; why: string }) : null
  if (code !== 0 || answer === null) return { support: null, evidence: `launcher probe failed (exit ${code}): ${out.slice(0, 200)}` }
  if (answer.abi < 1) return { support: null, evidence: answer.why }
  const libraries = await sharedLibraries(nodePath, env)
  if (libraries === null) return { support: null, evidence: `ldd could not list the libraries of ${nodePath}` }
  const runtimeFiles = [realpathSync(nodePath), ...libraries, ...STARTUP_FILES.filter((file) => existsSync(file))]
  // Electron run as Node needs its own folder (resources, ICU data, V8 snapshots).
  if (extraEnv['ELECTRON_RUN_AS_NODE']) runtimeFiles.push(dirname(realpathSync(nodePath)))
  return { support: { abi: answer.abi, launcherPath, runtimeFiles }, evidence: `kernel offers Landlock ABI ${answer.abi}` }
}

/**
 * The package.json files Node's module loader reads above `paths` (the nearest one decides whether a `.js` or
 * `.ts` file is ESM). Without a private root they exist, and a refused read (EACCES) is fatal to the loader,
 * where a missing one (ENOENT, as in the private root) is not. They hold package metadata, not data.
 */
function packageScopes(paths: string[]): string[] {
  const found = new Set<string>()
  for (const path of paths) {
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      const file = join(dir, 'package.json')
      if (existsSync(file)) found.add(file)
      if (dir === dirname(dir)) break
    }
  }
  return [...found]
}

/** The kernel rules for one sandbox: its read list (and the runtime), its write list, no TCP unless granted. */
export function landlockRules(
  support: LandlockSupport,
  permissions: { fsRead: string[]; fsWrite: string[]; network: boolean; childProcesses: boolean }
): LandlockRules {
  // /proc/self (resolved by the launcher to its own /proc/<pid>, which the exec keeps): process.memoryUsage()
  // and friends read it. The rest of /proc (other processes' environment and command lines) stays closed.
  const read = [...permissions.fsRead, ...packageScopes(permissions.fsRead), ...DEVICES.filter((device) => device !== '/dev/null'), '/proc/self']
  // Only the runtime may be executed. Like the private root: a plugin granted child processes also runs the
  // system binaries and libraries (and what its own folders hold), one granted network reads the resolver files.
  const execute = [...support.runtimeFiles, ...(permissions.childProcesses ? [...SYSTEM_DIRS, ...permissions.fsRead] : [])]
  if (permissions.network) read.push(...RESOLVER_FILES)
  return { read, execute, write: [...permissions.fsWrite, '/dev/null'], denyTcp: !permissions.network, scope: true }
}

/**
 * The launcher for a child started from `scriptPath`: the built one beside a built child script is preferred
 * (a child run from the built bundle must not pay for stripping the launcher's types).
 */
export function landlockLauncherFor(support: LandlockSupport, scriptPath: string): string {
  const beside = join(dirname(scriptPath), 'landlock-launcher.mjs')
  return scriptPath.endsWith('.mjs') && existsSync(beside) ? beside : support.launcherPath
}

/** The launch prefix that applies `rules` and then execs `command`. */
export function landlockCommand(nodePath: string, launcher: string, rules: LandlockRules, command: string[]): string[] {
  return [nodePath, ...LAUNCHER_FLAGS, launcher, 'run', JSON.stringify(rules), ...command]
}
