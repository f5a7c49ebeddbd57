/**
 * `RequestRouter`: validate → route → balance → breaker → sandbox `execute` with the route's timeout → answer,
 * handing failures to the dead-letter queue. Composed from `routing/*`: `plan.ts` (validation + rules),
 * `balancer.ts`, `circuit-breaker.ts`, `outcome.ts`, `router-stats.ts`. It is also the queue's
 * `RequestReplayer`: a retry goes through the same path without creating a new dead-letter entry, and a retry
 * that cannot run now (open breaker, no instance) is deferred without executing.
 */
import { EventEmitter } from 'node:events'
import { performance } from 'node:perf_hooks'
import { describeFieldIssues, fieldIssuesOf, type ConductorError } from '../../shared/errors.ts'
import type { PlatformMetrics } from '../../shared/panel.ts'
import type { Result } from '../../shared/result.ts'
import type { BreakerSnapshot, BreakerTransition, PlatformOutcome, RouteDecision, RouteRequest, RouteResponse, RouterSnapshot } from '../../shared/routing.ts'
import type { DeadLetterSink, DeliveryAttempt, ReplayOutcome, RequestReplayer } from './dlq/dead-letter-port.ts'
import { Balancer, type Candidate } from './routing/balancer.ts'
import { PlatformBreaker } from './routing/circuit-breaker.ts'
import { InstanceBreakers } from './routing/instance-breakers.ts'
import { handOff, type FailedDelivery } from './routing/hand-off.ts'
import { causeOf, errorOf } from './routing/outcome.ts'
import { planRoute, type PlanContext, type PlanResult, type RoutePlan } from './routing/plan.ts'
import type { PlatformDirectory } from './routing/platform-directory.ts'
import { RouterConfigSchema, type RouterConfig, type RouterConfigInput } from './routing/router-config.ts'
import { createRoutingMetrics, type RoutingMetrics } from './routing/routing-metrics.ts'
import { RouterStats } from './routing/router-stats.ts'
import { compileRules } from './routing/rules.ts'
import { WaitQueue } from './routing/wait-queue.ts'
import type { SandboxRunner } from './sandbox/runner-api.ts'

export interface RequestRouterOptions {
  /** Router config (parsed here; throws on an invalid config, e.g. a rule whose regex does not compile). */
  config?: RouterConfigInput
  directory: PlatformDirectory
  runner: Pick<SandboxRunner, 'execute'>
  deadLetters?: DeadLetterSink | null
  metrics?: RoutingMetrics
}

export interface RouterEvents {
  breakerTransition: [BreakerTransition & { platform: string }]
  /** A per-instance breaker changed state (only with `breaker.perInstance`). */
  instanceBreakerTransition: [BreakerTransition & { platform: string; instanceId: string }]
  /** Every answer of `routeRequest`, after the dead-letter hand-off. */
  routed: [RouteResponse]
}

type Executed = { ok: true; output: unknown } | { ok: false; error: ConductorError; cause: string }
type Skipped = { ok: true; skipped: ConductorError }
type Admission = { ok: true; instanceId: string } | { ok: false; error: ConductorError }

/** What a request waiting for a slot carries: the balancer needs its metadata (affinity) when it is served. */
interface WaitingRequest {
  metadata: Record<string, unknown>
}

/** How a delivery is scheduled when its platform is busy. */
interface Scheduling {
  priority: number
  /** A dead-letter retry: at equal priority it waits behind live requests. */
  retry: boolean
  signal: AbortSignal | undefined
}

/** One platform's outcome plus whether the sandbox was actually asked (for replays and breaker accounting). */
interface Delivery {
  outcome: PlatformOutcome
  executed: boolean
  atMs: number
}

export class RequestRouter extends EventEmitter<RouterEvents> implements RequestReplayer {
  readonly config: RouterConfig
  readonly metrics: RoutingMetrics
  private readonly ctx: PlanContext
  private readonly runner: Pick<SandboxRunner, 'execute'>
  private readonly deadLetters: DeadLetterSink | null
  private readonly balancer: Balancer
  private readonly breakers = new Map<string, PlatformBreaker>()
  private readonly instanceBreakers: InstanceBreakers | null
  private readonly inFlight = new Map<string, number>()
  private readonly platformOf = new Map<string, string>()
  /** Per platform: requests waiting for an instance below `admission.maxInFlightPerInstance`. */
  private readonly waiting = new Map<string, WaitQueue<WaitingRequest, string>>()
  private readonly stats: RouterStats
  /** `routeRequest` calls past validation that have not answered yet, and who waits for none to be left. */
  private routing = 0
  private readonly idleWaiters: Array<() => void> = []

  constructor(options: RequestRouterOptions) {
    super()
    const parsed = RouterConfigSchema.safeParse(options.config ?? {})
    if (!parsed.success) {
      throw new Error(`Invalid router config:\n  ${describeFieldIssues(fieldIssuesOf(parsed.error), '\n  ')}`)
    }
    this.config = parsed.data
    const rules = compileRules(this.config)
    this.ctx = { rules, limits: this.config.limits, defaultTimeoutMs: this.config.timeoutMs, directory: options.directory }
    this.runner = options.runner
    this.deadLetters = options.deadLetters ?? null
    this.metrics = options.metrics ?? createRoutingMetrics()
    this.balancer = new Balancer(this.config.balancing)
    this.stats = new RouterStats(rules)
    const { inFlight, platformOf } = this
    this.metrics.setInFlightSource(function* () {
      for (const [instance, value] of inFlight) yield { platform: platformOf.get(instance) ?? 'unknown', instance, value }
    })
    const { waiting } = this
    this.metrics.setQueuedSource(function* () {
      for (const [platform, queue] of waiting) yield { platform, value: queue.size }
    })
    this.instanceBreakers = this.config.breaker.perInstance ? new InstanceBreakers(this.config.breaker) : null
    this.instanceBreakers?.on('transition', (transition) => this.emit('instanceBreakerTransition', transition))
    for (const rule of rules) for (const platform of rule.platforms) this.breaker(platform)
  }

  /** Pure and cheap: what would happen to this request now, without executing or changing anything. */
  determineRoute(input: unknown): RouteDecision {
    const plan = planRoute(input, this.ctx)
    if (!plan.ok) return { ok: false, error: plan.error, ruleId: plan.ruleId }
    const { platforms, request } = plan.value
    const instances: Record<string, string> = {}
    const busy: string[] = []
    for (const platform of platforms) {
      const blocked = this.breakers.get(platform)?.check() ?? null
      if (blocked !== null) return { ok: false, error: blocked, ruleId: plan.value.ruleId }
      const candidates = this.markFull(this.candidates(platform))
      const waits = this.queued(platform) > 0 || (candidates.length > 0 && candidates.every((c) => c.full))
      // Would wait: name the instance it would get without the limit.
      const instanceId = this.balancer.peek(platform, waits ? candidates.map(({ instanceId, inFlight }) => ({ instanceId, inFlight })) : candidates, request.metadata)
      if (instanceId === null) return { ok: false, error: noInstance(platform), ruleId: plan.value.ruleId }
      instances[platform] = instanceId
      if (waits) busy.push(`${platform}: all ${candidates.length} instance(s) at ${this.config.admission.maxInFlightPerInstance} in flight, ${this.queued(platform)} waiting`)
    }
    const first = platforms[0] as string
    return {
      ok: true,
      requestId: request.id,
      platform: first,
      platforms,
      instanceId: instances[first] as string,
      instances,
      ruleId: plan.value.ruleId,
      timeoutMs: plan.value.timeoutMs,
      priority: plan.value.priority,
      reason: busy.length === 0 ? plan.value.reason : `${plan.value.reason}; would wait (${busy.join('; ')})`
    }
  }

  /** Routes and executes; never rejects. Failures are answered with the error and the dead-letter id. */
  async routeRequest(input: unknown, options: { signal?: AbortSignal } = {}): Promise<RouteResponse> {
    const startedAt = performance.now()
    const plan = this.plan(input, startedAt)
    if (!plan.ok) {
      this.stats.rejected(null)
      this.metrics.countRequest('none', plan.ruleId ?? 'none', 'rejected')
      const response = rejected(plan, performance.now() - startedAt)
      this.emit('routed', response)
      return response
    }
    this.routing++
    try {
      return await this.routeValid(plan.value, startedAt, options.signal)
    } finally {
      if (--this.routing === 0) for (const resolve of this.idleWaiters.splice(0)) resolve()
    }
  }

  /**
   * Resolves once every `routeRequest` running now has answered, i.e. its failures were handed to the
   * dead-letter queue. A host closing down waits for this before it closes the queue.
   */
  idle(): Promise<void> {
    if (this.routing === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private async routeValid(plan: RoutePlan, startedAt: number, signal: AbortSignal | undefined): Promise<RouteResponse> {
    const { request, ruleId } = plan
    const deliveries = await this.deliverAll(plan, { priority: plan.priority, retry: false, signal })
    const failed: FailedDelivery[] = []
    for (const delivery of deliveries) if (!delivery.outcome.ok) failed.push({ outcome: delivery.outcome, attempt: attemptOf(delivery) })
    const handed = failed.length === 0 ? null : await handOff(this.deadLetters, this.metrics, plan, failed)
    const durationMs = performance.now() - startedAt
    const results: PlatformOutcome[] = []
    for (const { outcome } of deliveries) {
      this.record(outcome, ruleId, !outcome.ok && outcome.dlqId !== undefined)
      this.metrics.observeEndToEnd(outcome.platform, outcome.ok ? 'ok' : 'failed', durationMs / 1000)
      results.push(outcome)
    }
    const status = failed.length === 0 ? 'ok' : failed.length === results.length ? 'failed' : 'partial'
    const firstError = failed[0]?.outcome
    const response: RouteResponse = {
      requestId: request.id,
      ruleId,
      ok: status === 'ok',
      status,
      results,
      dlqId: handed?.dlqId ?? null,
      durationMs
    }
    if (firstError !== undefined) response.error = firstError.error
    if (handed?.dlqError !== undefined) response.dlqError = handed.dlqError
    this.emit('routed', response)
    return response
  }

  /** The dead-letter queue's retry path: same routing, no new dead-letter entry, no attempt burned when blocked. */
  async replay(request: Record<string, unknown>, options: { signal?: AbortSignal } = {}): Promise<ReplayOutcome> {
    const plan = this.plan(request, performance.now())
    if (!plan.ok) return { kind: 'invalid', error: plan.error }
    for (const platform of plan.value.platforms) {
      const blocked = this.breaker(platform).check()
      if (blocked !== null) return { kind: 'deferred', reason: blocked.message, retryAtMs: blocked.retryAtMs ?? null }
      if (this.candidates(platform).length === 0) {
        const ids = (this.ctx.directory.instancesOf(platform) ?? []).map((i) => i.instanceId)
        return { kind: 'deferred', reason: noInstance(platform).message, retryAtMs: this.instanceBreakers?.earliestProbeAtMs(ids) ?? null }
      }
    }
    const deliveries = await this.deliverAll(plan.value, { priority: plan.value.priority, retry: true, signal: options.signal })
    for (const { outcome } of deliveries) this.record(outcome, plan.value.ruleId, false)
    const failed = deliveries.find((d) => !d.outcome.ok && d.executed)
    if (failed !== undefined) return { kind: 'failed', attempt: attemptOf(failed) }
    const blocked = deliveries.find((d) => !d.outcome.ok)
    if (blocked !== undefined && !blocked.outcome.ok) return { kind: 'deferred', reason: blocked.outcome.error.message, retryAtMs: null }
    const outputs = deliveries.map((d) => (d.outcome.ok ? d.outcome.output : null))
    const response = deliveries.length === 1 ? outputs[0] : Object.fromEntries(deliveries.map((d, i) => [d.outcome.platform, outputs[i]]))
    return { kind: 'delivered', response, attempt: null }
  }

  /** The breaker of a platform (created on first use). */
  breaker(platform: string): PlatformBreaker {
    let breaker = this.breakers.get(platform)
    if (breaker === undefined) {
      breaker = new PlatformBreaker(platform, this.config.breaker)
      breaker.on('transition', (transition) => {
        this.metrics.setBreakerState(platform, transition.to)
        this.emit('breakerTransition', transition)
      })
      this.metrics.setBreakerState(platform, 'closed')
      this.breakers.set(platform, breaker)
    }
    return breaker
  }

  /** The breaker of one instance; null when per-instance breakers are off. */
  instanceBreaker(platform: string, instanceId: string): PlatformBreaker | null {
    return this.instanceBreakers?.get(platform, instanceId) ?? null
  }

  /** Operator action: closes the platform's breaker and its instances' breakers, recording the reason. */
  resetBreaker(platform: string, reason: string): Result<BreakerSnapshot, ConductorError> {
    const breaker = this.breakers.get(platform)
    if (breaker === undefined) return noBreaker(platform)
    breaker.reset(reason)
    for (const instance of this.ctx.directory.instancesOf(platform) ?? []) this.instanceBreakers?.reset(instance.instanceId, reason)
    return { ok: true, value: breaker.snapshot() }
  }

  /** Operator action: holds the platform's breaker open until `resetBreaker`, recording the reason. */
  forceOpenBreaker(platform: string, reason: string): Result<BreakerSnapshot, ConductorError> {
    const breaker = this.breakers.get(platform)
    if (breaker === undefined) return noBreaker(platform)
    breaker.forceOpen(reason)
    return { ok: true, value: breaker.snapshot() }
  }

  /** Requests/s, errors/s, p50/p95 latency (ms), in-flight and waiting per platform over the last `windowMs`. */
  platformMetrics(windowMs = 10_000): PlatformMetrics[] {
    return this.stats.platformMetrics((platform) => {
      let inFlight = 0
      for (const instance of this.ctx.directory.instancesOf(platform) ?? []) inFlight += this.inFlight.get(instance.instanceId) ?? 0
      return { inFlight, queued: this.queued(platform) }
    }, windowMs, Date.now(), this.ctx.directory.listPlatforms?.() ?? [])
  }

  /** Live state for the panel: counters kept in memory, no metric scrape. */
  snapshot(): RouterSnapshot {
    for (const platform of this.ctx.directory.listPlatforms?.() ?? []) if (!this.breakers.has(platform)) this.breaker(platform)
    const instanceBreakers = this.instanceBreakers
    return this.stats.snapshot(this.config.balancing.strategy, [...this.breakers.values()], this.inFlight, (id) => instanceBreakers?.state(id) ?? 'closed')
  }

  private plan(input: unknown, startedAt: number): PlanResult {
    const plan = planRoute(input, this.ctx)
    this.metrics.observeRouting((performance.now() - startedAt) / 1000)
    if (plan.ok) this.stats.ruleHit(plan.value.ruleId)
    return plan
  }

  /** Every platform of the plan at once (no `Promise.all` for the common single platform). */
  private async deliverAll(plan: RoutePlan, scheduling: Scheduling): Promise<Delivery[]> {
    const { platforms, request, timeoutMs } = plan
    if (platforms.length === 1) return [await this.deliver(platforms[0] as string, request, timeoutMs, scheduling)]
    return Promise.all(platforms.map((p) => this.deliver(p, request, timeoutMs, scheduling)))
  }

  /** Counts one platform's finished part of a request (snapshot counters and the requests metric). */
  private record(outcome: PlatformOutcome, ruleId: string, handedOff: boolean): void {
    const result = outcome.ok ? 'ok' : 'failed'
    this.stats.finished(outcome.platform, result, handedOff, outcome.durationMs)
    this.metrics.countRequest(outcome.platform, ruleId, result)
  }

  /** Marks the candidates at their in-flight limit (the balancer skips them); the same array. */
  private markFull(candidates: Candidate[]): Candidate[] {
    const limit = this.config.admission.maxInFlightPerInstance
    if (limit !== null) for (const candidate of candidates) candidate.full = candidate.inFlight >= limit
    return candidates
  }

  private queued(platform: string): number {
    return this.waiting.get(platform)?.size ?? 0
  }

  /**
   * An instance with a free slot, reserved (counted in flight) for this request; or a place in the platform's
   * waiting line when none has one, or when others already wait (no one jumps the line).
   */
  private admit(platform: string, metadata: Record<string, unknown>, timeoutMs: number, scheduling: Scheduling): Admission | Promise<Admission> {
    const candidates = this.candidates(platform)
    if (candidates.length === 0) return { ok: false, error: noInstance(platform) }
    if (this.queued(platform) === 0) {
      const instanceId = this.balancer.pick(platform, this.markFull(candidates), metadata)
      if (instanceId !== null) {
        this.track(platform, instanceId, +1)
        return { ok: true, instanceId }
      }
    }
    let queue = this.waiting.get(platform)
    if (queue === undefined) {
      queue = new WaitQueue(this.config.admission.maxQueuedPerPlatform)
      this.waiting.set(platform, queue)
    }
    const wait = queue.wait({ data: { metadata }, priority: scheduling.priority, retry: scheduling.retry }, timeoutMs, scheduling.signal)
    const limit = this.config.admission.maxInFlightPerInstance
    if (wait === null) {
      return { ok: false, error: overloaded(platform, 'queue_full', 0, `${queue.capacity} requests already wait for a free instance (each of ${candidates.length} at ${limit} in flight)`) }
    }
    return wait.then((outcome): Admission => {
      if (outcome.granted) return { ok: true, instanceId: outcome.grant }
      if (outcome.reason === 'failed') return { ok: false, error: outcome.error as ConductorError }
      const why = outcome.reason === 'cancelled' ? 'the caller cancelled while it waited for a free instance' : `no instance got below ${limit} in flight within the request's ${timeoutMs} ms`
      return { ok: false, error: overloaded(platform, outcome.reason, outcome.waitedMs, why) }
    })
  }

  /** A slot of `platform` was freed: serve the waiting line while instances have room. */
  private serveWaiting(platform: string): void {
    const queue = this.waiting.get(platform)
    if (queue === undefined || queue.size === 0) return
    const candidates = this.candidates(platform)
    if (candidates.length === 0) {
      queue.failAll(noInstance(platform))
      return
    }
    for (let next = queue.peek(); next !== undefined; next = queue.peek()) {
      const instanceId = this.balancer.pick(platform, this.markFull(candidates), next.data.metadata)
      if (instanceId === null) return
      this.track(platform, instanceId, +1)
      for (const candidate of candidates) if (candidate.instanceId === instanceId) candidate.inFlight++
      queue.grantNext(instanceId)
    }
  }

  private candidates(platform: string): Candidate[] {
    const out: Candidate[] = []
    for (const instance of this.ctx.directory.instancesOf(platform) ?? []) {
      if (instance.state === 'ready' && instance.healthy && (this.instanceBreakers?.usable(instance.instanceId) ?? true)) out.push({ instanceId: instance.instanceId, inFlight: this.inFlight.get(instance.instanceId) ?? 0 })
    }
    return out
  }

  private async deliver(platform: string, request: RouteRequest, timeoutMs: number, scheduling: Scheduling): Promise<Delivery> {
    const atMs = Date.now()
    const started = performance.now()
    const breaker = this.breaker(platform)
    const blocked = breaker.check()
    if (blocked !== null) return { executed: false, atMs, outcome: { ok: false, platform, instanceId: null, error: blocked, durationMs: 0 } }
    const admitting = this.admit(platform, request.metadata, timeoutMs, scheduling)
    const admitted = admitting instanceof Promise ? await admitting : admitting
    if (!admitted.ok) return { executed: false, atMs, outcome: { ok: false, platform, instanceId: null, error: admitted.error, durationMs: performance.now() - started } }
    const { instanceId } = admitted
    try {
      return await this.deliverTo(platform, instanceId, request, timeoutMs, scheduling.signal, atMs, started)
    } finally {
      this.track(platform, instanceId, -1)
      this.serveWaiting(platform)
    }
  }

  /** Breakers and the sandbox call on an admitted instance; the time spent waiting counts against the timeout. */
  private async deliverTo(platform: string, instanceId: string, request: RouteRequest, timeoutMs: number, signal: AbortSignal | undefined, atMs: number, started: number): Promise<Delivery> {
    const breaker = this.breaker(platform)
    const remainingMs = Math.max(1, Math.ceil(timeoutMs - (performance.now() - started)))
    let executed = false
    // Not async: `execute` already returns a promise and never throws, so no extra promise per request here.
    const attempt = (): Promise<Executed> => {
      executed = true
      return this.execute(platform, instanceId, request, remainingMs, signal)
    }
    const instanceBreakers = this.instanceBreakers
    // An instance breaker that refuses (a race with its own probe) is not a failure of the platform.
    const guardedAttempt =
      instanceBreakers === null
        ? attempt
        : async (): Promise<Executed | Skipped> => {
            const inner = await instanceBreakers.get(platform, instanceId).run(attempt)
            return inner.rejected ? { ok: true, skipped: inner.error } : inner.value
          }
    const guarded = await breaker.run(guardedAttempt)
    const durationMs = performance.now() - started
    if (guarded.rejected) return { executed: false, atMs, outcome: { ok: false, platform, instanceId: null, error: guarded.error, durationMs } }
    const value = guarded.value
    if ('skipped' in value) return { executed: false, atMs, outcome: { ok: false, platform, instanceId, error: value.skipped, durationMs } }
    return {
      executed,
      atMs,
      outcome: value.ok ? { ok: true, platform, instanceId, output: value.output, durationMs } : { ok: false, platform, instanceId, error: value.error, durationMs }
    }
  }

  /** One sandbox call; never throws (a runner throw, e.g. an instance gone between pick and call, is INTERNAL). */
  private async execute(platform: string, instanceId: string, request: RouteRequest, timeoutMs: number, signal: AbortSignal | undefined): Promise<Executed> {
    this.stats.routedTo(platform, instanceId)
    try {
      const result = await this.runner.execute(
        instanceId,
        { id: request.id, type: request.type, content: request.content, metadata: request.metadata },
        signal === undefined ? { timeoutMs } : { timeoutMs, signal }
      )
      const error = errorOf(result, platform)
      return error === null ? { ok: true, output: result.status === 'ok' ? result.output : null } : { ok: false, error, cause: causeOf(error) }
    } catch (cause) {
      const error: ConductorError = { code: 'INTERNAL', message: cause instanceof Error ? cause.message : String(cause) }
      return { ok: false, error, cause: causeOf(error) }
    }
  }

  private track(platform: string, instanceId: string, delta: number): void {
    this.inFlight.set(instanceId, (this.inFlight.get(instanceId) ?? 0) + delta)
    if (!this.platformOf.has(instanceId)) this.platformOf.set(instanceId, platform)
  }
}

function noBreaker(platform: string): { ok: false; error: ConductorError } {
  return { ok: false, error: { code: 'NOT_FOUND', message: `no breaker for platform "${platform}"`, id: platform } }
}

function noInstance(platform: string): Extract<ConductorError, { code: 'NO_INSTANCE' }> {
  return { code: 'NO_INSTANCE', message: `no ready, healthy instance of ${platform} (all down, restarting, failing health checks or behind an open instance breaker)`, platform }
}

function overloaded(platform: string, reason: 'queue_full' | 'wait_timeout' | 'cancelled', waitedMs: number, why: string): Extract<ConductorError, { code: 'OVERLOADED' }> {
  return { code: 'OVERLOADED', message: `${platform} is busy: ${why}`, platform, reason, waitedMs: Math.round(waitedMs) }
}

function attemptOf(delivery: Delivery): DeliveryAttempt {
  const { outcome } = delivery
  const error: ConductorError = outcome.ok ? { code: 'INTERNAL', message: 'not a failure' } : outcome.error
  return { atMs: delivery.atMs, durationMs: outcome.durationMs, platform: outcome.platform, instanceId: outcome.instanceId, error }
}

function rejected(plan: Extract<PlanResult, { ok: false }>, durationMs: number): RouteResponse {
  return { requestId: plan.requestId, ruleId: plan.ruleId, ok: false, status: 'rejected', results: [], error: plan.error, dlqId: null, durationMs }
}
