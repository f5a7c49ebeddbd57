/**
 * Prometheus metrics of the request path (prom-client): requests by platform/rule/outcome, routing and
 * end-to-end latency histograms, breaker state gauges, in-flight per instance, requests waiting per platform,
 * dead-letter hand-offs.
 * Registered into the shared `metricsRegistry` by default; tests may pass their own `new Registry()`.
 *
 * Hot path: prom-client hashes the label set on every `inc`/`set`/`observe`, which cost more than routing
 * itself. So request counts are a `TallyCounter` (plain numbers copied into the counter at scrape time), the
 * in-flight gauge reads the router's own map at scrape time, and the two latency histograms are
 * `BucketHistogram`s (same exposition, children looked up once, `observe` is a few additions).
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { BreakerState } from '../../../shared/routing.ts'
import { metricsRegistry } from '../metrics.ts'
import { BucketHistogram, type BucketChild } from '../bucket-histogram.ts'
import { TallyCounter, type TallyChild } from '../tally-counter.ts'

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2, 'forced-open': 3 }

type Outcome = 'ok' | 'failed' | 'rejected'

/** Reads the current in-flight count per instance (called only when metrics are scraped). */
export type InFlightSource = () => Iterable<{ platform: string; instance: string; value: number }>
/** Reads how many requests wait per platform (called only when metrics are scraped). */
export type QueuedSource = () => Iterable<{ platform: string; value: number }>

export interface RoutingMetrics {
  readonly registry: Registry
  requests: Counter<'platform' | 'rule' | 'outcome'>
  routingSeconds: BucketHistogram
  endToEndSeconds: BucketHistogram<'platform' | 'outcome'>
  breakerState: Gauge<'platform'>
  inFlight: Gauge<'platform' | 'instance'>
  queued: Gauge<'platform'>
  dlqHandOffs: Counter<'platform' | 'result'>
  setBreakerState(platform: string, state: BreakerState): void
  countRequest(platform: string, rule: string, outcome: Outcome): void
  /** Time to validate, sanitize and match a rule. */
  observeRouting(seconds: number): void
  observeEndToEnd(platform: string, outcome: 'ok' | 'failed', seconds: number): void
  /** Where the in-flight gauge reads from; the router sets it. */
  setInFlightSource(source: InFlightSource): void
  /** Where the waiting gauge reads from; the router sets it. */
  setQueuedSource(source: QueuedSource): void
}

const NAMES = [
  'conductor_router_requests_total',
  'conductor_router_routing_seconds',
  'conductor_router_end_to_end_seconds',
  'conductor_router_breaker_state',
  'conductor_router_in_flight',
  'conductor_router_queued',
  'conductor_router_dlq_handoffs_total'
]

/** Creates the metrics in `registry`, replacing only this file's own metrics if a previous router left them. */
export function createRoutingMetrics(registry: Registry = metricsRegistry): RoutingMetrics {
  for (const name of NAMES) registry.removeSingleMetric(name)
  // platform → rule → outcome → its count, looked up without building a key per request
  const tallies = new Map<string, Map<string, Map<Outcome, TallyChild>>>()
  let inFlightSource: InFlightSource = () => []
  let queuedSource: QueuedSource = () => []

  const requestTally = new TallyCounter({
    name: 'conductor_router_requests_total',
    help: 'Routed requests by platform, rule and outcome (ok, failed, rejected)',
    labelNames: ['platform', 'rule', 'outcome'] as const,
    registers: [registry]
  })
  const requests = requestTally.counter
  const routingSeconds = new BucketHistogram({
    name: 'conductor_router_routing_seconds',
    help: 'Time to validate, sanitize and match a rule',
    buckets: [0.000_005, 0.000_01, 0.000_02, 0.000_05, 0.000_1, 0.000_5, 0.001, 0.005],
    registers: [registry]
  })
  const endToEndSeconds = new BucketHistogram({
    name: 'conductor_router_end_to_end_seconds',
    help: 'From receipt to answer, per platform and outcome',
    labelNames: ['platform', 'outcome'] as const,
    buckets: [0.000_5, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry]
  })
  const breakerState = new Gauge({
    name: 'conductor_router_breaker_state',
    help: 'Breaker state per platform: 0 closed, 1 half-open, 2 open, 3 forced open',
    labelNames: ['platform'] as const,
    registers: [registry]
  })
  const inFlight = new Gauge({
    name: 'conductor_router_in_flight',
    help: 'Requests in flight per instance',
    labelNames: ['platform', 'instance'] as const,
    registers: [registry],
    collect() {
      this.reset()
      for (const { platform, instance, value } of inFlightSource()) this.set({ platform, instance }, value)
    }
  })
  const queued = new Gauge({
    name: 'conductor_router_queued',
    help: 'Requests waiting for an instance below its in-flight limit, per platform',
    labelNames: ['platform'] as const,
    registers: [registry],
    collect() {
      this.reset()
      for (const { platform, value } of queuedSource()) this.set({ platform }, value)
    }
  })
  const dlqHandOffs = new Counter({
    name: 'conductor_router_dlq_handoffs_total',
    help: 'Failed requests handed to the dead-letter queue (result: stored or error)',
    labelNames: ['platform', 'result'] as const,
    registers: [registry]
  })
  const routingChild = routingSeconds.labels()
  const endToEndChildren = new Map<string, { ok: BucketChild; failed: BucketChild }>()
  return {
    registry,
    requests,
    routingSeconds,
    endToEndSeconds,
    breakerState,
    inFlight,
    queued,
    dlqHandOffs,
    setBreakerState(platform, state) {
      breakerState.set({ platform }, BREAKER_VALUE[state])
    },
    countRequest(platform, rule, outcome) {
      let rules = tallies.get(platform)
      if (rules === undefined) tallies.set(platform, (rules = new Map()))
      let outcomes = rules.get(rule)
      if (outcomes === undefined) rules.set(rule, (outcomes = new Map()))
      let tally = outcomes.get(outcome)
      if (tally === undefined) outcomes.set(outcome, (tally = requestTally.labels(platform, rule, outcome)))
      tally.inc()
    },
    observeRouting(seconds) {
      routingChild.observe(seconds)
    },
    observeEndToEnd(platform, outcome, seconds) {
      let children = endToEndChildren.get(platform)
      if (children === undefined) {
        children = { ok: endToEndSeconds.labels(platform, 'ok'), failed: endToEndSeconds.labels(platform, 'failed') }
        endToEndChildren.set(platform, children)
      }
      children[outcome].observe(seconds)
    },
    setInFlightSource(source) {
      inFlightSource = source
    },
    setQueuedSource(source) {
      queuedSource = source
    }
  }
}
