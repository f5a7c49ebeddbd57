import { afterEach, describe, expect, it, vi } from 'vitest'
import { RequestRouter } from '../../../src/main/conductor/router.ts'
import { PluginManager } from '../../../src/main/plugins/manager.ts'
import { PluginsSnapshotSchema } from '../../../src/shared/routing.ts'
import { FakeRunner } from '../conductor/router/fakes.ts'
import { BROKEN_DIR, BUILTIN_DIR, USER_DIR } from '../conductor/router/paths.ts'

let manager: PluginManager | null = null
afterEach(async () => {
  await manager?.stop()
  manager = null
})

function nextState(m: PluginManager, instanceId: string, state: string): Promise<void> {
  return new Promise((resolve) => {
    const listener = (event: { instanceId: string; state: string }) => {
      if (event.instanceId === instanceId && event.state === state) {
        m.off('instanceState', listener)
        resolve()
      }
    }
    m.on('instanceState', listener)
  })
}

describe('PluginManager', () => {
  it('discovers the built-in discord and android plugins and starts their instances', async () => {
    const runner = new FakeRunner()
    // No builtinDir: the default finds resources/plugins from the source tree.
    manager = new PluginManager({ runner, config: { healthCheckIntervalMs: 0 } })
    const snapshot = PluginsSnapshotSchema.parse(await manager.start())
    expect(snapshot.plugins[0]?.dir.startsWith(BUILTIN_DIR)).toBe(true)
    expect(snapshot.loadErrors).toEqual([])
    expect(snapshot.plugins.map((p) => [p.name, p.platform, p.source, p.instances.map((i) => `${i.instanceId}:${i.state}`)])).toEqual([
      ['android', 'android', 'builtin', ['android-1:ready', 'android-2:ready']],
      ['discord', 'discord', 'builtin', ['discord-1:ready', 'discord-2:ready']]
    ])
    expect(manager.getPlugin('discord')).toMatchObject({ name: 'discord', platform: 'discord', version: '1.0.0', instances: [{ instanceId: 'discord-1', state: 'ready', healthy: true }, { instanceId: 'discord-2' }] })
    expect(manager.getPlugin('telegram')).toBeUndefined()
  })

  it('reports broken manifests and a module that fails to load with file and reason while the others load', async () => {
    const runner = new FakeRunner()
    manager = new PluginManager({ runner, builtinDir: BROKEN_DIR, config: { healthCheckIntervalMs: 0, grants: { echo: { networkHosts: ['granted.example.com'] } } } })
    const snapshot = await manager.start()
    const errors = Object.fromEntries(snapshot.loadErrors.map((e) => [e.file.slice(BROKEN_DIR.length + 1), e.reason]))
    expect(errors).toEqual({
      'bad-json/manifest.json': expect.stringMatching(/manifest is not valid JSON/),
      'bad-schema/manifest.json': expect.stringMatching(/version: .*expected string.*; instances: .*expected number/i),
      'missing-entry/nowhere.mjs': 'entry module "nowhere.mjs" does not exist',
      'throws-on-load/index.mjs': expect.stringMatching(/throws-on-load-1 failed to start: .*this module refuses to load/)
    })
    const echo = snapshot.plugins.find((p) => p.name === 'echo')
    expect(echo?.instances.map((i) => i.state)).toEqual(['ready', 'ready'])
    expect(echo?.deniedPermissions).toEqual(['network:api.example.com:443'])
    expect(runner.live.has('echo-1')).toBe(true)
    expect(snapshot.plugins.find((p) => p.name === 'throws-on-load')?.instances[0]?.state).toBe('failed')
    // The router sees the loaded plugin and refuses the failed one with a reason.
    const router = new RequestRouter({ directory: manager, runner })
    expect((await router.routeRequest({ type: 'x', content: 'hi', target: 'echo' })).ok).toBe(true)
    expect((await router.routeRequest({ type: 'x', content: 'hi', target: 'throws-on-load' })).error?.code).toBe('NO_INSTANCE')
    expect((await router.routeRequest({ type: 'x', content: 'hi', target: 'bad-json' })).error?.code).toBe('ROUTE_NOT_FOUND')
    // Every loaded platform has a breaker in the router snapshot, used or not.
    expect(router.snapshot().platforms.map((p) => p.platform)).toEqual(expect.arrayContaining(['echo', 'throws-on-load']))
  })

  it('restarts a dead instance with backoff and shows its state, restart count and last exit', async () => {
    const runner = new FakeRunner()
    manager = new PluginManager({ runner, builtinDir: USER_DIR, config: { healthCheckIntervalMs: 0, restart: { initialDelayMs: 5, maxDelayMs: 20 } } })
    await manager.start()
    const states: string[] = []
    manager.on('instanceState', (e) => states.push(e.state))
    const ready = nextState(manager, 'flaky-1', 'ready')
    runner.crash('flaky-1', 'exited with code 3')
    const during = manager.snapshot().plugins[0]?.instances[0]
    expect(during).toMatchObject({ state: 'restarting', lastExit: { reason: 'crashed', detail: 'exited with code 3' }, nextRestartAtMs: expect.any(Number) })
    expect(manager.instancesOf('flaky')?.[0]?.state).toBe('restarting')
    await ready
    expect(states).toEqual(['restarting', 'restarting', 'ready'])
    expect(manager.snapshot().plugins[0]?.instances[0]).toMatchObject({ state: 'ready', restarts: 1, nextRestartAtMs: null })
    expect(runner.starts.get('flaky-1')).toBe(2)

    // A second quick death doubles the delay.
    const readyAgain = nextState(manager, 'flaky-1', 'ready')
    const before = Date.now()
    runner.crash('flaky-1')
    expect((manager.snapshot().plugins[0]?.instances[0]?.nextRestartAtMs ?? 0) - before).toBeGreaterThanOrEqual(10)
    await readyAgain
    expect(manager.snapshot().plugins[0]?.instances[0]?.restarts).toBe(2)
  })

  it('runs an operator restart after a backoff restart that is still starting, instead of starting the sandbox twice', async () => {
    const runner = new FakeRunner()
    manager = new PluginManager({ runner, builtinDir: USER_DIR, config: { healthCheckIntervalMs: 0, restart: { initialDelayMs: 1, maxDelayMs: 1 } } })
    await manager.start()
    // Hold the next sandbox starts until the test lets them through.
    let open!: () => void
    const gate = new Promise<void>((resolve) => (open = resolve))
    let held!: () => void
    const reached = new Promise<void>((resolve) => (held = resolve))
    const start = runner.start.bind(runner)
    runner.start = async (...args) => {
      held()
      await gate
      return start(...args)
    }
    runner.crash('flaky-1')
    await reached // the backoff restart is now inside runner.start
    const restarted = manager.restartInstance('flaky-1', 'operator asked')
    open()
    expect(await restarted).toBe(true)
    const [instance] = manager.snapshot().plugins[0]!.instances
    expect(instance).toMatchObject({ state: 'ready', restarts: 2, nextRestartAtMs: null, lastExit: { reason: 'restarted', detail: 'operator asked' } })
    // Initial start, the backoff restart, the operator's restart: each a separate, successful start.
    expect(runner.starts.get('flaky-1')).toBe(3)
    expect(runner.live.has('flaky-1')).toBe(true)
  })

  it('leaves no sandbox running when it stops during an operator restart, and refuses restarts once stopped', async () => {
    const runner = new FakeRunner()
    const m = new PluginManager({ runner, builtinDir: USER_DIR, config: { healthCheckIntervalMs: 0 } })
    manager = m
    await m.start()
    expect(runner.live.has('flaky-1')).toBe(true)
    const restarted = m.restartInstance('flaky-1', 'operator asked')
    await m.stop()
    expect(await restarted).toBe(false)
    expect([...runner.live.keys()]).toEqual([])
    expect(m.instancesOf('flaky')?.[0]?.state).toBe('stopped')

    expect(await m.restartInstance('flaky-1', 'after stop')).toBe(false)
    expect([...runner.live.keys()]).toEqual([])
  })

  it('marks an instance unhealthy after a failed health check so the router skips it, and healthy again after', async () => {
    const runner = new FakeRunner()
    manager = new PluginManager({ runner, builtinDir: USER_DIR, config: { healthCheckIntervalMs: 0, overrides: { flaky: { instances: 2 } } } })
    await manager.start()
    const router = new RequestRouter({ directory: manager, runner })
    // Round-robin: the first request lands on flaky-1 and switches its health off.
    expect((await router.routeRequest({ type: 'x', content: 'unhealthy:on', target: 'flaky' })).results[0]?.instanceId).toBe('flaky-1')
    await manager.checkHealth()
    expect(manager.snapshot().plugins[0]?.instances[0]).toMatchObject({ healthy: false, lastHealthCheck: { ok: false, detail: 'plugin reported unhealthy' } })
    for (let i = 0; i < 4; i++) expect((await router.routeRequest({ type: 'x', content: 'hi', target: 'flaky' })).results[0]?.instanceId).toBe('flaky-2')
    await runner.execute('flaky-1', { id: 'direct', type: 'x', content: 'unhealthy:off', metadata: {} })
    await manager.checkHealth()
    expect(manager.snapshot().plugins[0]?.instances[0]?.healthy).toBe(true)
  })

  it('runs health checks every 5 s by default', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] })
    try {
      vi.setSystemTime(2_000_000)
      const runner = new FakeRunner()
      const checks = vi.spyOn(runner, 'healthCheck')
      manager = new PluginManager({ runner, builtinDir: USER_DIR })
      expect(manager.config.healthCheckIntervalMs).toBe(5_000)
      await manager.start()
      expect(manager.snapshot().plugins[0]?.instances[0]?.lastHealthCheck).toBeNull()
      await vi.advanceTimersByTimeAsync(4_999)
      expect(checks).not.toHaveBeenCalled()
      await vi.advanceTimersByTimeAsync(1)
      expect(checks).toHaveBeenCalledTimes(1)
      await vi.advanceTimersByTimeAsync(5_000)
      expect(checks).toHaveBeenCalledTimes(2)
      expect(manager.snapshot().plugins[0]?.instances[0]?.lastHealthCheck).toEqual({ atMs: 2_010_000, ok: true, detail: null })
    } finally {
      vi.useRealTimers()
    }
  })

  it('passes manifest limits, granted permissions and merged settings to the sandbox', async () => {
    const runner = new FakeRunner()
    const started: unknown[] = []
    const original = runner.start.bind(runner)
    runner.start = (modulePath, instanceId, options) => {
      started.push(options)
      return original(modulePath, instanceId, options)
    }
    manager = new PluginManager({ runner, builtinDir: USER_DIR, config: { healthCheckIntervalMs: 0, overrides: { flaky: { settings: { failing: true } } } } })
    await manager.start()
    expect(started).toEqual([{ limits: { memoryMb: 128, timeoutMs: 5000 }, policy: { networkHosts: [] }, pluginConfig: { failing: true } }])
    const router = new RequestRouter({ directory: manager, runner })
    expect((await router.routeRequest({ type: 'x', content: 'hi', target: 'flaky' })).error?.message).toMatch(/failing mode/)
  })
})
