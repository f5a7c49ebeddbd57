/**
 * Adapts the real engine parts (runner, plugin manager, router, dead-letter queue) to the `EnginePort` the
 * panel transport needs. The composition root (`src/main/engine.ts`) builds the parts and calls this; the
 * adapter only reads, subscribes and forwards — it holds no engine logic of its own.
 */
import { performance } from 'node:perf_hooks'
import type { DeadLetterQueue } from '../conductor/dlq/dead-letter-queue.ts'
import type { RequestRouter, RouterEvents } from '../conductor/router.ts'
import type { SandboxRunner } from '../conductor/sandbox/runner-api.ts'
import type { PluginManager, PluginManagerEvents } from '../plugins/manager.ts'
import type { DlqEntry } from '../../shared/dlq.ts'
import type { PluginsSnapshot } from '../../shared/routing.ts'
import type { ConductorError } from '../../shared/errors.ts'
import type { DlqIdsResult, PluginIsolation, ProcessView } from '../../shared/panel.ts'
import { err, ok, type Result } from '../../shared/result.ts'
import type { ResourceSample, SandboxExit } from '../../shared/sandbox.ts'
import type { EngineEvent, EnginePort } from './engine-port.ts'

export interface EngineParts {
  runner: SandboxRunner
  manager: PluginManager
  router: RequestRouter
  dlq: DeadLetterQueue
  now?: () => number
  /** Window of the per-platform rates and latencies, ms (default 10 s). */
  metricsWindowMs?: number
}

const MiB = 1024 * 1024
const MAX_EXITS = 200

function collect(ids: string[], act: (id: string) => Result<unknown, ConductorError>): Result<DlqIdsResult, ConductorError> {
  const result: DlqIdsResult = { done: [], failed: [] }
  for (const id of ids) {
    const outcome = act(id)
    if (outcome.ok) result.done.push(id)
    else result.failed.push({ id, error: outcome.error })
  }
  return ok(result)
}

export function createEnginePort(parts: EngineParts): EnginePort & { dispose(): void } {
  const { runner, manager, router, dlq } = parts
  const now = parts.now ?? Date.now
  const listeners = new Set<(event: EngineEvent) => void>()
  const exits: SandboxExit[] = []
  const emit = (event: EngineEvent): void => {
    for (const listener of listeners) listener(event)
  }
  /** Platform of each instance, from one plugins snapshot. */
  const platformByInstance = (plugins: PluginsSnapshot['plugins']): Map<string, string> => {
    const map = new Map<string, string>()
    for (const plugin of plugins) for (const i of plugin.instances) map.set(i.instanceId, plugin.platform)
    return map
  }
  const platformOf = (instanceId: string): string => platformByInstance(manager.snapshot().plugins).get(instanceId) ?? 'unknown'

  const onSample = (sample: ResourceSample): void => emit({ type: 'sample', sample })
  const onExit = (exit: SandboxExit): void => {
    exits.push(exit)
    if (exits.length > MAX_EXITS) exits.shift()
    emit({ type: 'exit', platform: platformOf(exit.instanceId), exit })
  }
  const onState = (change: PluginManagerEvents['instanceState'][0]): void => {
    emit({ type: 'instanceState', platform: change.platform, instanceId: change.instanceId, state: change.state, atMs: change.atMs, detail: change.detail })
  }
  const onBreaker = ({ platform, ...transition }: RouterEvents['breakerTransition'][0]): void => emit({ type: 'breaker', platform, transition })
  const onDlqAdded = ({ entry }: { entry: DlqEntry }): void => emit({ type: 'dlqAdded', entry })

  runner.on('sample', onSample)
  runner.on('exit', onExit)
  manager.on('instanceState', onState)
  router.on('breakerTransition', onBreaker)
  dlq.on('dlq.entryAdded', onDlqAdded)

  const processes = (plugins: PluginsSnapshot['plugins']): ProcessView[] => {
    const platforms = platformByInstance(plugins)
    return runner.instances().map((info) => ({
      instanceId: info.instanceId,
      platform: platforms.get(info.instanceId) ?? 'unknown',
      pid: info.pid,
      state: info.state,
      memoryCapBytes: info.limits.memoryMb * MiB
    }))
  }

  return {
    now,
    live: () => {
      // One plugins snapshot per tick serves both the plugin list and the process view.
      const plugins = manager.snapshot()
      return {
        metrics: router.platformMetrics(parts.metricsWindowMs),
        router: router.snapshot(),
        plugins,
        processes: processes(plugins.plugins),
        dlqCounts: dlq.counts()
      }
    },
    isolation: (): PluginIsolation[] => {
      const infos = new Map(runner.instances().map((info) => [info.instanceId, info]))
      return manager.snapshot().plugins.flatMap((plugin) => {
        const info = plugin.instances.map((i) => infos.get(i.instanceId)).find((x) => x !== undefined)
        return info ? [{ plugin: plugin.name, platform: plugin.platform, layers: info.isolation }] : []
      })
    },
    spares: () => runner.spareLaunchers?.() ?? [],
    recentSamples: () => runner.samples(),
    recentExits: () => [...exits],
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async testRoute(request, execute) {
      const started = performance.now()
      const decision = router.determineRoute(request)
      const routeMs = performance.now() - started
      const response = execute ? await router.routeRequest(request) : null
      return { executed: execute, decision, response, routeMs, totalMs: performance.now() - started }
    },
    dlq: {
      list: async (request) => dlq.page(request),
      get: async (id) => dlq.get(id),
      retry: async (ids) => collect(ids, (id) => dlq.operations.retry(id, 'retried from the panel')),
      discard: async (ids, reason) => collect(ids, (id) => dlq.operations.discard(id, reason)),
      undoDiscard: async (ids, reason) => collect(ids, (id) => dlq.operations.undoDiscard(id, reason ?? null)),
      editPayload: async (id, request, reason) => dlq.operations.editPayload(id, request, reason ?? null),
      bulkPreview: async (filter, action) => dlq.operations.previewBulk(action, filter),
      bulkApply: async (token, reason) => dlq.operations.applyBulk(token, reason ?? null),
      groups: async () => ok(dlq.errorGroups())
    },
    async restartInstance(instanceId) {
      const restarted = await manager.restartInstance(instanceId, 'restarted by an operator from the panel')
      return restarted ? ok({ instanceId }) : err({ code: 'NOT_FOUND', message: `no instance ${instanceId}`, id: instanceId })
    },
    resetBreaker: (platform, reason) => router.resetBreaker(platform, reason),
    forceOpenBreaker: (platform, reason) => router.forceOpenBreaker(platform, reason),
    dispose() {
      runner.off('sample', onSample)
      runner.off('exit', onExit)
      manager.off('instanceState', onState)
      router.off('breakerTransition', onBreaker)
      dlq.off('dlq.entryAdded', onDlqAdded)
      listeners.clear()
    }
  }
}
