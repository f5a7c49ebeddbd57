/**
 * A small in-memory engine implementing `EnginePort` for the panel's tests, the browser test and the bench.
 * It behaves like the real one where the panel can tell: a platform fails on demand, its breaker opens after
 * three consecutive failures and rejects while open, failures become dead-letter entries, a retry resolves
 * once the platform recovers, and `advance(ms)` moves a controllable clock and emits resource samples.
 * No timers, no I/O: every effect happens inside a call the test makes.
 */
import type { DlqEntry } from '../../../src/shared/dlq.ts'
import type { ConductorError } from '../../../src/shared/errors.ts'
import type { TestRouteResult } from '../../../src/shared/panel.ts'
import { err, ok, type Result } from '../../../src/shared/result.ts'
import type { BreakerSnapshot, BreakerState, RouteDecision, RouteResponse } from '../../../src/shared/routing.ts'
import type { EngineEvent, EngineLiveState, EnginePort } from '../../../src/main/transport/engine-port.ts'
import { FakeDlq } from './fake-dlq.ts'

export interface FakePlatformOptions {
  name: string
  instances: number
}

interface Platform {
  name: string
  failing: boolean
  breaker: BreakerSnapshot
  ok: number
  failed: number
  latenciesMs: number[]
  /** Requests waiting for a free instance (the router's admission line). */
  queued: number
  instances: { id: string; pid: number; state: 'starting' | 'ready' | 'restarting' | 'down'; restarts: number; startedAtMs: number; routed: number }[]
  rr: number
}

const MiB = 1024 * 1024

export class FakeEngine implements EnginePort {
  #nowMs: number
  readonly #listeners = new Set<(event: EngineEvent) => void>()
  readonly #platforms = new Map<string, Platform>()
  readonly dlq: FakeDlq
  #nextPid = 4000
  #seq = 0

  constructor(platforms: FakePlatformOptions[] = [{ name: 'discord', instances: 2 }, { name: 'android', instances: 2 }], startMs = Date.UTC(2026, 10, 25, 12)) {
    this.#nowMs = startMs
    for (const { name, instances } of platforms) {
      this.#platforms.set(name, {
        name,
        failing: false,
        ok: 0,
        failed: 0,
        latenciesMs: [],
        queued: 0,
        rr: 0,
        breaker: {
          platform: name, state: 'closed', sinceMs: startMs, consecutiveFailures: 0, consecutiveThreshold: 3, failureRate: null,
          failureRateThreshold: 0.5, windowMs: 60_000, callsInWindow: 0, minimumCalls: 10, lastFailure: null, nextProbeAtMs: null,
          lastProbe: null, transitions: []
        },
        instances: Array.from({ length: instances }, (_, i) => ({
          id: `${name}-${i + 1}`, pid: this.#nextPid++, state: 'ready' as const, restarts: 0, startedAtMs: startMs, routed: 0
        }))
      })
    }
    this.dlq = new FakeDlq({ now: () => this.#nowMs, emit: (event) => this.#emit(event), deliver: (entry) => this.#deliver(entry) })
  }

  now(): number {
    return this.#nowMs
  }

  /** Moves the clock and emits one CPU/RSS sample per live process (every 1 s of the advance). */
  advance(ms: number): void {
    const end = this.#nowMs + ms
    while (this.#nowMs + 1000 <= end) {
      this.#nowMs += 1000
      for (const platform of this.#platforms.values()) {
        for (const [i, instance] of platform.instances.entries()) {
          if (instance.state !== 'ready') continue
          const t = this.#nowMs / 1000
          this.#emit({ type: 'sample', sample: { instanceId: instance.id, pid: instance.pid, atMs: this.#nowMs, cpuPercent: 5 + ((t * 7 + i * 13) % 30), rssBytes: (40 + ((t * 3 + i * 5) % 20)) * MiB } })
        }
      }
      this.#maybeHalfOpen()
    }
    this.#nowMs = end
  }

  /** Makes a platform fail every request (`true`) or recover (`false`). */
  setFailing(platform: string, failing: boolean): void {
    this.#platform(platform).failing = failing
  }

  /** Sets how many requests wait for a free instance of the platform. */
  setQueued(platform: string, queued: number): void {
    this.#platform(platform).queued = queued
  }

  /** Simulates the runner killing a process for memory; the manager restarts it. */
  killForMemory(instanceId: string): void {
    for (const platform of this.#platforms.values()) {
      const instance = platform.instances.find((x) => x.id === instanceId)
      if (!instance) continue
      this.#emit({ type: 'exit', platform: platform.name, exit: { instanceId, pid: instance.pid, atMs: this.#nowMs, reason: 'memory_limit', detail: 'exceeded 64 MiB RSS (71 MiB sampled)', exitCode: null, signal: 'SIGKILL' } })
      this.#restart(platform, instance)
    }
  }

  subscribe(listener: (event: EngineEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #emit(event: EngineEvent): void {
    for (const listener of this.#listeners) listener(event)
  }

  #platform(name: string): Platform {
    const platform = this.#platforms.get(name)
    if (!platform) throw new Error(`fake engine: no platform ${name}`)
    return platform
  }

  live(): EngineLiveState {
    const platforms = [...this.#platforms.values()]
    return {
      metrics: platforms.map((p) => {
        const sorted = [...p.latenciesMs].sort((a, b) => a - b)
        const at = (q: number): number | null => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : null)
        return { platform: p.name, requestsPerSec: (p.ok + p.failed) / 60, errorsPerSec: p.failed / 60, p50Ms: at(0.5), p95Ms: at(0.95), inFlight: 0, queued: p.queued }
      }),
      router: {
        atMs: this.#nowMs,
        strategy: 'round-robin',
        totals: { ok: sum(platforms, (p) => p.ok), failed: sum(platforms, (p) => p.failed), rejected: 0, dlqHandOffs: sum(platforms, (p) => p.failed) },
        inFlight: 0,
        platforms: platforms.map((p) => ({
          platform: p.name,
          counts: { ok: p.ok, failed: p.failed, rejected: 0, dlqHandOffs: p.failed },
          breaker: structuredClone(p.breaker),
          instances: p.instances.map((i) => ({ instanceId: i.id, inFlight: 0, routed: i.routed }))
        })),
        rules: platforms.map((p) => ({ id: `builtin:${p.name}`, platforms: [p.name], source: 'builtin' as const, hits: p.ok + p.failed }))
      },
      plugins: {
        plugins: platforms.map((p) => ({
          name: p.name, platform: p.name, version: '1.0.0', source: 'builtin' as const, dir: `/plugins/${p.name}`, deniedPermissions: [],
          instances: p.instances.map((i) => ({
            instanceId: i.id, state: i.state, healthy: i.state === 'ready', inFlight: 0, restarts: i.restarts, startedAtMs: i.startedAtMs,
            lastExit: null, lastHealthCheck: { atMs: this.#nowMs, ok: i.state === 'ready', detail: null }, nextRestartAtMs: null
          }))
        })),
        loadErrors: []
      },
      processes: platforms.flatMap((p) => p.instances.map((i) => ({ instanceId: i.id, platform: p.name, pid: i.pid, state: i.state, memoryCapBytes: 64 * MiB }))),
      dlqCounts: this.dlq.counts()
    }
  }

  isolation() {
    return [...this.#platforms.values()].map((p) => ({
      plugin: p.name,
      platform: p.name,
      layers: [
        { layer: 'process' as const, status: 'enforced' as const, mechanism: 'child_process.fork', evidence: 'pid differs from host' },
        { layer: 'time' as const, status: 'enforced' as const, mechanism: 'host timer + SIGKILL', evidence: 'host-side deadline' },
        { layer: 'rss-watchdog' as const, status: 'enforced-by-polling' as const, mechanism: 'pidusage 250 ms', evidence: 'sampling every 250 ms' },
        { layer: 'network' as const, status: 'enforced' as const, mechanism: 'unshare -rn', evidence: 'host listener saw no connection' },
        { layer: 'filesystem-read' as const, status: 'advisory' as const, mechanism: 'node --permission', evidence: 'symlink escape possible (Node seat belt)' },
        { layer: 'cgroup-memory' as const, status: 'unavailable' as const, mechanism: 'cgroup v2', evidence: 'no delegated cgroup' }
      ]
    }))
  }

  /** One launcher of each kind, as the hardened host keeps them. */
  spares() {
    return [
      { pid: 4101, kind: 'chain' as const, rssBytes: 3 * MiB },
      { pid: 4102, kind: 'rooted' as const, rssBytes: 4 * MiB },
      { pid: 4103, kind: 'landlock' as const, rssBytes: 45 * MiB }
    ]
  }

  recentSamples() {
    return []
  }

  recentExits() {
    return []
  }

  #decide(request: unknown): RouteDecision {
    const r = request as { type?: unknown; content?: unknown; target?: unknown; id?: unknown }
    if (typeof request !== 'object' || request === null || typeof r.type !== 'string' || typeof r.content !== 'string') {
      const issues = typeof r?.type !== 'string' ? [{ path: 'type', message: 'expected a string' }] : [{ path: 'content', message: 'expected a string' }]
      return { ok: false, error: { code: 'BAD_REQUEST', message: 'invalid request', issues }, ruleId: null }
    }
    const targets = typeof r.target === 'string' ? [r.target] : Array.isArray(r.target) ? (r.target as string[]) : null
    const content = r.content
    let platforms: string[]
    let ruleId: string
    let reason: string
    if (targets) [platforms, ruleId, reason] = [targets, 'explicit-target', `target ${targets.join(', ')}`]
    else if (r.type === 'discord' || /^[!/]/.test(content)) [platforms, ruleId, reason] = [['discord'], 'builtin:discord', 'type discord or a command prefix']
    else if (r.type === 'android' || /^(GET|POST|PUT|DELETE) \/api\//.test(content)) [platforms, ruleId, reason] = [['android'], 'builtin:android', 'an Android API call']
    else if (this.#platforms.has(r.type)) [platforms, ruleId, reason] = [[r.type], `builtin:${r.type}`, `type ${r.type}`]
    else return { ok: false, error: { code: 'ROUTE_NOT_FOUND', message: `no rule matches type ${r.type}` }, ruleId: null }
    const missing = platforms.find((p) => !this.#platforms.has(p))
    if (missing) return { ok: false, error: { code: 'ROUTE_NOT_FOUND', message: `unknown platform ${missing}`, platform: missing }, ruleId }
    const instances = Object.fromEntries(platforms.map((p) => {
      const platform = this.#platform(p)
      return [p, platform.instances[platform.rr % platform.instances.length]!.id]
    }))
    const id = typeof r.id === 'string' ? r.id : `req-${++this.#seq}`
    return { ok: true, requestId: id, platform: platforms[0]!, platforms, instanceId: instances[platforms[0]!]!, instances, ruleId, timeoutMs: 5000, priority: 0, reason }
  }

  async testRoute(request: unknown, execute: boolean): Promise<TestRouteResult> {
    const decision = this.#decide(request)
    if (!execute) return { executed: false, decision, response: null, routeMs: 0.01, totalMs: 0.01 }
    if (!decision.ok) {
      const response: RouteResponse = { requestId: null, ruleId: decision.ruleId, ok: false, status: 'rejected', results: [], error: decision.error, dlqId: null, durationMs: 0 }
      return { executed: true, decision, response, routeMs: 0.01, totalMs: 0.02 }
    }
    const results = decision.platforms.map((name) => this.#execute(name, request as Record<string, unknown>, decision.requestId))
    const failures = results.filter((x) => !x.ok)
    const status = failures.length === 0 ? 'ok' : failures.length === results.length ? 'failed' : 'partial'
    let dlqId: string | null = null
    const failure = failures[0]
    if (failure && !failure.ok) {
      dlqId = this.dlq.add({ ...(request as Record<string, unknown>), id: decision.requestId }, failure.platform, decision.ruleId, failure.error, failure.instanceId)
    }
    const response: RouteResponse = {
      requestId: decision.requestId, ruleId: decision.ruleId, ok: status === 'ok', status, results,
      ...(failures[0] && !failures[0].ok ? { error: failures[0].error } : {}), dlqId, durationMs: 3
    }
    return { executed: true, decision, response, routeMs: 0.01, totalMs: 3 }
  }

  #execute(name: string, request: Record<string, unknown>, requestId: string): RouteResponse['results'][number] {
    const platform = this.#platform(name)
    this.#maybeHalfOpen()
    const b = platform.breaker
    if (b.state === 'open' || b.state === 'forced-open') {
      return { ok: false, platform: name, instanceId: null, error: { code: 'CIRCUIT_OPEN', message: `${name} breaker is ${b.state}`, platform: name, ...(b.nextProbeAtMs === null ? {} : { retryAtMs: b.nextProbeAtMs }) }, durationMs: 0 }
    }
    const instance = platform.instances[platform.rr++ % platform.instances.length]!
    instance.routed++
    platform.latenciesMs.push(2 + (platform.rr % 5))
    if (platform.latenciesMs.length > 200) platform.latenciesMs.shift()
    if (platform.failing) {
      platform.failed++
      const error: ConductorError = { code: 'PLUGIN_ERROR', message: `${name} failed on demand (request ${requestId})`, instanceId: instance.id }
      this.#recordFailure(platform, error.message)
      return { ok: false, platform: name, instanceId: instance.id, error, durationMs: 3 }
    }
    platform.ok++
    if (b.state === 'half-open') this.#transition(platform, 'closed', 'probe succeeded', false)
    b.consecutiveFailures = 0
    return { ok: true, platform: name, instanceId: instance.id, output: { reply: `${name} handled ${String(request['content'])}` }, durationMs: 3 }
  }

  #recordFailure(platform: Platform, cause: string): void {
    const b = platform.breaker
    b.consecutiveFailures++
    b.lastFailure = { atMs: this.#nowMs, cause }
    if (b.state === 'half-open') {
      b.lastProbe = { atMs: this.#nowMs, ok: false, cause }
      this.#transition(platform, 'open', `probe failed: ${cause}`, false)
    } else if (b.state === 'closed' && b.consecutiveFailures >= b.consecutiveThreshold) {
      this.#transition(platform, 'open', `${b.consecutiveFailures} consecutive failures: ${cause}`, false)
    }
  }

  #transition(platform: Platform, to: BreakerState, cause: string, manual: boolean): void {
    const b = platform.breaker
    const transition = { from: b.state, to, atMs: this.#nowMs, cause, manual }
    b.state = to
    b.sinceMs = this.#nowMs
    b.nextProbeAtMs = to === 'open' ? this.#nowMs + 10_000 : null
    if (to === 'closed') b.consecutiveFailures = 0
    b.transitions = [...b.transitions, transition].slice(-20)
    this.#emit({ type: 'breaker', platform: platform.name, transition })
  }

  #maybeHalfOpen(): void {
    for (const platform of this.#platforms.values()) {
      const b = platform.breaker
      if (b.state === 'open' && b.nextProbeAtMs !== null && this.#nowMs >= b.nextProbeAtMs) this.#transition(platform, 'half-open', 'reset timeout elapsed', false)
    }
  }

  /** The DLQ's replay through this engine's router. */
  #deliver(entry: DlqEntry): { ok: true } | { ok: false; error: ConductorError; deferred: boolean } {
    if (!entry.platform || !this.#platforms.has(entry.platform)) return { ok: false, error: { code: 'ROUTE_NOT_FOUND', message: 'platform removed' }, deferred: false }
    const result = this.#execute(entry.platform, entry.request, entry.id)
    if (result.ok) return { ok: true }
    return { ok: false, error: result.error, deferred: result.error.code === 'CIRCUIT_OPEN' }
  }

  #restart(platform: Platform, instance: Platform['instances'][number]): void {
    instance.state = 'restarting'
    instance.restarts++
    this.#emit({ type: 'instanceState', platform: platform.name, instanceId: instance.id, state: 'restarting', atMs: this.#nowMs })
    instance.pid = this.#nextPid++
    instance.startedAtMs = this.#nowMs
    instance.state = 'ready'
    this.#emit({ type: 'instanceState', platform: platform.name, instanceId: instance.id, state: 'ready', atMs: this.#nowMs })
  }

  async restartInstance(instanceId: string): Promise<Result<{ instanceId: string }, ConductorError>> {
    for (const platform of this.#platforms.values()) {
      const instance = platform.instances.find((x) => x.id === instanceId)
      if (instance) {
        this.#restart(platform, instance)
        return ok({ instanceId })
      }
    }
    return err({ code: 'NOT_FOUND', message: `no instance ${instanceId}`, id: instanceId })
  }

  resetBreaker(platform: string, reason: string): Result<BreakerSnapshot, ConductorError> {
    const p = this.#platforms.get(platform)
    if (!p) return err({ code: 'NOT_FOUND', message: `no platform ${platform}`, id: platform })
    this.#transition(p, 'closed', `manual reset: ${reason}`, true)
    return ok(structuredClone(p.breaker))
  }

  forceOpenBreaker(platform: string, reason: string): Result<BreakerSnapshot, ConductorError> {
    const p = this.#platforms.get(platform)
    if (!p) return err({ code: 'NOT_FOUND', message: `no platform ${platform}`, id: platform })
    this.#transition(p, 'forced-open', `manual force-open: ${reason}`, true)
    return ok(structuredClone(p.breaker))
  }
}

function sum<T>(items: T[], f: (item: T) => number): number {
  return items.reduce((total, item) => total + f(item), 0)
}
