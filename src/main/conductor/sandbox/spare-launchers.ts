/**
 * Spare launchers: the part of a hardened sandbox's launch chain that does not depend on the plugin, started
 * ahead of time so a cold start does not wait for it. A spare is `unshare` (fresh network/PID/mount
 * namespaces) → a shell that has already joined its own memory cgroup and now blocks reading one line from
 * its stdin: the path of a launch script the host writes when a sandbox is wanted. Nothing of the plugin
 * exists yet: no Node process, no private root, no permissions; those are made at take time, as without
 * spares, and verified on the real process afterwards.
 *
 * Why it pays: on cgroup v1, moving a process into a cgroup waits for an RCU grace period whenever no other
 * move happened in the last few ms (measured here: ~3 ms back to back, 8–20 ms when spaced out, which is how
 * sandboxes start). A spare pays that wait, and the namespace set-up, while nobody is waiting for it.
 *
 * A spare whose host dies reads EOF on its stdin and exits; `close()` ends them the same way.
 */
import type { ChildProcess } from 'node:child_process'
import type { MemoryCgroup } from './cgroup.ts'

export interface Spare {
  readonly child: ChildProcess
  readonly group: MemoryCgroup | null
  /** The shell is PID 1 of its own PID namespace (so Node will be pid 2), as without spares. */
  readonly pidNamespace: boolean
  readonly netNamespace: boolean
  /** Cleans up what only an unused spare owns (it ended, or the pool closed, before anyone took it). */
  readonly discard?: () => void
}

interface Pooled<S extends Spare> {
  spare: S
  gone: boolean
  taken: boolean
}

/**
 * A small pool of spares per launch-chain shape (`key`: which namespaces, whether a private root follows).
 * `take` hands out a live spare or nothing; the caller launches directly then, exactly as without a pool.
 */
export class SpareLaunchers<S extends Spare = Spare> {
  private readonly size: number
  private readonly refillDelayMs: number
  private readonly maxShapes: number
  /** Pools by shape, least recently used first (a use moves a shape to the end). */
  private readonly pools = new Map<string, Array<Pooled<S>>>()
  private readonly filling = new Set<string>()
  private closed = false

  /**
   * `refillDelayMs`: how long after a take the pool starts making a replacement. Making one is a handful of
   * process launches (and mounts, for a rooted spare); started at once it would compete for the CPU with the
   * very sandbox that was just taken, whose start someone is waiting for.
   */
  /**
   * `maxShapes`: shapes that keep spares at once. Rooted spares are made per plugin root, so a host that
   * starts sandboxes of ever new shapes (ad-hoc code with varying grants) would otherwise keep an idle spare for
   * each; past the bound, the least recently used shape's spares are ended.
   */
  constructor(size: number, options: { refillDelayMs?: number; maxShapes?: number } = {}) {
    this.size = size
    this.refillDelayMs = options.refillDelayMs ?? 100
    this.maxShapes = options.maxShapes ?? Infinity
  }

  /** A live spare of this shape, removed from the pool; undefined when none is ready. */
  take(key: string): S | undefined {
    const pool = this.pools.get(key)
    if (pool) this.touch(key, pool)
    while (pool && pool.length > 0) {
      const pooled = pool.shift()!
      if (pooled.gone) continue
      pooled.taken = true
      return pooled.spare
    }
    return undefined
  }

  /**
   * Tops the pool of this shape up to its size in the background, one spare at a time, each after
   * `refillDelayMs`. `make` throws when it cannot.
   */
  refill(key: string, make: () => S): void {
    if (this.size === 0 || this.closed || this.filling.has(key)) return
    this.filling.add(key)
    const timer = setTimeout(() => {
      this.filling.delete(key)
      if (this.closed) return
      const pool = this.pools.get(key) ?? []
      this.touch(key, pool)
      if (pool.filter((p) => !p.gone).length >= this.size) return
      this.makeRoomBeside(key)
      let spare: S
      try {
        spare = make()
      } catch {
        return // The direct launch path reports why; a missing spare only costs time.
      }
      const pooled: Pooled<S> = { spare, gone: false, taken: false }
      spare.child.once('close', () => {
        pooled.gone = true
        void spare.group?.remove()
        if (!pooled.taken) spare.discard?.()
      })
      pool.push(pooled)
      this.refill(key, make)
    }, this.refillDelayMs)
    // A pending refill is no reason to keep a process alive.
    timer.unref()
  }

  /** Marks a shape as just used (the pools map keeps insertion order: least recently used first). */
  private touch(key: string, pool: Array<Pooled<S>>): void {
    this.pools.delete(key)
    this.pools.set(key, pool)
  }

  /** Ends the spares of the least recently used other shapes until `key` fits within `maxShapes`. */
  private makeRoomBeside(key: string): void {
    const others = [...this.pools].filter(([other, pool]) => other !== key && pool.some((p) => !p.gone))
    for (let i = 0; others.length - i >= this.maxShapes; i++) {
      const [evicted, pool] = others[i]!
      for (const pooled of pool.splice(0)) if (!pooled.gone) pooled.spare.child.stdin?.end()
      this.pools.delete(evicted)
    }
  }

  /** The spares waiting in the pools, for diagnostics and tests. */
  live(): S[] {
    return [...this.pools.values()].flat().filter((p) => !p.gone).map((p) => p.spare)
  }

  /** Ends every spare (EOF on its stdin) and removes their cgroups; no spare is made afterwards. */
  async close(): Promise<void> {
    this.closed = true
    const ending: Promise<unknown>[] = []
    for (const pool of this.pools.values()) {
      for (const pooled of pool.splice(0)) {
        if (pooled.gone) continue
        ending.push(new Promise((resolve) => pooled.spare.child.once('close', resolve)))
        pooled.spare.child.stdin?.end()
      }
    }
    await Promise.all(ending)
  }
}

/**
 * The head of every launch shell: join the memory cgroup whose `cgroup.procs` is `$1` ("0" = the writer
 * itself, in any PID namespace) before anything else starts, so every byte is charged; then drop `$1`.
 */
export function cgroupJoin(joinsCgroup: boolean): string {
  return joinsCgroup ? `echo 0 > "$1" || exit 121; shift; ` : 'shift; '
}

/** What a plain spare's shell runs after joining its cgroup: wait for the launch script's path, then source it. */
export function spareScript(): string {
  return 'IFS= read -r launch || exit 0; exec </dev/null; . "$launch"'
}

/**
 * The shell a rooted spare runs inside its private root, where no host file is reachable: it reads the whole
 * launch script from stdin (to EOF: a value may hold newlines), points stdin at /dev/null, and runs it. An
 * empty read (the host closed the pipe or died) exits.
 */
export function rootedSpareScript(): string {
  return 's=; while IFS= read -r l; do s="$s$l\n"; done; [ -n "$s" ] || exit 0; exec </dev/null; eval "$s"'
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** POSIX shell single-quoting: the word stands for exactly `value`, newlines included. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`
}

/**
 * The launch script a spare sources: the environment (nothing is inherited: the spare started with none),
 * the working dir (the shell's `cd` would export OLDPWD: unset, so the env is exactly what a direct launch
 * gives), then `body` with `args` as its positional parameters. One line, so the shell has parsed
 * all of it before it runs any of it. Undefined when an env name cannot be exported from a shell: launch
 * directly then.
 */
export function launchScript(env: Record<string, string>, cwd: string, args: string[], body: string): string | undefined {
  const names = Object.keys(env)
  if (!names.every((name) => NAME.test(name))) return undefined
  const exports = names.map((name) => `export ${name}=${shellQuote(env[name]!)}; `).join('')
  return `${exports}cd ${shellQuote(cwd)} || exit 123; unset OLDPWD; set -- ${args.map(shellQuote).join(' ')}; ${body}\n`
}
