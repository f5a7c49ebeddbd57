/**
 * Router bench: `determineRoute` latency (p50/p99 in µs, target < 20 µs p50), and routed end-to-end throughput
 * through real sandboxes (discord + android, 2 instances each) against a raw fork IPC ping-pong measured in
 * the same run (target ≥ 0.5×). Reports only; never asserts.
 */
import { resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { Registry } from 'prom-client'
import { IsolatedPluginRunner } from '../../src/main/conductor/isolation.ts'
import { RequestRouter } from '../../src/main/conductor/router.ts'
import type { PlatformDirectory } from '../../src/main/conductor/routing/platform-directory.ts'
import { createRoutingMetrics } from '../../src/main/conductor/routing/routing-metrics.ts'
import type { SandboxRunner } from '../../src/main/conductor/sandbox/runner-api.ts'
import type { SandboxResult } from '../../src/shared/sandbox.ts'
import { PluginManager } from '../../src/main/plugins/manager.ts'
import { measureRawIpcRoundTrip, median, openRawIpcEcho, shippedChildHost, type RawIpcEcho } from './baselines.ts'

const BUILTIN_DIR = resolve(import.meta.dirname, '../../resources/plugins')

const SAMPLE_REQUESTS: unknown[] = [
  { type: 'discord', content: 'hello' },
  { type: 'chat', content: '!ping', metadata: { channelId: 'c1' } },
  { type: 'chat', content: 'hey <@12345> how are you' },
  { type: 'app', content: 'GET /api/status' },
  { type: 'app', content: 'POST /api/message {"text":"hi","deviceId":"d1"}', metadata: { deviceId: 'd1' } }
]

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number
}

function determineRouteLatency(): void {
  const directory: PlatformDirectory = {
    instancesOf: (platform) =>
      platform === 'discord' || platform === 'android'
        ? [1, 2].map((n) => ({ instanceId: `${platform}-${n}`, state: 'ready' as const, healthy: true }))
        : undefined
  }
  const router = new RequestRouter({ directory, runner: { execute: () => Promise.reject(new Error('not used')) }, metrics: createRoutingMetrics(new Registry()) })
  for (let i = 0; i < 20_000; i++) router.determineRoute(SAMPLE_REQUESTS[i % SAMPLE_REQUESTS.length])
  const samples: number[] = []
  for (let i = 0; i < 100_000; i++) {
    const request = SAMPLE_REQUESTS[i % SAMPLE_REQUESTS.length]
    const t0 = performance.now()
    router.determineRoute(request)
    samples.push((performance.now() - t0) * 1_000)
  }
  samples.sort((a, b) => a - b)
  const p50 = percentile(samples, 0.5)
  console.log(`determineRoute: p50 ${p50.toFixed(2)} µs, p99 ${percentile(samples, 0.99).toFixed(2)} µs over ${samples.length} calls (target p50 < 20 µs: ${p50 < 20 ? 'met' : 'MISSED'})`)
}

/**
 * The sandbox alone (no router), for attribution: the same sample requests, each sent straight to an instance
 * of the platform the router would choose (decided once, up front), round-robin per platform.
 */
async function direct(runner: Pick<SandboxRunner, 'execute'>, router: RequestRouter, total: number, concurrency: number): Promise<number> {
  const plans = SAMPLE_REQUESTS.map((input, i) => {
    const decision = router.determineRoute(input)
    if (!decision.ok) throw new Error(`sample ${i} does not route: ${decision.error.message}`)
    const { type, content, metadata } = input as { type: string; content: string; metadata?: Record<string, unknown> }
    return { platform: decision.platform, request: { id: `bench-${i}`, type, content, metadata: metadata ?? {} } }
  })
  const cursors = new Map<string, number>()
  let next = 0
  const started = performance.now()
  const worker = async () => {
    while (next < total) {
      const plan = plans[next++ % plans.length] as (typeof plans)[number]
      const cursor = cursors.get(plan.platform) ?? 0
      cursors.set(plan.platform, cursor + 1)
      await runner.execute(`${plan.platform}-${(cursor % 2) + 1}`, plan.request, { timeoutMs: 5_000 })
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return total / ((performance.now() - started) / 1_000)
}

/** A successful sandbox result with no output captured and no resources used, for runners that are not sandboxes. */
function okResult(instanceId: string, output: unknown): SandboxResult {
  return { status: 'ok', output, instanceId, stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, exitCode: null, signal: null, durationMs: 0, peakRssBytes: 0, cpuMs: 0 }
}

/** In-process router overhead: the runner answers at once, so only routing work is timed. */
async function routerOverheadUs(): Promise<number> {
  const directory: PlatformDirectory = { instancesOf: (p) => (p === 'discord' ? [{ instanceId: 'discord-1', state: 'ready' as const, healthy: true }] : undefined) }
  const result = okResult('discord-1', { reply: 'Pong!' })
  const router = new RequestRouter({ directory, runner: { execute: async () => result }, metrics: createRoutingMetrics(new Registry()) })
  for (let i = 0; i < 20_000; i++) await router.routeRequest({ type: 'discord', content: '!ping' })
  const started = performance.now()
  for (let i = 0; i < 50_000; i++) await router.routeRequest({ type: 'discord', content: '!ping' })
  return ((performance.now() - started) * 1_000) / 50_000
}

async function routed(router: RequestRouter, total: number, concurrency: number): Promise<number> {
  let next = 0
  let failures = 0
  const started = performance.now()
  const worker = async () => {
    while (next < total) {
      const i = next++
      const response = await router.routeRequest(SAMPLE_REQUESTS[i % SAMPLE_REQUESTS.length])
      if (!response.ok) failures++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  if (failures > 0) console.log(`  (warning: ${failures} routed requests failed)`)
  return total / ((performance.now() - started) / 1_000)
}

/**
 * Routed and sandbox-alone throughput, and the raw ping-pong when `raw` is given, measured in alternating
 * chunks (10 each; the order rotates every chunk), so drift on a shared machine (a neighbour's burst, JIT
 * warm-up) hits every side alike; rates over each side's summed time. The raw side is a round trip per
 * request, so it is only interleaved with one request in flight.
 */
async function interleaved(
  router: RequestRouter,
  runner: Pick<SandboxRunner, 'execute'>,
  total: number,
  concurrency: number,
  raw?: RawIpcEcho
): Promise<{ routed: number; direct: number; raw: number | null }> {
  const chunks = 10
  const size = Math.ceil(total / chunks)
  const seconds = { routed: 0, direct: 0, raw: 0 }
  const sides: Array<[keyof typeof seconds, () => Promise<number>]> = [
    ['routed', async () => size / (await routed(router, size, concurrency))],
    ['direct', async () => size / (await direct(runner, router, size, concurrency))]
  ]
  if (raw) sides.push(['raw', async () => (await raw.pingPong(size)) / 1_000])
  for (let chunk = 0; chunk < chunks; chunk++) {
    for (let i = 0; i < sides.length; i++) {
      const [side, run] = sides[(chunk + i) % sides.length]!
      seconds[side] += await run()
    }
  }
  const rate = (s: number): number => (size * chunks) / s
  return { routed: rate(seconds.routed), direct: rate(seconds.direct), raw: raw ? rate(seconds.raw) : null }
}

/**
 * Attribution: the same router and requests over four raw fork echo children (the ping-pong's child, one per
 * instance id) instead of sandboxes, against those children called directly. It shows what the router costs
 * on this machine when requests rotate over processes, with no sandbox code on either side, and the ceiling
 * of "routed vs ping-pong" if the sandbox cost nothing.
 */
async function overEchoChildren(): Promise<void> {
  const ids = ['discord-1', 'discord-2', 'android-1', 'android-2']
  const children = new Map<string, RawIpcEcho>()
  const raw = await openRawIpcEcho()
  try {
    for (const id of ids) children.set(id, await openRawIpcEcho())
    const echo: Pick<SandboxRunner, 'execute'> = {
      execute: async (instanceId, request) => {
        const child = children.get(instanceId)
        if (child === undefined) throw new Error(`no echo child ${instanceId}`)
        return okResult(instanceId, await child.echo(request))
      }
    }
    const directory: PlatformDirectory = {
      instancesOf: (platform) => (platform === 'discord' || platform === 'android' ? ids.filter((id) => id.startsWith(platform)).map((instanceId) => ({ instanceId, state: 'ready' as const, healthy: true })) : undefined)
    }
    const router = new RequestRouter({ directory, runner: echo, metrics: createRoutingMetrics(new Registry()) })
    await interleaved(router, echo, 2_000, 1) // warm-up
    const { routed: viaRouter, direct: alone, raw: pingPongPerSecond } = await interleaved(router, echo, 10_000, 1, raw)
    const us = (perSecond: number): string => (1e6 / perSecond).toFixed(1)
    console.log(
      `attribution, 1 in flight over 4 raw echo children (no sandbox): routed ${us(viaRouter)} µs vs direct ${us(alone)} µs per request, ` +
        `the router adds ${(1e6 / viaRouter - 1e6 / alone).toFixed(1)} µs here; ping-pong ${us(pingPongPerSecond!)} µs, so routed over echo children = ${(viaRouter / pingPongPerSecond!).toFixed(2)}× the ping-pong (the ceiling if the sandbox cost nothing)`
    )
  } finally {
    for (const child of children.values()) child.close()
    raw.close()
  }
}

export default async function bench(): Promise<void> {
  determineRouteLatency()
  console.log(`routeRequest overhead with an instant runner: ${(await routerOverheadUs()).toFixed(1)} µs per request`)

  // The child host as it ships (the bundle), as the sandbox bench measures it; the source child only in tests.
  const shipped = shippedChildHost()
  const runner = new IsolatedPluginRunner({ sampleIntervalMs: 1_000, ...(shipped ? { hostScriptPath: shipped } : {}) })
  const manager = new PluginManager({ runner, builtinDir: BUILTIN_DIR, config: { healthCheckIntervalMs: 0 } })
  try {
    const started = await manager.start()
    if (started.loadErrors.length > 0) console.log('load errors:', started.loadErrors)
    const router = new RequestRouter({ directory: manager, runner, metrics: createRoutingMetrics(new Registry()) })
    await routed(router, 2_000, 16) // warm-up
    // The machine is shared and noisy: three rounds, medians reported. The raw baseline is the sandbox bench's
    // fork IPC echo: its ping-pong runs in the same alternating chunks as the routed and sandbox-alone requests
    // (one run of it on its own swung between 47 and 86 µs per round trip here, and with it the ratio); its
    // 32-in-flight figure is measured once per round.
    const rounds: Array<{ raw1: number; raw32: number; routed1: number; routed32: number; direct1: number; direct32: number }> = []
    const echo = await openRawIpcEcho()
    try {
      for (let round = 0; round < 3; round++) {
        const raw = await measureRawIpcRoundTrip(2_000, 32)
        const one = await interleaved(router, runner, 2_000, 1, echo)
        const many = await interleaved(router, runner, 20_000, 32)
        rounds.push({ raw1: one.raw!, raw32: raw.pipelinedPerSecond, routed1: one.routed, routed32: many.routed, direct1: one.direct, direct32: many.direct })
      }
    } finally {
      echo.close()
    }
    for (const concurrency of [1, 32] as const) {
      const raw = median(rounds.map((r) => (concurrency === 1 ? r.raw1 : r.raw32)))
      const viaRouter = median(rounds.map((r) => (concurrency === 1 ? r.routed1 : r.routed32)))
      const sandboxOnly = median(rounds.map((r) => (concurrency === 1 ? r.direct1 : r.direct32)))
      const ratio = viaRouter / raw
      console.log(
        `routed e2e, ${concurrency} in flight: ${viaRouter.toFixed(0)} req/s vs raw fork IPC ${raw.toFixed(0)} msg/s = ${ratio.toFixed(2)}× ` +
          // The target is against the ping-pong (one message in flight); 32 in flight is compared with a
          // raw baseline that also keeps 32 in flight, a stricter measure reported beside it.
          `(${concurrency === 1 ? 'issue target' : 'same 0.5× bar, stricter pipelined baseline'}: ${ratio >= 0.5 ? 'met' : 'MISSED'}); ` +
          `sandbox alone (runner.execute, same requests and instances) ${sandboxOnly.toFixed(0)} req/s = ${(sandboxOnly / raw).toFixed(2)}× raw, router keeps ${(viaRouter / sandboxOnly).toFixed(2)}× of it (medians of 3)`
      )
    }
    // The other reading of "routed throughput vs the ping-pong": what the router sustains under load against the
    // sandbox bench's ping-pong figure itself. Printed for the record; the line above keeps the strict reading.
    const pingPong = median(rounds.map((r) => r.raw1))
    const underLoad = median(rounds.map((r) => r.routed32))
    console.log(`routed e2e under load (32 in flight) vs the raw ping-pong (1 in flight): ${underLoad.toFixed(0)} vs ${pingPong.toFixed(0)} = ${(underLoad / pingPong).toFixed(2)}× (not the issue's reading above)`)
    await overEchoChildren()
  } finally {
    await manager.stop()
    await runner.close()
  }
}
