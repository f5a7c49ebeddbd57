/**
 * The request path through REAL sandboxes: the plugin manager starts the built-in discord and android plugins
 * (2 instances each) and the flaky fixture in `IsolatedPluginRunner` processes; the router balances over them.
 */
import { performance } from 'node:perf_hooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IsolatedPluginRunner } from '../../../../src/main/conductor/isolation.ts'
import { RequestRouter } from '../../../../src/main/conductor/router.ts'
import { createRoutingMetrics } from '../../../../src/main/conductor/routing/routing-metrics.ts'
import { PluginManager } from '../../../../src/main/plugins/manager.ts'
import type { RouteResponse } from '../../../../src/shared/routing.ts'
import { MemorySink } from './fakes.ts'
import { BUILTIN_DIR, USER_DIR } from './paths.ts'

let runner: IsolatedPluginRunner
let manager: PluginManager

beforeAll(async () => {
  runner = new IsolatedPluginRunner({ sampleIntervalMs: 1_000, killGraceMs: 300, cancelGraceMs: 200 })
  manager = new PluginManager({ runner, builtinDir: BUILTIN_DIR, config: { userPluginsDir: USER_DIR, healthCheckIntervalMs: 0, restart: { initialDelayMs: 10 } } })
  const snapshot = await manager.start()
  expect(snapshot.loadErrors).toEqual([])
  expect(snapshot.plugins.flatMap((p) => p.instances.map((i) => `${i.instanceId}:${i.state}`))).toEqual([
    'android-1:ready',
    'android-2:ready',
    'discord-1:ready',
    'discord-2:ready',
    'flaky-1:ready'
  ])
}, 60_000)

afterAll(async () => {
  await manager?.stop()
  await runner?.close()
})

function newRouter(sink: MemorySink, config: ConstructorParameters<typeof RequestRouter>[0]['config'] = {}) {
  return new RequestRouter({ config, directory: manager, runner, deadLetters: sink, metrics: createRoutingMetrics() })
}

const MIX: Array<(i: number) => unknown> = [
  (i) => ({ type: 'discord', content: '!ping', metadata: { channelId: `ch-${i % 7}` } }),
  (i) => ({ type: 'chat', content: `/echo message ${i}` }),
  (i) => ({ type: 'chat', content: `hello <@${1000 + i}>` }),
  () => ({ type: 'android', content: 'GET /api/status' }),
  (i) => ({ type: 'app', content: `POST /api/message {"text":"note ${i}","deviceId":"dev-${i % 5}"}` }),
  () => ({ type: 'discord', content: '!status' }),
  () => ({ type: 'app', content: 'GET /api/ping' }),
  (i) => ({ type: 'discord', content: `plain words ${i}` }),
  () => ({ type: 'android', content: 'DELETE /api/nothing' }),
  // One in ten goes to the flaky plugin and fails: an error first, then CIRCUIT_OPEN once its breaker opens.
  () => ({ type: 'x', content: 'fail', target: 'flaky' })
]

describe('end to end through real sandboxes', () => {
  it('ends each of 1,000 mixed requests as a success or a dead-letter hand-off, and the counts add up exactly', async () => {
    const sink = new MemorySink()
    const router = newRouter(sink)
    const responses: RouteResponse[] = []
    for (let batch = 0; batch < 20; batch++) {
      const requests = Array.from({ length: 50 }, (_, j) => {
        const i = batch * 50 + j
        return (MIX[i % MIX.length] as (i: number) => unknown)(i)
      })
      responses.push(...(await Promise.all(requests.map((r) => router.routeRequest(r)))))
    }
    expect(responses).toHaveLength(1_000)
    const succeeded = responses.filter((r) => r.ok)
    const handedOff = responses.filter((r) => !r.ok && r.dlqId !== null)
    const neither = responses.filter((r) => !r.ok && r.dlqId === null)
    expect(neither).toEqual([])
    expect(succeeded.length + handedOff.length).toBe(1_000)
    expect(succeeded.length).toBe(900)
    expect(handedOff.length).toBe(100)
    expect(new Set(handedOff.map((r) => r.dlqId)).size).toBe(100)
    expect(sink.entries.size).toBe(100)
    expect(handedOff.every((r) => r.results[0]?.platform === 'flaky')).toBe(true)
    const codes = new Set(handedOff.map((r) => r.error?.code))
    expect([...codes].sort()).toEqual(['CIRCUIT_OPEN', 'PLUGIN_ERROR'])
    const snapshot = router.snapshot()
    expect(snapshot.totals).toEqual({ ok: 900, failed: 100, rejected: 0, dlqHandOffs: 100 })
    const routed = Object.fromEntries(snapshot.platforms.flatMap((p) => p.instances.map((i) => [i.instanceId, i.routed])))
    expect(routed['discord-1']).toBeGreaterThan(0)
    expect(routed['discord-2']).toBeGreaterThan(0)
    expect(routed['android-1']).toBeGreaterThan(0)
    expect(routed['android-2']).toBeGreaterThan(0)
    expect(snapshot.inFlight).toBe(0)
    // Replies come from the real plugins.
    expect(succeeded[0]?.results[0]).toMatchObject({ platform: 'discord', output: { reply: 'Pong!', channelId: 'ch-0' } })
    expect(succeeded.find((r) => r.results[0]?.platform === 'android')?.results[0]).toMatchObject({ output: { status: 200, body: { ok: true } } })
  }, 120_000)

  it('times out a plugin slower than the route timeout within the deadline plus slack; the instance stays usable', async () => {
    const router = newRouter(new MemorySink(), { rules: [{ id: 'slow', match: { content: '^sleep:' }, platform: 'flaky', timeoutMs: 300 }] })
    const started = performance.now()
    const response = await router.routeRequest({ type: 'x', content: 'sleep:30000' })
    const elapsedMs = performance.now() - started
    expect(response).toMatchObject({ ok: false, error: { code: 'PLUGIN_TIMEOUT', instanceId: 'flaky-1', timeoutMs: 300 } })
    expect(elapsedMs).toBeLessThan(300 + 2_000)
    const after = await router.routeRequest({ type: 'x', content: 'still alive', target: 'flaky' })
    expect(after.results[0]).toMatchObject({ ok: true, instanceId: 'flaky-1', output: { echo: 'still alive' } })
    // The sandbox cancelled the request: the plugin's signal fired and its sleep ended early.
    const stats = await router.routeRequest({ type: 'x', content: 'stats', target: 'flaky' })
    expect(stats.results[0]).toMatchObject({ ok: true, output: { cancelled: 1 } })
    expect(manager.snapshot().plugins.find((p) => p.name === 'flaky')?.instances[0]?.restarts).toBe(0)
  }, 30_000)

  it('restarts an instance whose process died and routes to it again', async () => {
    const router = newRouter(new MemorySink())
    const ready = new Promise<void>((resolve) => {
      const listener = (e: { instanceId: string; state: string }) => {
        if (e.instanceId === 'flaky-1' && e.state === 'ready') {
          manager.off('instanceState', listener)
          resolve()
        }
      }
      manager.on('instanceState', listener)
    })
    await router.routeRequest({ type: 'x', content: 'crash', target: 'flaky' })
    await ready
    const flaky = manager.snapshot().plugins.find((p) => p.name === 'flaky')?.instances[0]
    expect(flaky).toMatchObject({ state: 'ready', restarts: 1, lastExit: { reason: 'crashed' } })
    expect((await router.routeRequest({ type: 'x', content: 'back', target: 'flaky' })).results[0]).toMatchObject({ ok: true, output: { echo: 'back', calls: 1 } })
  }, 30_000)
})
