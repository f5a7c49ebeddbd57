/**
 * The hardened process host: a plain Node child launched through a chain of layers, each detected by trying:
 *
 *   unshare --net --pid --mount --fork --kill-child   (no network; own PID and mount namespaces; dies with the host)
 *     → sh (namespace init, so Node is not PID 1: joins the memory cgroup, runs `mount -a -T <fstab>`)
 *       → unshare --root=<private root> --wd=<scratch>   (chroot into the read-only private root; mount-root.ts)
 *         → setpriv --bounding-set=-all --inh-caps=-all --no-new-privs   (no capability left: no remount)
 *           → node --permission --allow-fs-read=… --allow-fs-write=<scratch> --no-experimental-ffi
 *                --max-old-space-size=<75 % of the budget> --max-semi-space-size=… sandbox-host
 *
 * Without namespaces the chain is sh (cgroup) → node; without the mount layer (turned off, or mount/setpriv
 * unavailable) the chroot and setpriv hops are left out. Then, where the kernel offers Landlock and Node has
 * `node:ffi`, the filesystem layers come from Landlock instead (landlock.ts): Node is started through a
 * launcher that restricts itself to the sandbox's paths and execs it. With neither, they are only advisory.
 * `landlock: 'always'` stacks Landlock on the private root as well.
 *
 * Spare launchers (spare-launchers.ts) run that chain ahead of time as far as it does not depend on the plugin.
 * A rooted spare goes further for one root shape (the read paths of a plugin, its grants): its private root,
 * with a scratch dir of its own, is mounted and entered, capabilities are dropped, and a shell waits inside for
 * the launch script; the sandbox that claims its scratch dir (`claimScratch`) then starts with one exec. Under
 * Landlock the waiting process is the launcher instead (a Node started ahead, in `wait` mode), which takes a
 * launch request, restricts itself and execs.
 *
 * The message channel (fd 3, a socketpair) passes through every exec. In Electron, pass `process.execPath` as `nodePath` and
 * `{ ELECTRON_RUN_AS_NODE: '1' }` as `extraEnv`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import { constants } from 'node:os'
import { randomUUID } from 'node:crypto'
import type { IsolationLayer } from '../../../shared/sandbox.ts'
import { MemoryCgroup, probeCgroup, type CgroupSupport } from './cgroup.ts'
import { childrenOf, killAndReap, namespaceOf, refsOf, treeOf, type ProcessRef } from './proc-tree.ts'
import type { ExitInfo, HostCapabilities, ProcessHandle, ProcessHost, ScratchShape, SpawnSpec } from './process-host.ts'
import { encodeFrame, FrameDecoder } from './framing.ts'
import { heapFlags } from './heap-flags.ts'
import { probeLaunchLayers, type LaunchProbe } from './launch-probe.ts'
import { enterRoot, mountScript, prepareMountRoot, type MountRoot, type MountTools } from './mount-root.ts'
import { probeMountLayer, type MountProbe } from './mount-probe.ts'
import { verifyMountLayer } from './mount-evidence.ts'
import type { LandlockRules, LaunchRequest } from './child/landlock-launcher.ts'
import { LAUNCHER_FLAGS, landlockCommand, landlockLauncherFor, landlockRules, probeLandlock, type LandlockProbe } from './landlock.ts'
import { cgroupJoin, launchScript, rootedSpareScript, spareScript, SpareLaunchers, type Spare } from './spare-launchers.ts'

export interface HardenedHostOptions {
  /** The Node binary (default `process.execPath`). */
  nodePath?: string
  /** Added to every child's env (e.g. `ELECTRON_RUN_AS_NODE=1`). */
  extraEnv?: Record<string, string>
  /** Turn layers off (e.g. to compare); by default every layer the machine supports is used. */
  useNamespaces?: boolean
  useCgroup?: boolean
  /** The private read-only root (mount namespace); on by default where the machine allows it. */
  useMountNamespace?: boolean
  /**
   * Landlock where the kernel and Node offer it: for sandboxes without a private root (`fallback`, default),
   * for every sandbox, on top of the namespaces (`always`), or never (`off`).
   */
  landlock?: 'fallback' | 'always' | 'off'
  /**
   * Launch chains kept started ahead of time per chain shape (namespaces entered, cgroup joined, waiting for
   * a plugin; see spare-launchers.ts); 0 = none. Default 1.
   */
  spareLaunchers?: number
}

/** What a launch produced: the outermost process and what it was wrapped in. */
interface Launched extends Spare {
  /** Host-private dir holding the launch script a spare sourced; removed after the exit. */
  launchDir: string | null
}

/** A spare waiting inside a mounted private root, with the scratch dir that root makes writable. */
interface RootedSpare extends Spare {
  readonly root: MountRoot
  readonly scratchDir: string
  /** The root shape it fits (`rootKey`). */
  readonly key: string
  /** Device and inode of every bound path when it was mounted: a path replaced since (a plugin folder swapped
   *  for a new version, a library upgraded) would still show the old one through this root. */
  readonly identity: string
  /** Stacked Landlock: the launcher waiting inside (for a launch request), instead of a shell (for a script). */
  readonly launcher: string | null
  readonly discard: () => void
}

/** Plugin roots that keep a rooted spare at once (least recently used ones give theirs up). */
const ROOTED_SHAPES_KEPT = 16

/** A spare's cgroup limit until it is taken: only its shell is in the group by then. */
const SPARE_LIMIT_BYTES = 64 * 1024 * 1024
/** The same for a spare whose waiting process is a Landlock launcher: a Node process (~45 MiB here). */
const LAUNCHER_SPARE_LIMIT_BYTES = 256 * 1024 * 1024

// First name wins: SIGABRT before its alias SIGIOT.
const signalNames = new Map<number, string>()
for (const [name, number] of Object.entries(constants.signals)) if (!signalNames.has(number)) signalNames.set(number, name)

export class HardenedProcessHost implements ProcessHost {
  readonly kind = 'hardened' as const
  readonly addedEnvKeys: readonly string[]
  private readonly nodePath: string
  private readonly extraEnv: Record<string, string>
  private readonly options: HardenedHostOptions
  private readonly spares: SpareLaunchers
  private readonly rootedSpares: SpareLaunchers<RootedSpare>
  /** Landlock launchers already started (their Node is most of Landlock's cost), waiting for a launch request. */
  private readonly landlockSpares: SpareLaunchers
  /** Rooted spares whose scratch dir a sandbox claimed and has not spawned with yet, by scratch dir. */
  private readonly claimed = new Map<string, RootedSpare>()
  private probe: Promise<{ launch: LaunchProbe; mount: MountProbe; landlock: LandlockProbe; cgroup: CgroupSupport | null; cgroupEvidence: string }> | undefined

  constructor(options: HardenedHostOptions = {}) {
    this.options = options
    this.nodePath = options.nodePath ?? process.execPath
    this.extraEnv = options.extraEnv ?? {}
    this.addedEnvKeys = Object.keys(this.extraEnv)
    this.spares = new SpareLaunchers(options.spareLaunchers ?? 1)
    this.rootedSpares = new SpareLaunchers<RootedSpare>(options.spareLaunchers ?? 1, { maxShapes: ROOTED_SHAPES_KEPT })
    this.landlockSpares = new SpareLaunchers(options.spareLaunchers ?? 1)
  }

  private probed() {
    if (this.probe) return this.probe
    const launched = probeLaunchLayers(this.nodePath, this.extraEnv).then((launch) =>
      this.options.useNamespaces === false ? { ...launch, namespaces: null } : launch
    )
    const mounted = launched.then((launch): Promise<MountProbe> | MountProbe => {
      if (this.options.useMountNamespace === false) return { tools: null, evidence: 'mount namespace disabled by configuration' }
      if (!launch.namespaces) return { tools: null, evidence: 'no namespaces on this host' }
      return probeMountLayer(launch.namespaces.prefix, this.nodePath, this.extraEnv)
    })
    // In fallback mode Landlock is only ever used where there is no private root: with one, it is not probed.
    const landlock = mounted.then((mount): Promise<LandlockProbe> | LandlockProbe => {
      if (this.options.landlock === 'off') return { support: null, evidence: 'Landlock disabled by configuration' }
      if (this.options.landlock !== 'always' && mount.tools) return { support: null, evidence: 'not needed: sandboxes get a private root (landlock: fallback)' }
      return probeLandlock(this.nodePath, this.extraEnv)
    })
    this.probe = Promise.all([launched, mounted, landlock, probeCgroup()]).then(([launch, mount, ll, cg]) => ({
      launch,
      mount,
      landlock: ll,
      cgroup: this.options.useCgroup === false ? null : cg.support,
      cgroupEvidence: this.options.useCgroup === false ? 'disabled by configuration' : cg.evidence
    }))
    return this.probe
  }

  async capabilities(): Promise<HostCapabilities> {
    const { launch, mount, landlock, cgroup, cgroupEvidence } = await this.probed()
    const layers: IsolationLayer[] = launch.layers.map((layer) =>
      layer.layer === 'filesystem-read' && mount.tools
        ? { layer: 'filesystem-read', status: 'enforced', mechanism: 'mount namespace: private read-only root, no capabilities', evidence: mount.evidence }
        : layer.layer === 'filesystem-read' && landlock.support
          ? { layer: 'filesystem-read', status: 'enforced', mechanism: `Landlock ABI ${landlock.support.abi}: kernel path rules`, evidence: `no private root (${mount.evidence}); ${landlock.evidence}` }
          : layer.layer === 'filesystem-read'
            ? { ...layer, evidence: `${layer.evidence}; no private root: ${mount.evidence}; no Landlock: ${landlock.evidence}` }
            : layer
    )
    layers.push(
      cgroup
        ? { layer: 'cgroup-memory', status: 'enforced', mechanism: `cgroup v${cgroup.version} memory limit`, evidence: cgroupEvidence }
        : { layer: 'cgroup-memory', status: 'unavailable', mechanism: 'cgroup memory limit', evidence: cgroupEvidence }
    )
    return {
      network: launch.namespaces !== null || launch.permissionDeniesNetwork,
      filesystem: launch.permission,
      processes: launch.permission,
      layers
    }
  }

  async claimScratch(shape: ScratchShape): Promise<string | null> {
    const { launch, mount, landlock, cgroup } = await this.probed()
    const tools = mount.tools
    const ns = launch.namespaces
    if (!launch.permission || ns === null || tools === null || tools.shellFiles === undefined || shape.fsRead.includes('*')) return null
    const unshare = unshareArgs(ns, shape.network, true)
    const key = rootKey(unshare, shape, cgroup !== null)
    let spare = this.rootedSpares.take(key)
    while (spare !== undefined && identityOf(spare.root.sources) !== spare.identity) {
      abandon(spare, false)
      spare = this.rootedSpares.take(key)
    }
    // Stacked Landlock: the spare is the launcher, started ahead of time and waiting inside the root.
    const launcher = this.options.landlock === 'always' && landlock.support && shape.scriptPath ? landlockLauncherFor(landlock.support, shape.scriptPath) : null
    this.rootedSpares.refill(key, () => this.spawnRootedSpare(cgroup, unshare, tools, shape, key, launcher))
    if (spare === undefined) return null
    this.claimed.set(spare.scratchDir, spare)
    return spare.scratchDir
  }

  async spawn(spec: SpawnSpec): Promise<ProcessHandle> {
    const { launch, mount, landlock, cgroup } = await this.probed()
    const claimed = this.claimed.get(spec.cwd)
    this.claimed.delete(spec.cwd)
    if (!launch.permission) {
      if (claimed) abandon(claimed, true)
      throw new Error(`${this.nodePath} does not support --permission (it answered: ${launch.nodeVersion || 'nothing'}); refusing to run a sandbox`)
    }
    const p = spec.permissions
    const nodeArgs = [
      '--permission',
      ...p.fsRead.map((path) => `--allow-fs-read=${path}`),
      ...p.fsWrite.map((path) => `--allow-fs-write=${path}`),
      ...(p.network && launch.allowNetFlag ? ['--allow-net'] : []),
      ...(p.childProcesses ? ['--allow-child-process'] : []),
      ...(p.workers ? ['--allow-worker'] : []),
      ...(p.nativeAddons ? ['--allow-addons'] : []),
      ...(launch.ffiFlag ? ['--no-experimental-ffi'] : []),
      ...heapFlags(spec.memoryMb),
      spec.scriptPath
    ]
    const ns = launch.namespaces
    // The private root needs the namespaces; a policy with unrestricted files gets none.
    const withRoot = ns !== null && mount.tools !== null && !p.fsRead.includes('*')
    const unshare = ns ? unshareArgs(ns, p.network, withRoot) : []
    const limitBytes = spec.memoryMb * 1024 * 1024
    // Without a private root, Landlock (where offered) keeps the kernel in charge of the filesystem; `always`
    // stacks it on the namespaces too.
    const wantsLandlock = this.options.landlock === 'always' || !withRoot
    const kernelRules = wantsLandlock && landlock.support && !p.fsRead.includes('*') ? { abi: landlock.support.abi, rules: landlockRules(landlock.support, p) } : null
    const launcher = kernelRules ? landlockLauncherFor(landlock.support!, spec.scriptPath) : null
    const node = kernelRules ? landlockCommand(this.nodePath, launcher!, kernelRules.rules, [this.nodePath, ...nodeArgs]) : [this.nodePath, ...nodeArgs]
    // Inside a private root the launcher must be there too.
    const rootReads = launcher ? [...p.fsRead, launcher] : p.fsRead
    const env = { ...spec.env, ...this.extraEnv }
    // What a launcher started ahead of time is handed instead of the command line.
    const request: LaunchRequest | null = kernelRules ? { rules: kernelRules.rules, file: this.nodePath, args: nodeArgs, env, cwd: spec.cwd } : null
    // A claimed rooted spare is used only for exactly the root it was made for (and its scratch as the only
    // writable path); anything else launches the usual way, with the claimed scratch dir as an ordinary one.
    if (claimed) {
      const shape: ScratchShape = { fsRead: p.fsRead.filter((path) => path !== spec.cwd), network: p.network, childProcesses: p.childProcesses, scriptPath: spec.scriptPath }
      const fits = withRoot && claimed.key === rootKey(unshare, shape, cgroup !== null) && p.fsWrite.length === 1 && p.fsWrite[0] === spec.cwd && claimed.launcher === launcher
      const handle = fits ? this.launchFromRootedSpare(claimed, env, spec.cwd, node, request, limitBytes) : undefined
      if (handle) return new HardenedHandle(handle.child, handle.pidNamespace, handle.netNamespace, handle.group, spec.maxMessageBytes, claimed.root, p.fsWrite, null, kernelRules)
      abandon(claimed, true)
    }
    let root: MountRoot | null = null
    if (withRoot) root = prepareMountRoot({ tools: mount.tools!, readPaths: rootReads, writePaths: p.fsWrite, systemRuntime: p.childProcesses, network: p.network })
    // The shell body after the cgroup join: the private root's mounts, then the chain down to Node. The shell
    // stays as Node's parent: in a PID namespace as init (Node runs as pid 2, with normal signal semantics);
    // without one, so that `process.ppid` is this shell and not the host.
    const body = root ? `${mountScript(mount.tools!)}"$@"; exit $?` : `"$@"; exit $?`
    const args = root ? [root.fstabPath, ...enterRoot(mount.tools!, root, spec.cwd, node)] : node
    const chain = unshare.join(' ')
    try {
      if (request && !root) {
        const key = `${chain} ${launcher}`
        const launched = this.launchFromLandlockSpare(key, request, limitBytes)
        this.landlockSpares.refill(key, () => startSpare(cgroup, unshare, '"$@"; exit $?', [this.nodePath, ...LAUNCHER_FLAGS, launcher!, 'wait'], this.extraEnv))
        if (launched) return new HardenedHandle(launched.child, launched.pidNamespace, launched.netNamespace, launched.group, spec.maxMessageBytes, null, p.fsWrite, null, kernelRules)
      }
      const spare = this.launchFromSpare(chain, env, spec.cwd, args, body, limitBytes)
      const handle = spare ?? this.launchDirectly(cgroup, spec.instanceId, limitBytes, unshare, env, spec.cwd, args, body)
      if (cgroup || ns) this.spares.refill(chain, () => this.spawnSpare(cgroup, unshare))
      return new HardenedHandle(handle.child, handle.pidNamespace, handle.netNamespace, handle.group, spec.maxMessageBytes, root, p.fsWrite, handle.launchDir, kernelRules)
    } catch (cause) {
      root?.remove()
      throw cause
    }
  }

  /** The spare launchers waiting for a sandbox right now (plain ones, rooted ones, then Landlock launchers). */
  spareLaunchers(): { pid: number | undefined; cgroupDir: string | null; rooted: boolean; landlock: boolean; scratchDir: string | null }[] {
    const view = (landlock: boolean) => (spare: Spare | RootedSpare) => ({
      pid: spare.child.pid,
      cgroupDir: spare.group?.dir ?? null,
      rooted: 'root' in spare,
      landlock,
      scratchDir: 'scratchDir' in spare ? spare.scratchDir : null
    })
    return [...this.spares.live().map(view(false)), ...this.rootedSpares.live().map(view(false)), ...this.landlockSpares.live().map(view(true))]
  }

  /** Ends the spare launchers (and rooted spares claimed but never spawned); running sandboxes are not affected. */
  async close(): Promise<void> {
    for (const spare of this.claimed.values()) abandon(spare, true)
    this.claimed.clear()
    await Promise.all([this.spares.close(), this.rootedSpares.close(), this.landlockSpares.close()])
  }

  private launchDirectly(
    cgroup: CgroupSupport | null,
    instanceId: string,
    limitBytes: number,
    unshare: string[],
    env: Record<string, string>,
    cwd: string,
    args: string[],
    body: string
  ): Launched {
    const group = cgroup ? MemoryCgroup.create(cgroup, `conductor-${instanceId.replace(/[^\w.-]/g, '_').slice(0, 40)}-${randomUUID().slice(0, 8)}`, limitBytes) : null
    const command = [...unshare, '/bin/sh', '-c', `${cgroupJoin(group !== null)}${body}`, 'sh', group?.procsFile ?? '-', ...args]
    try {
      // fd 3 is the message channel: a socketpair carrying newline-delimited JSON (see framing.ts).
      const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env, cwd, detached: true })
      return { child, group, pidNamespace: unshare.length > 0, netNamespace: unshare.includes('--net'), launchDir: null }
    } catch (cause) {
      void group?.remove()
      throw cause
    }
  }

  /** Hands a sandbox to a waiting spare of this shape, if one is live; undefined otherwise. */
  private launchFromSpare(shape: string, env: Record<string, string>, cwd: string, args: string[], body: string, limitBytes: number): Launched | undefined {
    const script = launchScript(env, cwd, args, body)
    if (script === undefined) return undefined
    const spare = this.spares.take(shape)
    if (!spare) return undefined
    let launchDir: string | null = null
    try {
      spare.group?.setLimit(limitBytes)
      // Host-private (0700) and outside anything the sandbox can write: the shell reads it with full rights.
      launchDir = mkdtempSync(join(tmpdir(), 'conductor-launch-'))
      const file = join(launchDir, 'launch.sh')
      writeFileSync(file, script, { mode: 0o600 })
      spare.child.stdin!.end(`${file}\n`)
    } catch {
      spare.child.stdin?.destroy()
      if (launchDir) rmSync(launchDir, { recursive: true, force: true })
      return undefined
    }
    return { child: spare.child, group: spare.group, pidNamespace: spare.pidNamespace, netNamespace: spare.netNamespace, launchDir }
  }

  /**
   * Hands a sandbox to a waiting Landlock launcher of this chain, if one is live: the limit is set and the
   * launch request goes down its stdin (one line; it restricts itself and execs). Undefined otherwise.
   */
  private launchFromLandlockSpare(key: string, request: LaunchRequest, limitBytes: number): Launched | undefined {
    const spare = this.landlockSpares.take(key)
    if (!spare || spare.child.exitCode !== null || spare.child.signalCode !== null) return undefined
    try {
      spare.group?.setLimit(limitBytes)
      spare.child.stdin!.end(`${JSON.stringify(request)}\n`)
    } catch {
      spare.child.stdin?.destroy()
      return undefined
    }
    return { child: spare.child, group: spare.group, pidNamespace: spare.pidNamespace, netNamespace: spare.netNamespace, launchDir: null }
  }

  /**
   * Hands a sandbox to the rooted spare it claimed: the limit is set and the launch script goes down its stdin
   * (the shell inside the root reads it to EOF, then runs it), or the launch request, to a waiting launcher.
   * Undefined when it cannot be used.
   */
  private launchFromRootedSpare(spare: RootedSpare, env: Record<string, string>, cwd: string, node: string[], request: LaunchRequest | null, limitBytes: number): Launched | undefined {
    // A waiting launcher takes a launch request (one JSON line), a waiting shell the launch script.
    const script = spare.launcher ? (request ? `${JSON.stringify(request)}\n` : undefined) : launchScript(env, cwd, node, '"$@"; exit $?')
    if (script === undefined || spare.child.exitCode !== null || spare.child.signalCode !== null) return undefined
    try {
      spare.group?.setLimit(limitBytes)
      spare.child.stdin!.end(script)
    } catch {
      return undefined
    }
    return { child: spare.child, group: spare.group, pidNamespace: spare.pidNamespace, netNamespace: spare.netNamespace, launchDir: null }
  }

  /**
   * A spare for one root shape: namespaces, cgroup, its own scratch dir, the private root mounted and entered
   * (chroot, every capability dropped), then a shell inside waiting for its launch script on stdin, or, for
   * stacked Landlock, that shell running the launcher, which waits for its launch request.
   */
  private spawnRootedSpare(cgroup: CgroupSupport | null, unshare: string[], tools: MountTools, shape: ScratchShape, key: string, launcher: string | null): RootedSpare {
    const shell = tools.shellFiles![0]!
    const scratchDir = mkdtempSync(join(tmpdir(), 'conductor-scratch-'))
    let root: MountRoot | null = null
    try {
      root = prepareMountRoot({ tools, readPaths: [...shape.fsRead, ...tools.shellFiles!, ...(launcher ? [launcher] : [])], writePaths: [scratchDir], systemRuntime: shape.childProcesses, network: shape.network })
      const made = root
      const head = `${mountScript(tools)}exec "$@"`
      // The shell stays PID 1 of the namespace, so Node is not; with a launcher it runs the launcher as its child.
      const waiting = launcher ? [shell, '-c', '"$@"; exit $?', 'sh', this.nodePath, ...LAUNCHER_FLAGS, launcher, 'wait'] : [shell, '-c', rootedSpareScript(), 'sh']
      const spare = startSpare(cgroup, unshare, head, [made.fstabPath, ...enterRoot(tools, made, scratchDir, waiting)], launcher ? this.extraEnv : undefined)
      return {
        ...spare, root: made, scratchDir, key, launcher,
        identity: identityOf(made.sources),
        discard: () => {
          made.remove()
          rmSync(scratchDir, { recursive: true, force: true })
        }
      }
    } catch (cause) {
      root?.remove()
      rmSync(scratchDir, { recursive: true, force: true })
      throw cause
    }
  }

  private spawnSpare(cgroup: CgroupSupport | null, unshare: string[]): Spare {
    return startSpare(cgroup, unshare, spareScript(), [])
  }
}

/**
 * Starts a spare's process: the unshare head, then a shell that joins its own memory cgroup and runs `body`
 * with `args`. The cgroup's limit is rewritten to the sandbox's own at take time; until then only the spare
 * is in the group.
 */
function startSpare(cgroup: CgroupSupport | null, unshare: string[], body: string, args: string[], launcherEnv?: Record<string, string>): Spare {
  // A waiting launcher is a whole Node process: a shell's 64 MiB could kill it before anyone takes it.
  const limit = launcherEnv ? LAUNCHER_SPARE_LIMIT_BYTES : SPARE_LIMIT_BYTES
  const group = cgroup ? MemoryCgroup.create(cgroup, `conductor-spare-${randomUUID().slice(0, 8)}`, limit) : null
  const command = [...unshare, '/bin/sh', '-c', `${cgroupJoin(group !== null)}${body}`, 'sh', group?.procsFile ?? '-', ...args]
  try {
    const child = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'pipe', 'pipe'], env: launcherEnv ?? {}, cwd: '/', detached: true })
    child.on('error', () => {
      // A spawn failure also emits 'close'; the pool drops the spare then.
    })
    child.stdin!.on('error', () => {
      // EPIPE: the spare died before it was used; the pool drops it on 'close'.
    })
    return { child, group, pidNamespace: unshare.length > 0, netNamespace: unshare.includes('--net') }
  } catch (cause) {
    void group?.remove()
    throw cause
  }
}

class HardenedHandle implements ProcessHandle {
  private readonly child: ChildProcess
  private readonly pidNamespace: boolean
  private readonly netNamespace: boolean
  private readonly group: MemoryCgroup | null
  private readonly root: MountRoot | null
  private readonly writePaths: string[]
  private readonly launchDir: string | null
  /** The Landlock rules Node was started under (by the launcher, which execs only once they are in force). */
  private readonly landlock: { abi: number; rules: LandlockRules } | null
  private nodePid: number | undefined
  /** The sandbox's tree as it was when a kill began: what must be gone before the exit is reported. */
  private killed: ProcessRef[] = []
  private exited: ExitInfo | undefined
  private sigkilled = false
  private readonly exitListeners: ((info: ExitInfo) => void)[] = []
  private readonly messageListeners: ((message: unknown) => void)[] = []
  private readonly violationListeners: ((why: string) => void)[] = []
  private readonly channel: Duplex

  constructor(
    child: ChildProcess,
    pidNamespace: boolean,
    netNamespace: boolean,
    group: MemoryCgroup | null,
    maxMessageBytes: number,
    root: MountRoot | null,
    writePaths: string[],
    launchDir: string | null,
    landlock: { abi: number; rules: LandlockRules } | null
  ) {
    this.child = child
    this.landlock = landlock
    this.root = root
    this.launchDir = launchDir
    this.writePaths = writePaths
    this.pidNamespace = pidNamespace
    this.netNamespace = netNamespace
    this.group = group
    this.channel = child.stdio[3] as Duplex
    const decoder = new FrameDecoder(
      maxMessageBytes,
      (message) => {
        for (const listener of this.messageListeners) listener(message)
      },
      (why) => {
        for (const listener of this.violationListeners) listener(why)
      }
    )
    this.channel.on('data', (chunk: Buffer) => decoder.push(chunk))
    this.channel.on('error', () => {
      // EPIPE/ECONNRESET when the child dies mid-write; the exit is reported through 'close'.
    })
    child.on('error', () => {
      // A spawn failure also emits 'exit' (or 'close'); the handle reports it there.
    })
    // Without a PID namespace, the wrapper shell's exit means Node is gone (or a plugin killed the shell):
    // anything left in the process group would otherwise hold the pipes open and delay 'close' forever.
    child.once('exit', () => {
      if (this.pidNamespace || child.pid === undefined) return
      // Node and what it started (also outside the group) go too, and the exit waits until they are gone.
      this.killed = [...this.killed, ...refsOf(this.treePids())]
      signal(-child.pid, 'SIGKILL')
    })
    // 'close' rather than 'exit': by then the stdio pipes are drained, so the output buffers are complete.
    child.once('close', (code, exitSignal) => void this.finish(code, exitSignal))
  }

  private async finish(code: number | null, rawSignal: NodeJS.Signals | null): Promise<void> {
    let exitCode = code
    let exitSignal: string | null = rawSignal
    // The wrapper shell reports a signalled Node as status 128+n.
    if (code !== null && code > 128 && signalNames.has(code - 128)) {
      exitSignal = signalNames.get(code - 128)!
      exitCode = null
    }
    // Our SIGKILL went to the namespace init and Node; unshare then exits with a status of its own (1 in
    // util-linux 2.38), so report the signal that really ended the sandbox.
    if (this.pidNamespace && this.sigkilled && exitSignal === null) {
      exitSignal = 'SIGKILL'
      exitCode = null
    }
    const oomKilled = this.group?.oomKilled() ?? false
    // Without a PID namespace, a killed plugin's own children (one in a session of its own) may still be dying.
    await killAndReap(this.killed)
    await this.group?.remove()
    this.root?.remove()
    if (this.launchDir) rmSync(this.launchDir, { recursive: true, force: true })
    this.exited = { exitCode, signal: exitSignal, oomKilled }
    for (const listener of this.exitListeners) listener(this.exited)
  }

  get pid(): number | undefined {
    if (this.nodePid !== undefined || this.child.pid === undefined) return this.nodePid ?? this.child.pid
    // unshare → namespace init (sh) → node, or without namespaces: sh → node
    const shell = this.pidNamespace ? childrenOf(this.child.pid)[0] : this.child.pid
    const node = shell === undefined ? undefined : childrenOf(shell)[0]
    // Before the last exec, the shell's child is still a wrapper (mount, unshare --root, setpriv): not Node yet.
    if (node === undefined || WRAPPERS.has(commOf(node))) return undefined
    this.nodePid = node
    return node
  }

  get stdout() {
    return this.child.stdout
  }

  get stderr() {
    return this.child.stderr
  }

  send(message: unknown): void {
    if (!this.exited && this.channel.writable) this.channel.write(encodeFrame(message))
  }

  onMessage(listener: (message: unknown) => void): void {
    this.messageListeners.push(listener)
  }

  onProtocolError(listener: (why: string) => void): void {
    this.violationListeners.push(listener)
  }

  onExit(listener: (info: ExitInfo) => void): void {
    if (this.exited) listener(this.exited)
    else this.exitListeners.push(listener)
  }

  treePids(): number[] {
    const pid = this.pid
    return pid === undefined || this.exited ? [] : treeOf(pid)
  }

  kill(graceMs: number): Promise<void> {
    if (this.exited) return Promise.resolve()
    const done = new Promise<void>((resolve) => this.onExit(() => resolve()))
    const tree = this.treePids()
    this.killed = refsOf(tree)
    for (const pid of tree) signal(pid, 'SIGTERM')
    const timer = setTimeout(() => this.killNow(), graceMs)
    void done.then(() => clearTimeout(timer))
    return done
  }

  private killNow(): void {
    const root = this.child.pid
    if (root === undefined) return
    this.sigkilled = true
    if (this.pidNamespace) {
      // SIGKILL the namespace init and everything under it, but not unshare itself: the kernel kills every
      // process left in the namespace when its init dies, and unshare exits only once that init is reaped,
      // so our exit event means the whole namespace is gone. (Killing unshare would report the exit early.)
      for (const pid of treeOf(root).slice(1)) signal(pid, 'SIGKILL')
      // Should unshare itself hang, --kill-child still takes the namespace down with it.
      setTimeout(() => signal(root, 'SIGKILL'), 1000).unref()
      return
    }
    for (const pid of [...treeOf(root), ...this.treePids()]) signal(pid, 'SIGKILL')
    signal(-root, 'SIGKILL')
  }

  verify(): IsolationLayer[] {
    const pid = this.pid
    const layers: IsolationLayer[] = []
    if (pid === undefined) return layers
    const hostNet = namespaceOf('self', 'net')
    const childNet = namespaceOf(pid, 'net')
    if (this.netNamespace && childNet && childNet !== hostNet) {
      layers.push({ layer: 'network', status: 'enforced', mechanism: 'network namespace (unshare --net)', evidence: `/proc/${pid}/ns/net is ${childNet}, host is ${hostNet}` })
    }
    const hostPidNs = namespaceOf('self', 'pid')
    const childPidNs = namespaceOf(pid, 'pid')
    if (this.pidNamespace && childPidNs && childPidNs !== hostPidNs) {
      layers.push({ layer: 'signals', status: 'enforced', mechanism: 'PID namespace (unshare --pid)', evidence: `/proc/${pid}/ns/pid is ${childPidNs}, host is ${hostPidNs}` })
    }
    if (this.root) layers.push(...verifyMountLayer(pid, this.root, this.writePaths))
    if (this.landlock) layers.push(...landlockLayers(this.landlock))
    if (this.group) {
      const limit = this.group.readLimitBytes()
      const joined = this.group.pids().includes(pid)
      layers.push({
        layer: 'cgroup-memory',
        status: joined ? 'enforced' : 'unavailable',
        mechanism: `cgroup v${this.group.version} ${this.group.limitFile}`,
        evidence: `${this.group.dir}: limit reads back ${limit} B; pid ${pid} ${joined ? 'is' : 'is NOT'} in cgroup.procs`
      })
    }
    return stackLayers(layers)
  }
}

/** One entry per layer: where two mechanisms hold the same layer (namespaces and Landlock), both are named. */
function stackLayers(layers: IsolationLayer[]): IsolationLayer[] {
  const byLayer = new Map<IsolationLayer['layer'], IsolationLayer>()
  for (const layer of layers) {
    const seen = byLayer.get(layer.layer)
    if (seen === undefined) {
      byLayer.set(layer.layer, layer)
      continue
    }
    const enforced = seen.status === 'enforced' || layer.status === 'enforced'
    byLayer.set(layer.layer, {
      layer: layer.layer,
      status: enforced ? 'enforced' : seen.status,
      mechanism: `${seen.mechanism}; ${layer.mechanism}`,
      evidence: `${seen.evidence}; ${layer.evidence}`
    })
  }
  return [...byLayer.values()]
}

/**
 * The layers Landlock holds for a sandbox started through the launcher (it execs Node only after
 * landlock_restrict_self succeeded; a failure ends the launch before the sandbox exists). The report still
 * requires the self-test to see the kernel refuse what the permission model lets through.
 */
function landlockLayers({ abi, rules }: { abi: number; rules: LandlockRules }): IsolationLayer[] {
  const mechanism = `Landlock ABI ${abi}: kernel path rules (symlinks and node:sqlite included), + Node permission model`
  const evidence = `started under a Landlock ruleset: read ${rules.read.length} paths, execute ${rules.execute.length}, write only ${rules.write.join(', ')}${rules.denyTcp && abi >= 4 ? '; TCP connect/bind denied' : ''}`
  const layers: IsolationLayer[] = [
    { layer: 'filesystem-read', status: 'enforced', mechanism, evidence },
    { layer: 'filesystem-write', status: 'enforced', mechanism, evidence }
  ]
  if (rules.scope && abi >= 6) {
    layers.push({ layer: 'signals', status: 'enforced', mechanism: `Landlock ABI ${abi} signal scope`, evidence: 'signals to processes outside the sandbox are refused by the kernel' })
  }
  // Advisory, not enforced: Landlock covers TCP only, so UDP stays open to what the permission model allows.
  if (rules.denyTcp && abi >= 4) {
    layers.push({ layer: 'network', status: 'advisory', mechanism: `Landlock ABI ${abi}: TCP connect/bind denied (UDP not covered)`, evidence: 'started under a ruleset that handles TCP and allows no port' })
  }
  return layers
}

// The shells a launch chain may run (`/bin/sh` resolves to one of these in rooted spares) and its other hops.
const WRAPPERS = new Set(['sh', 'dash', 'bash', 'busybox', 'mount', 'unshare', 'setpriv', ''])

/** The unshare head of a chain: fresh network (unless granted), PID and (with a private root) mount namespaces. */
function unshareArgs(ns: { command: string; prefix: string[] }, network: boolean, withRoot: boolean): string[] {
  return [ns.command, ...ns.prefix, ...(network ? [] : ['--net']), '--pid', ...(withRoot ? ['--mount'] : []), '--fork', '--kill-child']
}

/** Which rooted spares fit a sandbox: the chain, whether a cgroup is joined, and everything the root holds. */
function rootKey(unshare: string[], shape: ScratchShape, withCgroup: boolean): string {
  return JSON.stringify([unshare, withCgroup, [...shape.fsRead].sort(), shape.network, shape.childProcesses, shape.scriptPath ?? null])
}

/**
 * A rooted spare that will not be used: its shell reads EOF and exits; then its cgroup and root go, and its
 * scratch dir too unless a sandbox claimed it (then the scratch dir is that sandbox's).
 */
function abandon(spare: RootedSpare, claimed: boolean): void {
  spare.child.once('close', () => {
    void spare.group?.remove()
    if (claimed) spare.root.remove()
    else spare.discard()
  })
  spare.child.stdin?.end()
}

/** Device:inode of each path (missing ones too), so a replaced path shows as a change. */
function identityOf(paths: readonly string[]): string {
  return paths
    .map((path) => {
      try {
        const stat = statSync(path)
        return `${stat.dev}:${stat.ino}`
      } catch {
        return 'missing'
      }
    })
    .join(',')
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
  } catch {
    return ''
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {
    // Already gone.
  }
}
