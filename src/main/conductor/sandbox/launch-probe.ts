/**
 * Detects, by trying, which launch layers this machine and this Node binary support: `unshare` network + PID
 * namespaces (as root, or through an unprivileged user namespace), the permission model and its flags, and
 * whether the permission model denies network (Node ≥ 25). Cached per Node binary for the process lifetime.
 */
import type { IsolationLayer } from '../../../shared/sandbox.ts'
import { runProbe as run } from './probe-run.ts'

export interface LaunchProbe {
  /** How to enter fresh namespaces, or null when neither root nor a user namespace allows it. */
  namespaces: { command: string; prefix: string[]; evidence: string } | null
  permission: boolean
  permissionDeniesNetwork: boolean
  allowNetFlag: boolean
  ffiFlag: boolean
  nodeVersion: string
  layers: IsolationLayer[]
}

const connectProbe =
  "const s=require('net').connect(9,'127.0.0.1');s.on('error',e=>{console.log(e.code);process.exit(0)});s.on('connect',()=>{console.log('connected');process.exit(0)})"

async function probe(nodePath: string, extraEnv: Record<string, string>): Promise<LaunchProbe> {
  const env = { PATH: '/usr/bin:/bin', ...extraEnv }
  const [version, help, rootNs, permissionNet] = await Promise.all([
    run(nodePath, ['--version'], env),
    run(nodePath, ['--help'], env),
    run('unshare', ['--net', '--pid', '--fork', '--kill-child', '/bin/true'], env),
    run(nodePath, ['--permission', '-e', connectProbe], env)
  ])
  let namespaces: LaunchProbe['namespaces'] = null
  if (rootNs.code === 0) {
    namespaces = { command: 'unshare', prefix: [], evidence: 'unshare --net --pid --fork succeeded' }
  } else {
    const userNs = await run('unshare', ['-r', '--net', '--pid', '--fork', '--kill-child', '/bin/true'], env)
    if (userNs.code === 0) {
      namespaces = { command: 'unshare', prefix: ['-r'], evidence: 'unshare -r (user namespace) --net --pid --fork succeeded' }
    }
  }
  const permission = help.out.includes('--permission')
  const permissionDeniesNetwork = permissionNet.out.includes('ERR_ACCESS_DENIED')
  const nodeVersion = version.out
  const layers: IsolationLayer[] = [
    namespaces
      ? { layer: 'network', status: 'enforced', mechanism: 'network namespace (only a down loopback)', evidence: namespaces.evidence }
      : permissionDeniesNetwork
        ? { layer: 'network', status: 'advisory', mechanism: `Node ${nodeVersion} permission model`, evidence: `probe connect got ERR_ACCESS_DENIED; namespaces unavailable: ${rootNs.out || 'unshare failed'}` }
        : { layer: 'network', status: 'unavailable', mechanism: 'none', evidence: `no namespaces and Node ${nodeVersion} permission model does not deny network (${permissionNet.out})` },
    namespaces
      ? { layer: 'signals', status: 'enforced', mechanism: 'PID namespace', evidence: namespaces.evidence }
      : { layer: 'signals', status: 'unavailable', mechanism: 'none', evidence: 'no PID namespace: a plugin can signal host processes' },
    permission
      ? { layer: 'filesystem-read', status: 'advisory', mechanism: `Node ${nodeVersion} permission model (--allow-fs-read)`, evidence: 'flag accepted; symlinks and node:sqlite are known gaps' }
      : { layer: 'filesystem-read', status: 'unavailable', mechanism: 'none', evidence: `${nodeVersion} has no --permission` }
  ]
  return {
    namespaces,
    permission,
    permissionDeniesNetwork,
    allowNetFlag: help.out.includes('--allow-net'),
    ffiFlag: help.out.includes('--no-experimental-ffi') || help.out.includes('--experimental-ffi'),
    nodeVersion,
    layers
  }
}

const cache = new Map<string, Promise<LaunchProbe>>()

export function probeLaunchLayers(nodePath: string, extraEnv: Record<string, string> = {}): Promise<LaunchProbe> {
  const key = `${nodePath}\0${JSON.stringify(extraEnv)}`
  let probed = cache.get(key)
  if (!probed) {
    probed = probe(nodePath, extraEnv)
    cache.set(key, probed)
  }
  return probed
}
