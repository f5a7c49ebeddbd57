/**
 * The mount-namespace filesystem layer of the hardened host. Each sandbox gets a private root: an empty
 * skeleton directory (mountpoints only) bound read-only onto itself, with read-only binds of exactly what
 * the child needs (the Node binary and the shared libraries `ldd` lists, `setpriv`, the host script and its
 * deps, the plugin folder, granted read paths), a writable bind of the scratch dir, a fresh read-only /proc
 * for its PID namespace and /dev/{null,zero,urandom}. All mounts are made by one `mount -a -T <fstab>` inside
 * the new mount namespace (nothing appears on the host), then `unshare --root` chroots into it and `setpriv`
 * drops every capability (bounding set emptied, no_new_privs) before Node starts, so nothing inside can
 * remount, unmount or chroot out. Paths keep their host names inside, so allow-lists and module paths match.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmdirSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'

/** What the layer needs from the machine, found once per Node binary. */
export interface MountTools {
  mountPath: string
  unsharePath: string
  setprivPath: string
  /** Absolute paths (as the loader opens them) of the Node binary, `setpriv` and their shared libraries. */
  runtimeFiles: string[]
  /** Whole folders the runtime needs (Electron's own folder: resources, ICU data, snapshots). */
  runtimeDirs: string[]
  /**
   * The POSIX shell (resolved `/bin/sh`) and its libraries: a rooted spare waits inside its private root in
   * this shell. Absent: no rooted spares (sandboxes still get a private root, made at launch).
   */
  shellFiles?: string[]
}

export interface MountRootInput {
  tools: MountTools
  /** Read-only: host script and deps, plugin folder, granted paths. Missing paths are skipped. */
  readPaths: string[]
  /** Writable: the scratch dir. */
  writePaths: string[]
  /** A plugin granted child processes also sees the system binaries and libraries (/usr, /bin, /lib…), read-only. */
  systemRuntime: boolean
  /** A plugin granted network also sees the resolver configuration (/etc/resolv.conf, hosts, nsswitch.conf), read-only. */
  network?: boolean
}

export interface MountRoot {
  rootDir: string
  fstabPath: string
  /** Number of bind mounts, for the evidence. */
  bindCount: number
  /** The host paths bound into the root. */
  sources: string[]
  /** Removes the skeleton without following anything: only the empty dirs and files it created. */
  remove(): void
}

export const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib64', '/lib32', '/libx32']
export const DEVICES = ['/dev/null', '/dev/zero', '/dev/urandom']
export const RESOLVER_FILES = ['/etc/resolv.conf', '/etc/hosts', '/etc/nsswitch.conf', '/etc/gai.conf']

/** fstab fields escape space, tab, newline and backslash as octal. */
function escapeField(path: string): string {
  return path.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`)
}

/**
 * Where skeletons go: /dev/shm (tmpfs) where it is writable, since a skeleton is a few dozen mkdir/touch calls
 * and on a disk-backed /tmp those cost ~1 ms each (measured: 27 ms per skeleton on ext4 vs 2 ms on tmpfs).
 */
function skeletonBase(): string {
  const name = `conductor-root-${process.pid}-`
  try {
    return mkdtempSync(join('/dev/shm', name))
  } catch {
    return mkdtempSync(join(tmpdir(), name))
  }
}

/** Removes an emptied skeleton bottom-up: only empty files, symlinks and then empty dirs; never follows a link. */
function removeSkeleton(path: string): void {
  try {
    const stat = lstatSync(path)
    if (stat.isDirectory()) {
      for (const name of readdirSync(path)) removeSkeleton(join(path, name))
      rmdirSync(path)
    } else if (stat.isSymbolicLink() || (stat.isFile() && stat.size === 0) || path.endsWith('/fstab')) unlinkSync(path)
  } catch {
    // in use or not ours to remove: leave it
  }
}

/**
 * Skeletons of hosts that died without cleaning up (their pid is in the name): removed at probe time.
 * A live host's skeletons are left alone, since their directories are mountpoints of running sandboxes.
 */
export function sweepStaleSkeletons(): number {
  let removed = 0
  for (const dir of ['/dev/shm', tmpdir()]) {
    let names: string[] = []
    try {
      names = readdirSync(dir)
    } catch {
      continue
    }
    for (const name of names) {
      const pid = Number(/^conductor-root-(\d+)-/.exec(name)?.[1] ?? NaN)
      if (!Number.isInteger(pid) || pid === process.pid || pidAlive(pid)) continue
      removeSkeleton(join(dir, name))
      removed++
    }
  }
  return removed
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (cause) {
    return (cause as NodeJS.ErrnoException).code === 'EPERM'
  }
}

interface Bind {
  source: string
  target: string
  writable: boolean
  device: boolean
}

const covers = (dir: string, path: string): boolean => path === dir || path.startsWith(`${dir}/`)

/** Builds the skeleton and the fstab for one sandbox. Synchronous and cheap (a few dozen fs calls). */
export function prepareMountRoot(input: MountRootInput): MountRoot {
  const base = skeletonBase()
  const rootDir = join(base, 'root')
  mkdirSync(rootDir, { mode: 0o755 })
  const created: string[] = []
  const ensureDir = (path: string): void => {
    const inside = join(rootDir, path)
    if (existsSync(inside)) return
    ensureDir(dirname(path))
    mkdirSync(inside, { mode: 0o755 })
    created.push(inside)
  }
  const ensureFile = (path: string): void => {
    const inside = join(rootDir, path)
    if (existsSync(inside)) return
    ensureDir(dirname(path))
    writeFileSync(inside, '', { mode: 0o644 })
    created.push(inside)
  }

  const binds: Bind[] = []
  const systemDirs = input.systemRuntime ? SYSTEM_DIRS.filter((dir) => existsSync(dir)) : []
  for (const dir of systemDirs) {
    if (lstatSync(dir).isSymbolicLink()) {
      // Merged /usr: /bin -> usr/bin and so on; the same relative link inside resolves within the root.
      symlinkSync(readlinkSync(dir), join(rootDir, dir))
      created.push(join(rootDir, dir))
    } else binds.push({ source: dir, target: dir, writable: false, device: false })
  }
  const underSystem = (path: string): boolean => systemDirs.some((dir) => covers(dir, path))
  const writable = input.writePaths.map((path) => resolve(path))
  const resolver = input.network ? RESOLVER_FILES : []
  const readable = [...input.tools.runtimeDirs, ...input.tools.runtimeFiles, ...resolver, ...input.readPaths].map((path) => resolve(path))
  for (const path of readable) {
    if (underSystem(path) || writable.includes(path) || !existsSync(path)) continue
    binds.push({ source: path, target: path, writable: false, device: false })
  }
  for (const path of writable) if (existsSync(path)) binds.push({ source: path, target: path, writable: true, device: false })
  for (const device of DEVICES) if (existsSync(device)) binds.push({ source: device, target: device, writable: false, device: true })

  // Parents before children; a read-only path already inside another read-only bind adds nothing.
  binds.sort((a, b) => a.target.length - b.target.length)
  const kept: Bind[] = []
  for (const bind of binds) {
    if (kept.some((k) => k.target === bind.target)) continue
    if (!bind.writable && kept.some((k) => !k.writable && !k.device && covers(k.target, bind.target))) continue
    kept.push(bind)
  }
  for (const bind of kept) {
    if (statSync(bind.source).isDirectory()) ensureDir(bind.target)
    else ensureFile(bind.target)
  }
  ensureDir('/proc')
  ensureDir('/tmp')

  const line = (source: string, target: string, type: string, options: string): string =>
    `${escapeField(source)} ${escapeField(target === '/' ? rootDir : join(rootDir, target))} ${type} ${options} 0 0`
  const lines = [
    // The skeleton itself, read-only: nothing can be created outside the writable binds.
    line(rootDir, '/', 'none', 'bind,ro,nosuid,nodev'),
    ...kept.map((bind) => line(bind.source, bind.target, 'none', bind.writable ? 'bind,nosuid,nodev' : bind.device ? 'bind,ro,nosuid' : 'bind,ro,nosuid,nodev')),
    // A fresh /proc for the sandbox's PID namespace, read-only (uid 0 may write some sysctls without capabilities).
    line('proc', '/proc', 'proc', 'ro,nosuid,nodev,noexec')
  ]
  const fstabPath = join(base, 'fstab')
  writeFileSync(fstabPath, `${lines.join('\n')}\n`)

  return {
    rootDir,
    fstabPath,
    bindCount: kept.length,
    sources: kept.map((bind) => bind.source),
    remove(): void {
      // Never recursive: should a bind still be mounted (it cannot be, the namespace is gone), rmdir/unlink
      // fail with EBUSY instead of deleting what it shows.
      for (const path of [...created].reverse()) {
        try {
          if (lstatSync(path).isDirectory()) rmdirSync(path)
          else unlinkSync(path)
        } catch {
          // left behind; harmless empty entry
        }
      }
      for (const path of [fstabPath]) {
        try {
          unlinkSync(path)
        } catch {
          // already gone
        }
      }
      for (const dir of [rootDir, base]) {
        try {
          rmdirSync(dir)
        } catch {
          // not empty or gone
        }
      }
    }
  }
}

/** Prefix of the shell line that mounts the fstab given as "$1" inside the new namespace. */
export function mountScript(tools: MountTools): string {
  return `${tools.mountPath} -a -T "$1" || exit 122; shift; `
}

/** The exec chain after the mounts: chroot + working dir, then drop every capability, then `command`. */
export function enterRoot(tools: MountTools, root: MountRoot, cwd: string, command: string[]): string[] {
  return [
    tools.unsharePath,
    `--root=${root.rootDir}`,
    `--wd=${cwd}`,
    tools.setprivPath,
    '--bounding-set=-all',
    '--inh-caps=-all',
    '--no-new-privs',
    '--',
    ...command
  ]
}
