/**
 * The seam between the sandbox engine and the way a child process is launched. Two implementations: the
 * hardened host (plain Node child wrapped in cgroup + namespaces + permission model; `hardened-host.ts`) and
 * the Electron utility host (`src/main/electron/utility-host.ts`). The engine never imports electron; the
 * utility host is injected by the Electron composition root.
 */
import type { IsolationLayer } from '../../../shared/sandbox.ts'

/** What a host can enforce at all. A policy needing something marked false is moved or refused. */
export interface HostCapabilities {
  /** Can deny network access (namespace or permission model, probed). */
  network: boolean
  /** Can restrict file reads/writes. */
  filesystem: boolean
  /** Can deny child processes and workers. */
  processes: boolean
  /** The probed layers, with evidence. */
  layers: IsolationLayer[]
}

export interface SpawnPermissions {
  /** Absolute paths the child may read (its host script and deps, the plugin folder, granted paths). */
  fsRead: string[]
  /** Absolute paths the child may write (its scratch dir). */
  fsWrite: string[]
  network: boolean
  childProcesses: boolean
  workers: boolean
  nativeAddons: boolean
}

/** What a prepared scratch dir must fit: everything of the spawn spec that shapes the private root. */
export interface ScratchShape {
  /** `SpawnPermissions.fsRead` without the scratch dir itself. */
  fsRead: string[]
  network: boolean
  childProcesses: boolean
  /** The child host script the sandbox will run (a spare made ahead may need what sits beside it). */
  scriptPath?: string
}

export interface SpawnSpec {
  instanceId: string
  /** The sandbox host script (child/sandbox-host). */
  scriptPath: string
  /** The complete environment of the child: nothing is inherited. */
  env: Record<string, string>
  cwd: string
  /** Memory budget of the whole tree; the host derives the heap cap and the cgroup limit from it. */
  memoryMb: number
  /** Largest message the host accepts from the child; a bigger one is a protocol violation. */
  maxMessageBytes: number
  permissions: SpawnPermissions
}

export interface ExitInfo {
  exitCode: number | null
  signal: string | null
  /** Set when the host can tell the kernel killed the tree for memory (cgroup OOM). */
  oomKilled: boolean
}

/** A running sandbox process as seen from the host. */
export interface ProcessHandle {
  /** Host-side pid of the Node process running the sandbox host; undefined until it exists. */
  readonly pid: number | undefined
  readonly stdout: NodeJS.ReadableStream | null
  readonly stderr: NodeJS.ReadableStream | null
  send(message: unknown): void
  onMessage(listener: (message: unknown) => void): void
  /** Called when the child wrote something that is not a frame (bad JSON, oversize): kill it. */
  onProtocolError(listener: (why: string) => void): void
  /** Called once, after the process (and, where the host can tell, its whole tree) ended. */
  onExit(listener: (info: ExitInfo) => void): void
  /** The sandbox's process tree (host pids): the Node process and everything it started. */
  treePids(): number[]
  /** Kills the whole tree: SIGTERM, then SIGKILL after `graceMs`. Resolves after the exit. */
  kill(graceMs: number): Promise<void>
  /** Layers this host verified for this process from the outside (namespace ids, cgroup read-back). */
  verify(): IsolationLayer[]
}

export interface ProcessHost {
  readonly kind: 'hardened' | 'utility'
  /**
   * Env keys the host itself adds to every child beyond the spec's env (e.g. `ELECTRON_RUN_AS_NODE`), so the
   * environment check expects them instead of reporting them as leaked host variables.
   */
  readonly addedEnvKeys?: readonly string[]
  capabilities(): Promise<HostCapabilities>
  /**
   * A scratch dir the host prepared ahead for a sandbox of this shape (inside a launcher whose private root is
   * already mounted), or null: the caller makes its own. The caller owns it exactly as one it made, and spawns
   * with it as `cwd` and only writable path; the host then launches from what it prepared.
   */
  claimScratch?(shape: ScratchShape): Promise<string | null>
  /** Launchers the host keeps started ahead of time, waiting for a sandbox (for the panel). */
  spareLaunchers?(): Array<{ pid: number | undefined; rooted: boolean; landlock: boolean }>
  spawn(spec: SpawnSpec): Promise<ProcessHandle>
  /** Releases what the host keeps between spawns (spare launchers); running sandboxes are not affected. */
  close?(): Promise<void>
}
