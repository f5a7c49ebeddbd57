/**
 * Finds the sandbox child's entry script and the paths it must be allowed to read under `--permission`.
 * Built app: `out/main/sandbox-host.js` (electron-vite's `sandbox-host` entry); from source (tests, `node`
 * running .ts directly): `child/sandbox-host.ts`. The child imports no package (not even zod: see
 * child/host-message.ts), so only its own folder is readable, never node_modules.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'

export interface HostScript {
  scriptPath: string
  /** Absolute paths the child needs to read to load itself. */
  readPaths: string[]
}

/** The script a runner uses unless configured otherwise (`hostScriptPath`). */
export function resolveHostScript(configured?: string): HostScript {
  if (configured) return { scriptPath: configured, readPaths: [configured] }
  const here = import.meta.dirname
  for (const built of [join(here, 'sandbox-host.js'), join(here, '..', 'sandbox-host.js')]) {
    // The bundle's entry imports shared chunks from its folder (out/main/chunks), so the folder is readable.
    if (existsSync(built)) return { scriptPath: built, readPaths: [dirname(built)] }
  }
  const source = join(here, 'child', 'sandbox-host.ts')
  if (existsSync(source)) return { scriptPath: source, readPaths: [here] }
  throw new Error(`sandbox host script not found next to ${here}`)
}
