/**
 * What a sandbox is launched with, derived from its policy: the explicit minimal environment (nothing is
 * inherited from the host) and the permission allow-lists (host script and deps, plugin folder, granted
 * paths and the scratch dir for reads; only the scratch dir for writes).
 */
import { dirname } from 'node:path'
import type { SandboxPolicy } from '../../../shared/sandbox.ts'
import type { HostScript } from './host-script.ts'
import type { ScratchShape, SpawnSpec } from './process-host.ts'

export function sandboxEnv(scratchDir: string): Record<string, string> {
  return { PATH: '/usr/bin:/bin', HOME: scratchDir, TMPDIR: scratchDir, PWD: scratchDir, LANG: 'C.UTF-8', CONDUCTOR_SANDBOX: '1' }
}

/** What a sandbox may read besides its scratch dir: the host script and deps, granted paths, the plugin folder. */
function readPathsOf(input: { modulePath: string | null; policy: SandboxPolicy; hostScript: HostScript }): string[] {
  const readPaths = [...input.hostScript.readPaths, ...input.policy.readPaths]
  if (input.modulePath) readPaths.push(dirname(input.modulePath))
  return readPaths
}

/** The shape a prepared scratch dir must fit for this sandbox (see `ProcessHost.claimScratch`). */
export function scratchShapeFor(input: { modulePath: string | null; policy: SandboxPolicy; hostScript: HostScript }): ScratchShape {
  const { policy } = input
  return { fsRead: policy.unrestrictedFilesystem ? ['*'] : readPathsOf(input), network: policy.networkHosts.length > 0, childProcesses: policy.childProcesses, scriptPath: input.hostScript.scriptPath }
}

export function spawnSpecFor(input: {
  instanceId: string
  modulePath: string | null
  policy: SandboxPolicy
  hostScript: HostScript
  scratchDir: string
  memoryMb: number
  maxMessageBytes: number
}): SpawnSpec {
  const { policy, scratchDir } = input
  const readPaths = [...readPathsOf(input), scratchDir]
  return {
    instanceId: input.instanceId,
    scriptPath: input.hostScript.scriptPath,
    env: sandboxEnv(scratchDir),
    cwd: scratchDir,
    memoryMb: input.memoryMb,
    maxMessageBytes: input.maxMessageBytes,
    permissions: {
      fsRead: policy.unrestrictedFilesystem ? ['*'] : readPaths,
      fsWrite: policy.unrestrictedFilesystem ? ['*'] : [scratchDir],
      network: policy.networkHosts.length > 0,
      childProcesses: policy.childProcesses,
      workers: policy.workers,
      nativeAddons: policy.nativeAddons
    }
  }
}
