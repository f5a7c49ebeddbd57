/**
 * `PluginManager`: discovers platform plugins (built-ins under `resources/plugins`, plus the user folder from
 * config), starts `instances` sandboxes per plugin through the `SandboxRunner`, restarts an instance that dies
 * (exponential backoff, listening to the runner's `exit` events), runs periodic health checks, and tells the
 * router which instances of a platform are usable (`instancesOf`, `getPlugin`). A plugin that fails to load
 * is reported with file and reason; the others still run.
 */
import { EventEmitter } from 'node:events'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { InstanceSnapshot, PluginLoadError, PluginsSnapshot } from '../../shared/routing.ts'
import type { SandboxExit } from '../../shared/sandbox.ts'
import type { PlatformDirectory, PlatformInstanceView } from '../conductor/routing/platform-directory.ts'
import type { SandboxRunner, StartOptions } from '../conductor/sandbox/runner-api.ts'
import { discoverPlugins, type DiscoveredPlugin, type PluginRoot } from './discovery.ts'
import { PluginsConfigSchema, type PluginsConfig, type PluginsConfigInput } from './plugins-config.ts'

/**
 * Built-in plugins: `resources/plugins` found from this file in the source tree (src/main/plugins) or in the
 * bundle (out/main), else under the working directory. A packaged app passes its own `builtinDir`.
 */
export const DEFAULT_BUILTIN_PLUGINS_DIR =
  [resolve(import.meta.dirname, '../../../resources/plugins'), resolve(import.meta.dirname, '../../resources/plugins')].find((dir) =>
    existsSync(dir)
  ) ?? resolve(process.cwd(), 'resources/plugins')

export interface PluginManagerOptions {
  runner: SandboxRunner
  config?: PluginsConfigInput
  builtinDir?: string
  now?: () => number
}

export interface PluginManagerEvents {
  instanceState: [{ plugin: string; platform: string; instanceId: string; state: InstanceSnapshot['state']; healthy: boolean; atMs: number; detail: string }]
  loadError: [PluginLoadError]
}

interface ManagedInstance extends PlatformInstanceView {
  plugin: ManagedPlugin
  restarts: number
  consecutiveDeaths: number
  startedAtMs: number | null
  lastExit: InstanceSnapshot['lastExit']
  lastHealthCheck: InstanceSnapshot['lastHealthCheck']
  nextRestartAtMs: number | null
  timer: NodeJS.Timeout | null
  /**
   * The instance's restarts run one after another: a backoff restart already stopping or starting the
   * sandbox and an operator's restart must not both start it (the second start would fail as a duplicate
   * and be counted as a death).
   */
  lifecycle: Promise<unknown>
}

interface ManagedPlugin {
  found: DiscoveredPlugin
  startOptions: StartOptions
  deniedPermissions: string[]
  instances: ManagedInstance[]
}

/** What the router (and the panel) get for one plugin. */
export interface LivePlugin {
  name: string
  platform: string
  version: string
  modulePath: string
  instances: readonly PlatformInstanceView[]
}

export class PluginManager extends EventEmitter<PluginManagerEvents> implements PlatformDirectory {
  readonly config: PluginsConfig
  private readonly runner: SandboxRunner
  private readonly roots: PluginRoot[]
  private readonly now: () => number
  private readonly byName = new Map<string, ManagedPlugin>()
  private readonly byPlatform = new Map<string, ManagedInstance[]>()
  private readonly byInstance = new Map<string, ManagedInstance>()
  private readonly loadErrors: PluginLoadError[] = []
  private healthTimer: NodeJS.Timeout | null = null
  private healthRound: Promise<void> | null = null
  private stopping = false
  private readonly onExit = (exit: SandboxExit): void => this.handleExit(exit)

  constructor(options: PluginManagerOptions) {
    super()
    this.config = PluginsConfigSchema.parse(options.config ?? {})
    this.runner = options.runner
    this.now = options.now ?? Date.now
    this.roots = [{ dir: options.builtinDir ?? DEFAULT_BUILTIN_PLUGINS_DIR, source: 'builtin' }]
    if (this.config.userPluginsDir !== undefined) this.roots.push({ dir: this.config.userPluginsDir, source: 'user' })
  }

  /** Discovers and starts every plugin; resolves when each instance is ready or has failed (reported). */
  async start(): Promise<PluginsSnapshot> {
    this.runner.on('exit', this.onExit)
    const { plugins, errors } = discoverPlugins(this.roots, this.now)
    for (const error of errors) this.reportLoadError(error)
    for (const found of plugins) this.register(found)
    await Promise.all([...this.byInstance.values()].map((instance) => this.startInstance(instance, true)))
    if (this.config.healthCheckIntervalMs > 0) {
      this.healthTimer = setInterval(() => void this.checkHealth(), this.config.healthCheckIntervalMs)
      this.healthTimer.unref()
    }
    return this.snapshot()
  }

  /** A plugin by name or platform, with its live instances; undefined when none is loaded. */
  getPlugin(name: string): LivePlugin | undefined {
    const plugin = this.byName.get(name) ?? [...this.byName.values()].find((p) => p.found.manifest.platform === name)
    if (plugin === undefined) return undefined
    const { manifest, modulePath } = plugin.found
    return { name: manifest.name, platform: manifest.platform, version: manifest.version, modulePath, instances: plugin.instances }
  }

  /** Called on every routed request: returns the live array (no copy). */
  instancesOf(platform: string): readonly PlatformInstanceView[] | undefined {
    return this.byPlatform.get(platform)
  }

  /** Platforms of the loaded plugins. */
  listPlatforms(): string[] {
    return [...this.byPlatform.keys()]
  }

  /** One health-check round over ready instances (also run periodically). Rounds never overlap. */
  checkHealth(): Promise<void> {
    this.healthRound ??= this.runHealthRound().finally(() => {
      this.healthRound = null
    })
    return this.healthRound
  }

  /** Restarts one instance now (operator action); the reason is kept as its last exit. */
  async restartInstance(instanceId: string, reason: string): Promise<boolean> {
    const instance = this.byInstance.get(instanceId)
    if (instance === undefined || this.stopping) return false
    this.clearTimer(instance)
    instance.lastExit = { atMs: this.now(), reason: 'restarted', detail: reason }
    instance.nextRestartAtMs = null
    this.setState(instance, 'restarting', reason)
    return this.oneAtATime(instance, async () => {
      if (this.stopping) return false
      this.clearTimer(instance) // a death during the wait scheduled one more: this restart covers it
      await this.runner.stop(instanceId)
      instance.restarts++
      return this.startInstance(instance, false)
    })
  }

  private oneAtATime<T>(instance: ManagedInstance, action: () => Promise<T>): Promise<T> {
    const run = instance.lifecycle.then(action)
    instance.lifecycle = run.catch(() => undefined)
    return run
  }

  snapshot(): PluginsSnapshot {
    return {
      plugins: [...this.byName.values()].map((plugin) => ({
        name: plugin.found.manifest.name,
        platform: plugin.found.manifest.platform,
        version: plugin.found.manifest.version,
        source: plugin.found.source,
        dir: plugin.found.dir,
        deniedPermissions: [...plugin.deniedPermissions],
        instances: plugin.instances.map((i) => ({
          instanceId: i.instanceId,
          state: i.state,
          healthy: i.healthy,
          inFlight: this.runner.instances().find((info) => info.instanceId === i.instanceId)?.inFlight ?? 0,
          restarts: i.restarts,
          startedAtMs: i.startedAtMs,
          lastExit: i.lastExit,
          lastHealthCheck: i.lastHealthCheck,
          nextRestartAtMs: i.nextRestartAtMs
        }))
      })),
      loadErrors: [...this.loadErrors]
    }
  }

  /** Stops health checks, pending restarts and every instance. */
  async stop(): Promise<void> {
    this.stopping = true
    if (this.healthTimer !== null) clearInterval(this.healthTimer)
    this.runner.off('exit', this.onExit)
    for (const instance of this.byInstance.values()) this.clearTimer(instance)
    await Promise.all(
      [...this.byInstance.values()].map(async (instance) => {
        await this.runner.stop(instance.instanceId)
        this.setState(instance, 'stopped', 'plugin manager stopped')
      })
    )
  }

  private register(found: DiscoveredPlugin): void {
    const { manifest } = found
    const granted = new Set(this.config.grants[manifest.name]?.networkHosts ?? [])
    const networkHosts = manifest.permissions.networkHosts.filter((host) => granted.has(host))
    const deniedPermissions = manifest.permissions.networkHosts.filter((host) => !granted.has(host)).map((host) => `network:${host}`)
    const override = this.config.overrides[manifest.name]
    const limits: StartOptions['limits'] = {}
    if (manifest.limits.memoryMb !== undefined) limits.memoryMb = manifest.limits.memoryMb
    if (manifest.limits.timeoutMs !== undefined) limits.timeoutMs = manifest.limits.timeoutMs
    const plugin: ManagedPlugin = {
      found,
      startOptions: { limits, policy: { networkHosts }, pluginConfig: { ...manifest.config, ...(override?.settings ?? {}) } },
      deniedPermissions,
      instances: []
    }
    const count = override?.instances ?? manifest.instances
    for (let i = 1; i <= count; i++) {
      const instance: ManagedInstance = {
        instanceId: `${manifest.name}-${i}`,
        state: 'starting',
        healthy: true,
        plugin,
        restarts: 0,
        consecutiveDeaths: 0,
        startedAtMs: null,
        lastExit: null,
        lastHealthCheck: null,
        nextRestartAtMs: null,
        timer: null,
        lifecycle: Promise.resolve()
      }
      plugin.instances.push(instance)
      this.byInstance.set(instance.instanceId, instance)
    }
    this.byName.set(manifest.name, plugin)
    this.byPlatform.set(manifest.platform, plugin.instances)
  }

  /** Starts (or restarts) one instance; on a first start a failure is a load error, later it backs off. */
  private async startInstance(instance: ManagedInstance, first: boolean): Promise<boolean> {
    this.setState(instance, first ? 'starting' : 'restarting', first ? 'starting' : 'restarting after exit')
    const { modulePath } = instance.plugin.found
    let started
    try {
      started = await this.runner.start(modulePath, instance.instanceId, instance.plugin.startOptions)
    } catch (cause) {
      started = { ok: false as const, error: { code: 'INTERNAL' as const, message: cause instanceof Error ? cause.message : String(cause) } }
    }
    if (this.stopping) {
      // `stop()` ran while this start was in progress and did not see its sandbox: stop it here.
      if (started.ok) await this.runner.stop(instance.instanceId)
      this.setState(instance, 'stopped', 'plugin manager stopped')
      return false
    }
    if (started.ok) {
      instance.startedAtMs = this.now()
      instance.healthy = true
      instance.nextRestartAtMs = null
      this.setState(instance, 'ready', 'started')
      return true
    }
    if (first) {
      this.reportLoadError({ file: modulePath, reason: `${instance.instanceId} failed to start: ${started.error.message}`, atMs: this.now() })
      this.setState(instance, 'failed', started.error.message)
    } else {
      instance.lastExit = { atMs: this.now(), reason: 'start-failed', detail: started.error.message }
      this.scheduleRestart(instance)
    }
    return false
  }

  private handleExit(exit: SandboxExit): void {
    const instance = this.byInstance.get(exit.instanceId)
    if (instance === undefined || this.stopping || exit.reason === 'stopped') return
    if (instance.state !== 'ready') return
    instance.lastExit = { atMs: exit.atMs, reason: exit.reason, detail: exit.detail }
    const ranMs = instance.startedAtMs === null ? 0 : this.now() - instance.startedAtMs
    if (ranMs >= this.config.restart.stableAfterMs) instance.consecutiveDeaths = 0
    this.scheduleRestart(instance)
  }

  private scheduleRestart(instance: ManagedInstance): void {
    const { initialDelayMs, maxDelayMs } = this.config.restart
    const delayMs = Math.min(maxDelayMs, initialDelayMs * 2 ** instance.consecutiveDeaths)
    instance.consecutiveDeaths++
    instance.nextRestartAtMs = this.now() + delayMs
    this.setState(instance, 'restarting', `restart in ${delayMs} ms (${instance.lastExit?.reason ?? 'exit'}: ${instance.lastExit?.detail ?? ''})`)
    this.clearTimer(instance)
    instance.timer = setTimeout(() => {
      instance.timer = null
      void this.oneAtATime(instance, async () => {
        await this.runner.stop(instance.instanceId)
        if (this.stopping) return
        instance.restarts++
        await this.startInstance(instance, false)
      })
    }, delayMs)
  }

  private async runHealthRound(): Promise<void> {
    const ready = [...this.byInstance.values()].filter((i) => i.state === 'ready')
    await Promise.all(
      ready.map(async (instance) => {
        const atMs = this.now()
        let ok = false
        let detail: string | null = null
        try {
          const result = await this.runner.healthCheck(instance.instanceId, { timeoutMs: this.config.healthCheckTimeoutMs })
          const output = result.status === 'ok' ? (result.output as { healthy?: unknown; ok?: unknown } | null | undefined) : undefined
          ok = result.status === 'ok' && output?.healthy !== false && output?.ok !== false
          detail = result.status === 'ok' ? (ok ? null : 'plugin reported unhealthy') : `${result.status}: ${result.error.message}`
        } catch (cause) {
          detail = cause instanceof Error ? cause.message : String(cause)
        }
        if (instance.state !== 'ready') return
        instance.lastHealthCheck = { atMs, ok, detail }
        if (instance.healthy !== ok) {
          instance.healthy = ok
          this.emitState(instance, ok ? 'healthy again' : `unhealthy: ${detail ?? ''}`)
        }
      })
    )
  }

  private setState(instance: ManagedInstance, state: InstanceSnapshot['state'], detail: string): void {
    instance.state = state
    this.emitState(instance, detail)
  }

  private emitState(instance: ManagedInstance, detail: string): void {
    const { name, platform } = instance.plugin.found.manifest
    this.emit('instanceState', { plugin: name, platform, instanceId: instance.instanceId, state: instance.state, healthy: instance.healthy, atMs: this.now(), detail })
  }

  private clearTimer(instance: ManagedInstance): void {
    if (instance.timer !== null) clearTimeout(instance.timer)
    instance.timer = null
  }

  private reportLoadError(error: PluginLoadError): void {
    this.loadErrors.push(error)
    this.emit('loadError', error)
  }
}
