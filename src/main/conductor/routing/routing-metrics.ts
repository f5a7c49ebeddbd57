/**
 * Prometheus metrics of the request path (prom-client): requests by platform/rule/outcome, routing and
 * end-to-end latency histograms, breaker state gauges, in-flight per instance, dead-letter hand-offs.
 * Registered into the shared `metricsRegistry` by default; tests may pass their own `new Registry()`.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { metricsRegistry } from '../metrics.ts'
import type { BreakerState } from '../../../shared/routing.ts'

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2, 'forced-open': 3 }

export interface RoutingMetrics {
  readonly registry: Registry
  requests: Counter<'platform' | 'rule' | 'outcome'>
  routingSeconds: Histogram<never>
  endToEndSeconds: Histogram<'platform' | 'outcome'>
  breakerState: Gauge<'platform'>
  inFlight: Gauge<'platform' | 'instance'>
  dlqHandOffs: Counter<'platform' | 'result'>
  setBreakerState(platform: string, state: BreakerState): void
  /** Hot-path helpers: labelled children are cached, so no label hashing per request. */
  countRequest(platform: string, rule: string, outcome: 'ok' | 'failed' | 'rejected'): void
  observeEndToEnd(platform: string, outcome: 'ok' | 'failed', seconds: number): void
  setInFlight(platform: string, instance: string, value: number): void
}

/** Memoises `metric.labels(...)` children by a joined key. */
function cached<T>(make: (...labels: string[]) => T): (...labels: string[]) => T {
  const children = new Map<string, T>()
  return (...labels) => {
    const key = labels.join('\u0000')
    let child = children.get(key)
    if (child === undefined) {
      child = make(...labels)
      children.set(key, child)
    }
    return child
  }
}

const NAMES = [
  'conductor_router_requests_total',
  'conductor_router_routing_seconds',
  'conductor_router_end_to_end_seconds',
  'conductor_router_breaker_state',
  'conductor_router_in_flight',
  'conductor_router_dlq_handoffs_total'
]

/** Creates the metrics in `registry`, replacing only this file's own metrics if a previous router left them. */
export function createRoutingMetrics(registry: Registry = metricsRegistry): RoutingMetrics {
  for (const name of NAMES) registry.removeSingleMetric(name)
  const requests = new Counter({
    name: 'conductor_router_requests_total',
    help: 'Routed requests by platform, rule and outcome (ok, failed, rejected)',
    labelNames: ['platform', 'rule', 'outcome'] as const,
    registers: [registry]
  })
  const routingSeconds = new Histogram({
    name: 'conductor_router_routing_seconds',
    help: 'Time to validate, match a rule and pick an instance',
    buckets: [0.000_005, 0.000_01, 0.000_02, 0.000_05, 0.000_1, 0.000_5, 0.001, 0.005],
    registers: [registry]
  })
  const endToEndSeconds = new Histogram({
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
    registers: [registry]
  })
  const dlqHandOffs = new Counter({
    name: 'conductor_router_dlq_handoffs_total',
    help: 'Failed requests handed to the dead-letter queue (result: stored or error)',
    labelNames: ['platform', 'result'] as const,
    registers: [registry]
  })
  const requestChild = cached((platform, rule, outcome) => requests.labels(platform as string, rule as string, outcome as string))
  const endToEndChild = cached((platform, outcome) => endToEndSeconds.labels(platform as string, outcome as string))
  const inFlightChild = cached((platform, instance) => inFlight.labels(platform as string, instance as string))
  return {
    registry,
    requests,
    routingSeconds,
    endToEndSeconds,
    breakerState,
    inFlight,
    dlqHandOffs,
    setBreakerState(platform, state) {
      breakerState.set({ platform }, BREAKER_VALUE[state])
    },
    countRequest(platform, rule, outcome) {
      requestChild(platform, rule, outcome).inc()
    },
    observeEndToEnd(platform, outcome, seconds) {
      endToEndChild(platform, outcome).observe(seconds)
    },
    setInFlight(platform, instance, value) {
      inFlightChild(platform, instance).set(value)
    }
  }
}
