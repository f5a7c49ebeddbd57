/**
 * Builds a sandbox's honest isolation report from evidence only: what the host verified from the outside
 * (namespace ids, cgroup read-back) and what the child's self-test observed before plugin code loaded.
 * A layer is `enforced` only with outside evidence; the permission model alone is `advisory`.
 */
import type { IsolationLayer, SandboxLimits, SandboxPolicy } from '../../../shared/sandbox.ts'
import type { SelfTest } from './protocol.ts'

export interface ReportInput {
  hostKind: 'hardened' | 'utility'
  pid: number
  verified: IsolationLayer[]
  selfTest: SelfTest
  /** The path the read probes target, whether it exists on the host, and whether node:sqlite left a file outside scratch. */
  probeReadPath?: string
  probeReadExistsOnHost?: boolean
  writeProbeLeaked?: boolean
  policy: SandboxPolicy
  limits: SandboxLimits
  envKeys: string[]
  busySampleMs: number
  killGraceMs: number
}

// `ERR_ACCESS_DENIED (process.permission.has(…) is false: …)` is the permission model's own answer, which an
// ordinary sandbox's self-test reads instead of attempting a spawn or a Worker (see child/self-test.ts).
const denied = (code: string): boolean => code === 'ERR_ACCESS_DENIED' || code.startsWith('ERR_ACCESS_DENIED (')

function permissionLayer(
  layer: IsolationLayer['layer'],
  granted: boolean,
  observed: string,
  what: string
): IsolationLayer {
  if (granted) return { layer, status: 'unavailable', mechanism: 'granted by policy', evidence: `${what} allowed for this plugin` }
  if (denied(observed)) {
    return { layer, status: 'advisory', mechanism: 'Node permission model', evidence: `self-test ${what} before plugin load: ${observed}` }
  }
  return { layer, status: 'unavailable', mechanism: 'none', evidence: `self-test ${what} before plugin load: ${observed}` }
}

/** Did a self-test probe fail the way an absent / read-only path fails (not the permission model)? */
const sqliteFailed = (outcome: string | undefined): boolean => outcome !== undefined && outcome !== 'opened' && outcome !== 'created'

/**
 * Filesystem layers: `enforced` only when the host has a kernel layer in force (the private root, verified from
 * /proc, or the Landlock ruleset Node was started under) AND the self-test, before plugin code, was refused the
 * probe path through a symlink and through node:sqlite (both slip past the permission model), and node:sqlite
 * could not create a file outside scratch. Otherwise the permission model's `advisory`, with the gaps the
 * self-test saw in the evidence.
 */
function filesystemLayers(input: ReportInput): IsolationLayer[] {
  const { selfTest, policy, verified } = input
  const unrestricted = policy.unrestrictedFilesystem === true
  const read = permissionLayer('filesystem-read', unrestricted, selfTest.fsRead, 'read outside the allow-list')
  const write = permissionLayer('filesystem-write', unrestricted, selfTest.fsWrite, 'write outside scratch')
  if (unrestricted) return [read, write]
  const probe = input.probeReadPath ?? 'the probe path'
  const onHost = input.probeReadExistsOnHost === false ? ' (absent on the host too: weak probe)' : ' (present on the host)'
  const readSeen = `self-test before plugin load: ${probe}${onHost} via a symlink in scratch: ${selfTest.fsSymlink ?? 'not probed'}; node:sqlite read-only open: ${selfTest.sqliteRead ?? 'not probed'}`
  const writeSeen = `self-test before plugin load: node:sqlite create outside scratch: ${selfTest.sqliteCreate ?? 'not probed'}; host found ${input.writeProbeLeaked ? 'the file created (removed it)' : 'no file'}`
  // ENOENT: the path is not there (private root); EACCES: the kernel refused it (Landlock).
  const linkRefused = selfTest.fsSymlink === 'ENOENT' || selfTest.fsSymlink === 'EACCES'
  const readHeld = linkRefused && sqliteFailed(selfTest.sqliteRead) && input.probeReadExistsOnHost !== false
  const writeHeld = sqliteFailed(selfTest.sqliteCreate) && input.writeProbeLeaked !== true && selfTest.fsWrite !== 'writable'
  const kernelRead = verified.find((layer) => layer.layer === 'filesystem-read')
  const kernelWrite = verified.find((layer) => layer.layer === 'filesystem-write')
  const combine = (base: IsolationLayer, mount: IsolationLayer | undefined, held: boolean, seen: string): IsolationLayer => {
    if (mount?.status === 'enforced' && held) return { ...mount, evidence: `${mount.evidence}; ${seen}; ${base.evidence}` }
    const why = mount ? `kernel layer not confirmed (${mount.evidence}); ` : 'no private root and no Landlock; '
    return { ...base, evidence: `${base.evidence}; ${why}${seen}` }
  }
  return [combine(read, kernelRead, readHeld, readSeen), combine(write, kernelWrite, writeHeld, writeSeen)]
}

export function buildIsolationReport(input: ReportInput): IsolationLayer[] {
  const { selfTest, policy, limits, verified } = input
  const find = (name: IsolationLayer['layer']) => verified.find((layer) => layer.layer === name)
  const memoryBytes = limits.memoryMb * 1024 * 1024
  const layers: IsolationLayer[] = [
    { layer: 'process', status: 'enforced', mechanism: `${input.hostKind} host: separate OS process`, evidence: `host pid ${input.pid}` },
    {
      layer: 'time',
      status: 'enforced',
      mechanism: 'host deadline timer; tree kill (SIGTERM, SIGKILL after grace) when the child does not acknowledge a cancel',
      evidence: `default deadline ${limits.timeoutMs} ms, kill grace ${input.killGraceMs} ms`
    },
    selfTest.heapLimitBytes <= memoryBytes
      ? { layer: 'heap', status: 'enforced', mechanism: 'V8 --max-old-space-size + --max-semi-space-size', evidence: `child reads back heap_size_limit ${selfTest.heapLimitBytes} B (budget ${memoryBytes} B)` }
      : { layer: 'heap', status: 'unavailable', mechanism: 'V8 --max-old-space-size + --max-semi-space-size', evidence: `child reads back heap_size_limit ${selfTest.heapLimitBytes} B, above the ${memoryBytes} B budget (flag dropped?)` },
    {
      layer: 'rss-watchdog',
      status: 'enforced-by-polling',
      mechanism: 'pidusage over the whole process tree',
      evidence: `every ${input.busySampleMs} ms while busy; kill above ${memoryBytes} B`
    },
    find('cgroup-memory') ?? { layer: 'cgroup-memory', status: 'unavailable', mechanism: 'cgroup memory limit', evidence: 'host has no usable memory cgroup' }
  ]

  // A network namespace (enforced), or Landlock's TCP rules alone (advisory: UDP is not covered).
  const verifiedNetwork = find('network')
  const networkOpen = selfTest.network === 'connected' || selfTest.network.startsWith('reachable')
  if (policy.networkHosts.length > 0) {
    layers.push({ layer: 'network', status: 'unavailable', mechanism: 'granted by policy', evidence: `network allowed (${policy.networkHosts.join(', ')}); per-host filtering is not enforced` })
  } else if (verifiedNetwork && !networkOpen) {
    const mechanism = verifiedNetwork.status === 'enforced' ? verifiedNetwork.mechanism : `${verifiedNetwork.mechanism}; Node permission model`
    layers.push({ ...verifiedNetwork, mechanism, evidence: `${verifiedNetwork.evidence}; self-test connect to 127.0.0.1: ${selfTest.network}` })
  } else if (denied(selfTest.network)) {
    layers.push({ layer: 'network', status: 'advisory', mechanism: 'Node permission model', evidence: `self-test connect to 127.0.0.1: ${selfTest.network}` })
  } else {
    layers.push({ layer: 'network', status: 'unavailable', mechanism: 'none', evidence: `self-test connect to 127.0.0.1: ${selfTest.network}` })
  }

  layers.push(...filesystemLayers(input))
  layers.push(
    permissionLayer('child-processes', policy.childProcesses, selfTest.childProcess, 'spawn'),
    permissionLayer('workers', policy.workers, selfTest.worker, 'new Worker')
  )
  const nativeDenied = /addon: ERR_(DLOPEN_DISABLED|ACCESS_DENIED)/.test(selfTest.nativeCode) && !selfTest.nativeCode.includes('ffi: loaded')
  layers.push(
    policy.nativeAddons
      ? { layer: 'native-code', status: 'unavailable', mechanism: 'granted by policy', evidence: 'addons allowed for this plugin' }
      : nativeDenied
        ? { layer: 'native-code', status: 'advisory', mechanism: 'Node permission model + --no-experimental-ffi', evidence: `self-test ${selfTest.nativeCode}` }
        : { layer: 'native-code', status: 'unavailable', mechanism: 'none', evidence: `self-test ${selfTest.nativeCode}` }
  )

  // ESRCH: the host is outside the sandbox's PID namespace; EPERM: Landlock's signal scope refused it.
  const signalScope = find('signals')
  if (signalScope && (selfTest.signalHost === 'ESRCH' || selfTest.signalHost === 'EPERM')) {
    layers.push({ ...signalScope, evidence: `${signalScope.evidence}; self-test kill(hostPid, 0): ${selfTest.signalHost}` })
  } else {
    layers.push({ layer: 'signals', status: 'unavailable', mechanism: 'none', evidence: `self-test kill(hostPid, 0): ${selfTest.signalHost}` })
  }

  const unexpected = selfTest.envKeys.filter((key) => !input.envKeys.includes(key) && !key.startsWith('NODE_CHANNEL_'))
  layers.push(
    unexpected.length === 0
      ? { layer: 'environment', status: 'enforced', mechanism: 'explicit minimal environment', evidence: `child sees only ${selfTest.envKeys.join(', ')}` }
      : { layer: 'environment', status: 'unavailable', mechanism: 'explicit minimal environment', evidence: `child also sees ${unexpected.join(', ')}` }
  )
  return layers
}

/** Layers the policy requires but the report shows not in force: a reason to refuse the sandbox. */
export function missingRequiredLayers(layers: IsolationLayer[], policy: SandboxPolicy): IsolationLayer[] {
  const required = new Set<IsolationLayer['layer']>(['environment'])
  if (!policy.unrestrictedFilesystem) {
    required.add('filesystem-read')
    required.add('filesystem-write')
  }
  if (policy.networkHosts.length === 0) required.add('network')
  if (!policy.childProcesses) required.add('child-processes')
  if (!policy.workers) required.add('workers')
  return layers.filter((layer) => required.has(layer.layer) && layer.status === 'unavailable')
}
