/**
 * Linux /proc helpers for the host side: a process's children and descendants, namespace ids, liveness.
 * Used to kill and sample exactly a sandbox's tree and to collect isolation evidence from the outside.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

/** Direct children of `pid` (all threads), or [] when it is gone. */
export function childrenOf(pid: number): number[] {
  try {
    const out: number[] = []
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim()
      if (text) for (const part of text.split(/\s+/)) out.push(Number(part))
    }
    return out
  } catch {
    return []
  }
}

/** `pid` and everything below it. */
export function treeOf(pid: number): number[] {
  const out: number[] = []
  const queue = [pid]
  while (queue.length > 0) {
    const next = queue.shift()!
    if (out.includes(next)) continue
    out.push(next)
    queue.push(...childrenOf(next))
  }
  return out
}

/** Resident memory of `pid` and everything below it, in bytes (VmRSS summed; shared pages count in each). */
export function treeRssBytes(pid: number): number {
  let kib = 0
  for (const member of treeOf(pid)) {
    try {
      kib += Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${member}/status`, 'utf8'))?.[1] ?? 0)
    } catch {
      // gone meanwhile
    }
  }
  return kib * 1024
}

/** The namespace id (`net:[4026531833]`) of a process, or null when it cannot be read. */
export function namespaceOf(pid: number | 'self', kind: 'net' | 'pid' | 'mnt'): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/${kind}`)
  } catch {
    return null
  }
}

/** A process as killable later: its pid and its start time, so a pid reused since is never signalled. */
export interface ProcessRef {
  pid: number
  startTime: string
}

/** The fields of /proc/<pid>/stat after the command name (state first), or null when the pid is gone. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return null
  }
}

const running = (fields: string[] | null): fields is string[] => fields !== null && fields[0] !== 'Z' && fields[0] !== 'X'

/** References to `pids` that can be signalled safely later (gone ones are left out). */
export function refsOf(pids: readonly number[]): ProcessRef[] {
  const out: ProcessRef[] = []
  for (const pid of pids) {
    const startTime = statFields(pid)?.[19]
    if (startTime !== undefined) out.push({ pid, startTime })
  }
  return out
}

/**
 * SIGKILLs what is left of `refs` and resolves once none of them runs any more (or after `timeoutMs`). A
 * signal takes effect when its target is next scheduled, so right after a kill a process can still be listed
 * for some ms on a busy machine: whoever reports "the sandbox is gone" waits for this first.
 */
export async function killAndReap(refs: readonly ProcessRef[], timeoutMs = 1_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const left = refs.filter((ref) => {
      const fields = statFields(ref.pid)
      return running(fields) && fields[19] === ref.startTime
    })
    if (left.length === 0 || performance.now() > deadline) return
    for (const ref of left) {
      try {
        process.kill(ref.pid, 'SIGKILL')
      } catch {
        // gone in between
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

/** True while the pid exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  return running(statFields(pid))
}

/** Every live pid whose `kind` namespace is `namespace` (a scan of /proc; for checks, not hot paths). */
export function pidsInNamespace(kind: 'net' | 'pid', namespace: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => namespaceOf(pid, kind) === namespace && isAlive(pid))
}
