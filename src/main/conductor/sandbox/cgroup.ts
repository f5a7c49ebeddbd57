/**
 * Per-sandbox memory cgroup (v1 `memory.limit_in_bytes` or v2 `memory.max`), nested under the host's own
 * memory cgroup so any outer limit still applies. Support is detected by trying (create, write, read back),
 * never assumed. The only hard memory limit: it covers Buffers and native memory, which the heap cap does not.
 */
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface CgroupSupport {
  version: 1 | 2
  /** The host's own memory cgroup directory; sandboxes get children of it. */
  parentDir: string
}

function ownMemoryCgroupDir(): { version: 1 | 2; dir: string } | null {
  let lines: string[]
  try {
    lines = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')
  } catch {
    return null
  }
  for (const line of lines) {
    const [, controllers, path] = line.split(':')
    if (controllers?.split(',').includes('memory')) return { version: 1, dir: join('/sys/fs/cgroup/memory', path ?? '/') }
  }
  const unified = lines.find((line) => line.startsWith('0::'))
  if (!unified) return null
  try {
    if (!readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').split(/\s+/).includes('memory')) return null
  } catch {
    return null
  }
  return { version: 2, dir: join('/sys/fs/cgroup', unified.slice(3)) }
}

/** A cgroup for one sandbox. Create with `MemoryCgroup.create`; `remove()` after the tree exited. */
export class MemoryCgroup {
  readonly dir: string
  readonly version: 1 | 2

  private constructor(dir: string, version: 1 | 2) {
    this.dir = dir
    this.version = version
  }

  /** Creates the cgroup and writes the limit; throws (caller turns it into "unavailable") if it cannot. */
  static create(support: CgroupSupport, name: string, limitBytes: number): MemoryCgroup {
    const dir = join(support.parentDir, name)
    mkdirSync(dir)
    const group = new MemoryCgroup(dir, support.version)
    try {
      writeFileSync(join(dir, group.limitFile), String(limitBytes))
      if (support.version === 2) {
        try {
          writeFileSync(join(dir, 'memory.swap.max'), '0')
        } catch {
          // No swap accounting here: nothing to cap.
        }
      }
    } catch (cause) {
      group.removeNow()
      throw cause
    }
    return group
  }

  /** Rewrites the limit (a spare's group gets the sandbox's own limit when it is taken). */
  setLimit(limitBytes: number): void {
    writeFileSync(join(this.dir, this.limitFile), String(limitBytes))
  }

  get limitFile(): string {
    return this.version === 1 ? 'memory.limit_in_bytes' : 'memory.max'
  }

  /** File a process writes its pid into to join. */
  get procsFile(): string {
    return join(this.dir, 'cgroup.procs')
  }

  /** The limit as the kernel reports it (page-rounded), in bytes. */
  readLimitBytes(): number {
    return Number(readFileSync(join(this.dir, this.limitFile), 'utf8').trim())
  }

  /** Pids currently in the cgroup. */
  pids(): number[] {
    try {
      const text = readFileSync(this.procsFile, 'utf8').trim()
      return text ? text.split('\n').map(Number) : []
    } catch {
      return []
    }
  }

  /** True once the kernel's OOM killer acted inside this cgroup. */
  oomKilled(): boolean {
    try {
      const file = this.version === 1 ? 'memory.oom_control' : 'memory.events'
      const match = /oom_kill (\d+)/.exec(readFileSync(join(this.dir, file), 'utf8'))
      return match !== null && Number(match[1]) > 0
    } catch {
      return false
    }
  }

  private removeNow(): boolean {
    try {
      rmdirSync(this.dir)
      return true
    } catch (cause) {
      return (cause as NodeJS.ErrnoException).code === 'ENOENT'
    }
  }

  /** Removes the cgroup once its last process is gone (the kernel refuses earlier); retries briefly. */
  async remove(): Promise<boolean> {
    for (let attempt = 0; attempt < 40; attempt++) {
      if (this.removeNow()) return true
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    return false
  }
}

let probed: Promise<{ support: CgroupSupport | null; evidence: string }> | undefined

/** Detects cgroup memory support once per process by creating, limiting and reading back a probe cgroup. */
export function probeCgroup(): Promise<{ support: CgroupSupport | null; evidence: string }> {
  probed ??= Promise.resolve().then(() => {
    const own = ownMemoryCgroupDir()
    if (!own) return { support: null, evidence: 'no memory controller in /proc/self/cgroup' }
    const support: CgroupSupport = { version: own.version, parentDir: own.dir }
    const limit = 64 * 1024 * 1024
    try {
      const probe = MemoryCgroup.create(support, `conductor-probe-${process.pid}-${Date.now()}`, limit)
      const readBack = probe.readLimitBytes()
      void probe.remove()
      if (readBack !== limit) return { support: null, evidence: `wrote ${limit}, read back ${readBack}` }
      return {
        support,
        evidence: `cgroup v${own.version} under ${own.dir}: probe limit ${limit} B written and read back`
      }
    } catch (cause) {
      return { support: null, evidence: `cannot create a memory cgroup under ${own.dir}: ${(cause as Error).message}` }
    }
  })
  return probed
}
