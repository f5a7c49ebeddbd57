/**
 * Router bench: `determineRoute` latency (p50/p99 in µs, target < 20 µs p50), and routed end-to-end throughput
 * through real sandboxes (discord + android, 2 instances each) against a raw fork IPC ping-pong measured in
 * the same run (target ≥ 0.5×). Reports only; never asserts.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { Registry } from 'prom-client'
import { IsolatedPluginRunner } from '../../src/main/conductor/isolation.ts'
import { RequestRouter } from '../../src/main/conductor/router.ts'
import type { PlatformDirectory } from '../../src/main/conductor/routing/platform-directory.ts'
import { createRoutingMetrics } from '../../src/main/conductor/routing/routing-metrics.ts'
import { PluginManager } from '../../src/main/plugins/manager.ts'

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

/** Raw baseline: a plain forked node child echoing IPC messages, `concurrency` in flight. */
async function rawIpc(total: number, concurrency: number): Promise<number> {
  const child: ChildProcess = spawn(process.execPath, ['-e', "process.on('message', (m) => process.send(m))"], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  await new Promise((r) => child.once('spawn', r))
  let sent = 0
  let received = 0
  const started = performance.now()
  await new Promise<void>((done) => {
    const send = () => {
      sent++
      child.send({ id: sent, type: 'discord', content: '!ping', metadata: {} })
    }
    child.on('message', () => {
      received++
      if (received === total) done()
      else if (sent < total) send()
    })
    for (let i = 0; i < Math.min(concurrency, total); i++) send()
  })
  const rate = total / ((performance.now() - started) / 1_000)
  child.kill()
  return rate
}

/** The sandbox alone (no router): `runner.execute` round-robin over the same instances, for attribution. */
async function direct(runner: IsolatedPluginRunner, ids: string[], total: number, concurrency: number): Promise<number> {
  let next = 0
  const request = { id: 'bench', type: 'discord', content: '!ping', metadata: {} }
  const started = performance.now()
  const worker = async () => {
    while (next < total) {
      const i = next++
      await runner.execute(ids[i % ids.length] as string, request, { timeoutMs: 5_000 })
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return total / ((performance.now() - started) / 1_000)
}

/** In-process router overhead: the runner answers at once, so only routing work is timed. */
async function routerOverheadUs(): Promise<number> {
  const directory: PlatformDirectory = { instancesOf: (p) => (p === 'discord' ? [{ instanceId: 'discord-1', state: 'ready' as const, healthy: true }] : undefined) }
  const result = { status: 'ok' as const, output: { reply: 'Pong!' }, instanceId: 'discord-1', stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, exitCode: null, signal: null, durationMs: 0, peakRssBytes: 0, cpuMs: 0 }
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

export default async function bench(): Promise<void> {
  determineRouteLatency()
  console.log(`routeRequest overhead with an instant runner: ${(await routerOverheadUs()).toFixed(1)} µs per request`)

  const runner = new IsolatedPluginRunner({ sampleIntervalMs: 1_000 })
  const manager = new PluginManager({ runner, builtinDir: BUILTIN_DIR, config: { healthCheckIntervalMs: 0 } })
  try {
    const started = await manager.start()
    if (started.loadErrors.length > 0) console.log('load errors:', started.loadErrors)
    const router = new RequestRouter({ directory: manager, runner, metrics: createRoutingMetrics(new Registry()) })
    await routed(router, 2_000, 16) // warm-up
    // The machine is shared and noisy: three interleaved rounds, medians reported.
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
    for (const concurrency of [1, 32]) {
      const total = concurrency === 1 ? 2_000 : 20_000
      const raws: number[] = []
      const routedRates: number[] = []
      const directs: number[] = []
      for (let round = 0; round < 3; round++) {
        raws.push(await rawIpc(total, concurrency))
        routedRates.push(await routed(router, total, concurrency))
        directs.push(await direct(runner, ['discord-1', 'discord-2', 'android-1', 'android-2'], total, concurrency))
      }
      const raw = median(raws)
      const viaRouter = median(routedRates)
      const sandboxOnly = median(directs)
      const ratio = viaRouter / raw
      console.log(
        `routed e2e, ${concurrency} in flight: ${viaRouter.toFixed(0)} req/s vs raw fork IPC ${raw.toFixed(0)} msg/s = ${ratio.toFixed(2)}× (target ≥ 0.5×: ${ratio >= 0.5 ? 'met' : 'MISSED'}); ` +
          `sandbox alone (runner.execute, same 4 instances) ${sandboxOnly.toFixed(0)} req/s = ${(sandboxOnly / raw).toFixed(2)}× raw, router keeps ${(viaRouter / sandboxOnly).toFixed(2)}× of it (medians of 3)`
      )
    }
  } finally {
    await manager.stop()
    await runner.close()
  }
}
