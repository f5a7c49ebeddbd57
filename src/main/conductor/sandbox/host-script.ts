/**
 * Finds the sandbox child's entry script and the paths it must be allowed to read under `--permission`.
 * Built app: `out/main/sandbox-host.mjs` (a self-contained bundle built beside the main entries); from source (tests, `node`
 * running .ts directly): `child/sandbox-host.ts`. Plus the zod package when the entry imports it externally.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

export interface HostScript {
  scriptPath: string
  /** Absolute paths the child needs to read to load itself. */
  readPaths: string[]
}

function zodDir(): string | null {
  try {
    return dirname(createRequire(import.meta.url).resolve('zod/package.json'))
  } catch {
    return null
  }
}

/** `child/<name>` as built: `<name>.mjs` beside the main bundle (this module's folder or its parent), or null. */
function builtChild(name: string): string | null {
  const here = import.meta.dirname
  return [join(here, `${name}.mjs`), join(here, '..', `${name}.mjs`)].find((file) => existsSync(file)) ?? null
}

/** The script a runner uses unless configured otherwise (`hostScriptPath`). */
export function resolveHostScript(configured?: string): HostScript {
  const zod = zodDir()
  const withZod = (paths: string[]): string[] => (zod ? [...paths, zod] : paths)
  if (configured) return { scriptPath: configured, readPaths: withZod([configured]) }
  // The built child is one self-contained file (zod included; see electron.vite.config.ts): it is all the
  // child needs to read to load itself.
  const built = builtChild('sandbox-host')
  if (built !== null) return { scriptPath: built, readPaths: [built] }
  const here = import.meta.dirname
  const source = join(here, 'child', 'sandbox-host.ts')
  if (existsSync(source)) return { scriptPath: source, readPaths: withZod([here]) }
  throw new Error(`sandbox host script not found next to ${here}`)
}

/** The Landlock launcher (child/landlock-launcher.ts): built beside the child host, else the source file. */
export function resolveLandlockLauncher(): string | null {
  const source = join(import.meta.dirname, 'child', 'landlock-launcher.ts')
  return builtChild('landlock-launcher') ?? (existsSync(source) ? source : null)
}
