/**
 * Host-side evidence for the mount-namespace layer, read from /proc of the running sandbox: its mount
 * namespace differs from the host's, its root is read-only, the only writable mounts are its write paths,
 * and it holds no capability (so it cannot remount, unmount or chroot out). The child's own self-test (a
 * symlink escape, node:sqlite) is combined with this in isolation-report.ts.
 */
import { readFileSync } from 'node:fs'
import type { IsolationLayer } from '../../../shared/sandbox.ts'
import type { MountRoot } from './mount-root.ts'
import { namespaceOf } from './proc-tree.ts'

export interface MountFacts {
  ok: boolean
  evidence: string
}

/** fstab/mountinfo octal escapes (`\040` for a space). */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null
  }
}

/** Checks a live sandbox's mounts and capabilities from the outside. */
export function mountFacts(pid: number, writePaths: string[]): MountFacts {
  const problems: string[] = []
  const hostMnt = namespaceOf('self', 'mnt')
  const childMnt = namespaceOf(pid, 'mnt')
  if (!childMnt || childMnt === hostMnt) problems.push(`mount namespace ${childMnt} is the host's`)
  const mountinfo = read(`/proc/${pid}/mountinfo`)
  const status = read(`/proc/${pid}/status`)
  if (mountinfo === null || status === null) return { ok: false, evidence: `cannot read /proc/${pid}` }
  const mounts = mountinfo
    .trim()
    .split('\n')
    .map((line) => line.split(' '))
    .map((fields) => ({ point: unescape(fields[4] ?? ''), options: (fields[5] ?? '').split(',') }))
  const rootMount = mounts.find((m) => m.point === '/')
  if (!rootMount?.options.includes('ro')) problems.push('root is not mounted read-only')
  const writable = mounts.filter((m) => m.options.includes('rw')).map((m) => m.point)
  const unexpected = writable.filter((point) => !writePaths.includes(point))
  if (unexpected.length > 0) problems.push(`writable mounts besides scratch: ${unexpected.join(', ')}`)
  const field = (name: string): string => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(status)?.[1] ?? '?'
  const capEff = field('CapEff')
  const capBnd = field('CapBnd')
  const noNewPrivs = field('NoNewPrivs')
  if (!/^0+$/.test(capEff) || !/^0+$/.test(capBnd)) problems.push(`capabilities left: CapEff ${capEff}, CapBnd ${capBnd} (could remount)`)
  const facts = `/proc/${pid}/ns/mnt ${childMnt} (host ${hostMnt}); ${mounts.length} mounts, writable only ${writable.join(', ') || 'none'}; / ${rootMount?.options.includes('ro') ? 'ro' : 'rw'}; CapEff ${capEff}, CapBnd ${capBnd}, NoNewPrivs ${noNewPrivs}`
  return problems.length === 0 ? { ok: true, evidence: facts } : { ok: false, evidence: `${problems.join('; ')} — ${facts}` }
}

/** The host-verified part of the filesystem layers (status `enforced` only when every check passed). */
export function verifyMountLayer(pid: number, root: MountRoot, writePaths: string[]): IsolationLayer[] {
  const facts = mountFacts(pid, writePaths)
  const mechanism = `mount namespace: private read-only root (${root.bindCount} binds), capabilities dropped (setpriv), + Node permission model`
  const status = facts.ok ? ('enforced' as const) : ('unavailable' as const)
  return [
    { layer: 'filesystem-read', status, mechanism, evidence: facts.evidence },
    { layer: 'filesystem-write', status, mechanism, evidence: facts.evidence }
  ]
}
