/**
 * Detects the mount-namespace layer (mount-root.ts) by trying it: finds util-linux `mount`, `unshare` and
 * `setpriv` and the shared libraries of Node and setpriv (`ldd`), then runs Node once in a private root built
 * as for a sandbox. Once per host; stale skeletons of dead hosts are swept on the way.
 */
import { runProbe as run } from './probe-run.ts'
import { accessSync, constants, realpathSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { enterRoot, mountScript, prepareMountRoot, sweepStaleSkeletons, type MountTools } from './mount-root.ts'

function findTool(name: string): string | null {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    const path = join(dir, name)
    try {
      accessSync(path, constants.X_OK)
      return path
    } catch {
      // not here
    }
  }
  return null
}

/** Shared libraries of a binary, as `ldd` lists them (the loader included); null when one is missing. */
export async function sharedLibraries(binary: string, env: Record<string, string>): Promise<string[] | null> {
  const { code, out } = await run('ldd', [binary], env)
  if (code !== 0) return /not a dynamic executable/.test(out) ? [] : null
  const files: string[] = []
  for (const line of out.split('\n')) {
    if (line.includes('not found')) return null
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line)
    if (match) files.push(match[1]!)
  }
  return files
}

/** Finds mount, unshare, setpriv and the runtime's files; null (with why) when something is missing. */
export async function findMountTools(nodePath: string, extraEnv: Record<string, string>): Promise<{ tools: MountTools | null; why: string }> {
  const env = { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', ...extraEnv }
  const mountPath = findTool('mount')
  const unsharePath = findTool('unshare')
  const setprivPath = findTool('setpriv')
  if (!mountPath || !unsharePath || !setprivPath) return { tools: null, why: 'mount, unshare or setpriv (util-linux) not found' }
  const shellPath = resolvedShell()
  const [nodeLibs, setprivLibs, shellLibs] = await Promise.all([
    sharedLibraries(nodePath, env),
    sharedLibraries(setprivPath, env),
    shellPath === null ? null : sharedLibraries(shellPath, env)
  ])
  if (!nodeLibs || !setprivLibs) return { tools: null, why: `ldd could not list the libraries of ${nodePath} or setpriv` }
  const runtimeFiles = [...new Set([resolve(nodePath), setprivPath, ...nodeLibs, ...setprivLibs])]
  // Electron run as Node needs its own folder (resources, ICU data, V8 snapshots), not only its libraries.
  const runtimeDirs = extraEnv['ELECTRON_RUN_AS_NODE'] ? [dirname(resolve(nodePath))] : []
  const shellFiles = shellPath !== null && shellLibs ? [shellPath, ...shellLibs] : undefined
  return { tools: { mountPath, unsharePath, setprivPath, runtimeFiles, runtimeDirs, ...(shellFiles ? { shellFiles } : {}) }, why: '' }
}

function resolvedShell(): string | null {
  try {
    const path = realpathSync('/bin/sh')
    accessSync(path, constants.X_OK)
    return path
  } catch {
    return null
  }
}

const probeScript =
  "const fs=require('fs');const t=(f)=>{try{f();return 'ok'}catch(e){return e.code}};" +
  "const cap=fs.readFileSync('/proc/self/status','utf8').match(/CapEff:\\s*(\\w+)/)[1];" +
  "console.log(JSON.stringify({read:t(()=>fs.readFileSync('/etc/passwd')),write:t(()=>fs.writeFileSync('/conductor-probe','x')),cap}))"

export interface MountProbe {
  tools: MountTools | null
  evidence: string
}

/**
 * Detects the layer by trying it once: Node runs (without the permission model) in a private root built as
 * for a sandbox, and must find /etc/passwd absent, / read-only and no effective capability.
 */
export async function probeMountLayer(namespacePrefix: string[], nodePath: string, extraEnv: Record<string, string>): Promise<MountProbe> {
  sweepStaleSkeletons()
  const found = await findMountTools(nodePath, extraEnv)
  if (!found.tools) return { tools: null, evidence: found.why }
  const tools = found.tools
  const root = prepareMountRoot({ tools, readPaths: [], writePaths: [], systemRuntime: false })
  try {
    const command = [
      ...namespacePrefix,
      '--mount', '--net', '--pid', '--fork', '--kill-child',
      '/bin/sh', '-c', `${mountScript(tools)}"$@"`, 'sh', root.fstabPath,
      ...enterRoot(tools, root, '/', [nodePath, '-e', probeScript])
    ]
    const { code, out } = await run(tools.unsharePath, command, { PATH: '/usr/bin:/bin', ...extraEnv })
    const seen = /\{.*\}/.exec(out)?.[0]
    const result = seen ? (JSON.parse(seen) as { read: string; write: string; cap: string }) : null
    if (code !== 0 || !result) return { tools: null, evidence: `private root could not be entered (exit ${code}): ${out.slice(0, 300)}` }
    if (result.read !== 'ENOENT' || result.write !== 'EROFS' || !/^0+$/.test(result.cap)) {
      return { tools: null, evidence: `private root probe saw /etc/passwd: ${result.read}, write /: ${result.write}, CapEff ${result.cap}` }
    }
    return { tools, evidence: `probe Node in a private root: /etc/passwd ${result.read}, write / ${result.write}, CapEff ${result.cap}` }
  } finally {
    root.remove()
  }
}
