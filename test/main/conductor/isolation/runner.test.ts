/**
 * The runner's ordinary behaviour on real processes: the seed check, ad-hoc code, plugin lifecycle, samples,
 * metrics, misuse, and an isolation report that matches what the test itself observes from outside.
 */
import { existsSync, readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IsolatedPluginRunner } from '../../../../src/main/conductor/isolation.ts'
import { metricsRegistry } from '../../../../src/main/conductor/metrics.ts'
import { HardenedProcessHost } from '../../../../src/main/conductor/sandbox/hardened-host.ts'
import type { ProcessHost } from '../../../../src/main/conductor/sandbox/process-host.ts'
import { namespaceOf } from '../../../../src/main/conductor/sandbox/proc-tree.ts'
import type { IsolationLayer, ResourceSample } from '../../../../src/shared/sandbox.ts'
import { expectNoSurvivors, hostilePlugin, request, snapshot, type TreeSnapshot } from './helpers.ts'

let runner: IsolatedPluginRunner

const layer = (layers: IsolationLayer[], name: IsolationLayer['layer']) => layers.find((l) => l.layer === name)!

/** Starts the hostile plugin as `id` on `on` (it must start) and returns its isolation report. */
async function isolationOf(on: IsolatedPluginRunner, id: string): Promise<IsolationLayer[]> {
  const started = await on.start(hostilePlugin, id)
  if (!started.ok) throw new Error(`${id} did not start: ${started.error.message}`)
  return started.value.isolation
}

beforeAll(() => {
  runner = new IsolatedPluginRunner({ sampleIntervalMs: 100, killGraceMs: 300 })
})

afterAll(async () => {
  await runner.close()
})

describe('ad-hoc code', () => {
  it('runs the seed check: console output is captured and the status is ok', async () => {
    const result = await runner.executeRequest('console.log("Hello from isolation")', {})
    expect(result.status).toBe('ok')
    expect(result.stdout).toContain('Hello from isolation')
  })

  it('returns the value of the code, with the payload in scope', async () => {
    const result = await runner.executeRequest('return { doubled: payload.n * 2 }', { n: 21 })
    expect(result.status === 'ok' && result.output).toEqual({ doubled: 42 })
  })

  it('reports a thrown error with the plugin stack', async () => {
    const result = await runner.executeRequest('throw new TypeError("bad input")', {})
    expect(result.status).toBe('error')
    if (result.status === 'error') {
      expect(result.error.message).toBe('bad input')
      expect(result.error.stack).toContain('TypeError')
    }
  })

  it('times out an endless loop per call and leaves nothing running', async () => {
    const before = runner.instances().length
    const result = await runner.executeRequest('for (;;) {}', {}, { timeoutMs: 200 })
    expect(result.status).toBe('timeout')
    expect(runner.instances()).toHaveLength(before)
  })
})

describe('plugin instances', () => {
  it('starts a plugin, passes its config to initialize, and answers with the request context', async () => {
    const started = await runner.start(hostilePlugin, 'basic', { pluginConfig: { token: 'abc' } })
    expect(started.ok).toBe(true)
    const config = await runner.execute('basic', request('config'))
    expect(config.status === 'ok' && config.output).toEqual({ token: 'abc' })
    const echo = await runner.execute('basic', request('echo', {}, 'hi'))
    expect(echo.status === 'ok' && echo.output).toMatchObject({ content: 'hi', instanceId: 'basic' })
    const health = await runner.healthCheck('basic')
    expect(health.status).toBe('ok')
  })

  it('captures console output per request', async () => {
    const [a, b] = await Promise.all([
      runner.execute('basic', request('log', {}, 'first')),
      runner.execute('basic', request('log', {}, 'second'))
    ])
    expect(a.stdout).toBe('first\n')
    expect(a.stderr).toBe('err:first\n')
    expect(b.stdout).toBe('second\n')
  })

  it('turns an output that cannot be serialised into an error result and keeps serving', async () => {
    const [bad, good] = await Promise.all([runner.execute('basic', request('bigint')), runner.execute('basic', request('echo', {}, 'after'))])
    expect(bad.status).toBe('error')
    if (bad.status === 'error') expect(bad.error.message).toMatch(/not JSON-serialisable/)
    expect(good.status).toBe('ok')
  })

  it('samples CPU and RSS of a live instance into the ring buffer and as events', async () => {
    const seen: ResourceSample[] = []
    const listener = (sample: ResourceSample): void => void seen.push(sample)
    runner.on('sample', listener)
    await new Promise<void>((resolve) => {
      const check = (sample: ResourceSample): void => {
        if (sample.instanceId === 'basic' && seen.filter((s) => s.instanceId === 'basic').length >= 2) {
          runner.off('sample', check)
          resolve()
        }
      }
      runner.on('sample', check)
    })
    runner.off('sample', listener)
    const ring = runner.samples('basic')
    expect(ring.length).toBeGreaterThanOrEqual(2)
    expect(ring.at(-1)!.rssBytes).toBeGreaterThan(10 * 1024 * 1024)
  })

  it('counts executions by plugin and outcome in Prometheus text', async () => {
    const count = async (pattern: RegExp) => Number(pattern.exec(await metricsRegistry.metrics())?.[1] ?? 0)
    const errors = /conductor_sandbox_executions_total\{plugin="sandbox",outcome="error"\} (\d+)/
    const errorDurations = /conductor_sandbox_duration_seconds_count\{plugin="sandbox",outcome="error"\} (\d+)/
    const before = { errors: await count(errors), durations: await count(errorDurations) }
    const result = await runner.execute('basic', request('throw'))
    expect(await count(errors)).toBe(before.errors + 1)
    expect(await count(errorDurations)).toBe(before.durations + 1)
    const text = await metricsRegistry.metrics()
    expect(text).toContain(`conductor_sandbox_duration_seconds_bucket{le="+Inf",plugin="sandbox",outcome="error"} ${before.durations + 1}`)
    if (result.peakRssBytes > 0) expect(text).toMatch(/conductor_sandbox_peak_rss_bytes_count\{plugin="sandbox"\} [1-9]/)
  })

  it('throws for caller misuse: unknown instance, relative path, duplicate id', async () => {
    await expect(runner.execute('nope', request('echo'))).rejects.toThrow(/unknown sandbox instance/)
    await expect(runner.start('relative/plugin.mjs', 'x')).rejects.toThrow(/absolute/)
    await expect(runner.start(hostilePlugin, 'basic')).rejects.toThrow(/already running/)
    await expect(runner.execute('basic', { id: 1 } as never)).rejects.toThrow(/invalid plugin request/)
  })

  it('refuses a second start of an id whose first start is still launching, so no sandbox is left unowned', async () => {
    const first = runner.start(hostilePlugin, 'twice')
    await expect(runner.start(hostilePlugin, 'twice')).rejects.toThrow(/already running/)
    const started = await first
    expect(started.ok).toBe(true)
    const tree = snapshot(runner.treePids('twice'))
    await runner.stop('twice')
    expectNoSurvivors(tree)
  })

  it('reports a plugin that fails to load as an error result, not an exception', async () => {
    const started = await runner.start('/nonexistent/plugin.mjs', 'missing')
    expect(started.ok).toBe(false)
    if (!started.ok) expect(started.error.code).toMatch(/PLUGIN_ERROR|DENIED/)
  })

  it('removes the scratch dir on stop', async () => {
    const scratch = await runner.execute('basic', request('env'))
    const dir = (scratch as { output: { TMPDIR: string } }).output.TMPDIR
    await runner.stop('basic')
    expect(() => readFileSync(dir)).toThrow()
    expect(runner.instances().find((info) => info.instanceId === 'basic')).toBeUndefined()
  })
})

describe('isolation report', () => {

  it('reports only layers the test can observe from outside as enforced', async () => {
    const started = await runner.start(hostilePlugin, 'report', { limits: { memoryMb: 96 } })
    expect(started.ok).toBe(true)
    if (!started.ok) return
    const { isolation, pid } = started.value
    expect(pid).toBeTypeOf('number')
    const hostPid = pid!
    for (const name of ['network', 'signals'] as const) {
      const kind = name === 'network' ? 'net' : 'pid'
      if (layer(isolation, name).status === 'enforced') expect(namespaceOf(hostPid, kind)).not.toBe(namespaceOf('self', kind))
    }
    const cgroup = layer(isolation, 'cgroup-memory')
    if (cgroup.status === 'enforced') {
      const path = /memory:(.*)$/m.exec(readFileSync(`/proc/${hostPid}/cgroup`, 'utf8'))![1]!
      expect(Number(readFileSync(`/sys/fs/cgroup/memory${path}/memory.limit_in_bytes`, 'utf8'))).toBe(96 * 1024 * 1024)
    }
    expect(layer(isolation, 'heap').status).toBe('enforced')
    // The permission model alone is advisory; enforced needs the private root, checked here from outside.
    const fsRead = layer(isolation, 'filesystem-read')
    expect(['enforced', 'advisory']).toContain(fsRead.status)
    if (fsRead.status === 'enforced') {
      expect(namespaceOf(hostPid, 'mnt')).not.toBe(namespaceOf('self', 'mnt'))
      expect(existsSync(`/proc/${hostPid}/root/etc/passwd`)).toBe(false)
      expect(existsSync(`/proc/${hostPid}/root${hostilePlugin}`)).toBe(true)
      expect(layer(isolation, 'filesystem-write').status).toBe('enforced')
    }
    expect(layer(isolation, 'environment').status).toBe('enforced')
    const caps = await runner.capabilities()
    expect(caps.map((l) => l.layer)).toEqual(expect.arrayContaining(['process', 'network', 'cgroup-memory', 'filesystem-write']))
    const network = layer(caps, 'network')
    if (network.status === 'enforced') expect(network.evidence).toMatch(/host listener on 127\.0\.0\.1:\d+ saw 0 connection/)
    await runner.stop('report')
  })

  it('attempts a spawn and a Worker in the capability probe, and reads the permission model in a sandbox', async () => {
    const caps = await runner.capabilities()
    // The probe made the attempts: the refusal's own code, nothing else.
    expect(layer(caps, 'child-processes')).toMatchObject({ status: 'advisory', evidence: 'self-test spawn before plugin load: ERR_ACCESS_DENIED' })
    expect(layer(caps, 'workers')).toMatchObject({ status: 'advisory', evidence: 'self-test new Worker before plugin load: ERR_ACCESS_DENIED' })
    const isolation = await isolationOf(runner, 'gates')
    const child = layer(isolation, 'child-processes')
    expect(child.status).toBe('advisory')
    expect(child.evidence).toContain("process.permission.has('child') is false")
    expect(layer(isolation, 'workers').evidence).toContain("process.permission.has('worker') is false")
    // What the answer describes holds for the plugin: both are refused at run time.
    expect(await runner.execute('gates', request('spawn'))).toMatchObject({ status: 'denied' })
    expect(await runner.execute('gates', request('worker'))).toMatchObject({ status: 'denied' })
    await runner.stop('gates')
  })
})

describe('environment added by the host', () => {
  it('expects the env a host adds itself (ELECTRON_RUN_AS_NODE in the app) instead of refusing it as a leak', async () => {
    const electronLike = new IsolatedPluginRunner(
      { killGraceMs: 300 },
      { hardenedHost: new HardenedProcessHost({ extraEnv: { ELECTRON_RUN_AS_NODE: '1' } }) }
    )
    try {
      const environment = layer(await isolationOf(electronLike, 'run-as-node'), 'environment')
      expect(environment.status).toBe('enforced')
      expect(environment.evidence).toContain('ELECTRON_RUN_AS_NODE')
      expect(environment.evidence).not.toMatch(/also sees/)
    } finally {
      await electronLike.close()
    }
  })
})

describe('stop and close while a sandbox is starting', () => {
  /** The hardened host, with each launch held until the test opens the gate. */
  function gatedHost(): { host: ProcessHost; open: () => void; launches: { launched: number; exited: number } } {
    const inner = new HardenedProcessHost()
    let open!: () => void
    const gate = new Promise<void>((resolve) => (open = resolve))
    const launches = { launched: 0, exited: 0 }
    const host: ProcessHost = {
      kind: inner.kind,
      capabilities: () => inner.capabilities(),
      spawn: async (spec) => {
        await gate
        const handle = await inner.spawn(spec)
        launches.launched++
        handle.onExit(() => launches.exited++)
        return handle
      }
    }
    return { host, open, launches }
  }

  for (const how of ['stop', 'close'] as const) {
    for (const when of ['before its host is chosen', 'during the launch'] as const) {
      it(`${how} ${when} ends the sandbox instead of leaving it running`, async () => {
        const { host, open, launches } = gatedHost()
        const own = new IsolatedPluginRunner({ killGraceMs: 300 }, { hardenedHost: host })
        const id = `early-${how}-${when.length}`
        try {
          const starting = own.start(hostilePlugin, id)
          // Let the start reach the (held) launch, or call at once while it still picks the host.
          if (when === 'during the launch') await new Promise((resolve) => setImmediate(resolve))
          const ending = how === 'stop' ? own.stop(id) : own.close()
          open()
          const started = await starting
          await ending
          expect(started.ok).toBe(false)
          expect(own.instances().filter((info) => info.state !== 'down' && info.state !== 'stopped')).toEqual([])
          // Whatever was launched had exited by the time the stop (or close) returned.
          expect(launches).toEqual(when === 'during the launch' ? { launched: 1, exited: 1 } : { launched: 0, exited: 0 })
        } finally {
          open()
          await own.close()
        }
      })
    }
  }

  it('close ends a running ad-hoc sandbox: executeRequest resolves and nothing of it survives', async () => {
    const own = new IsolatedPluginRunner({ killGraceMs: 300 })
    let tree: TreeSnapshot | undefined
    const running = new Promise<void>((resolve) =>
      own.on('state', (change) => {
        if (change.state !== 'ready' || !change.instanceId.startsWith('adhoc-')) return
        tree = snapshot(own.treePids(change.instanceId))
        resolve()
      })
    )
    try {
      const pending = own.executeRequest('await new Promise(() => {})', {}, { timeoutMs: 60_000 })
      await running
      await own.close()
      const result = await pending
      expect(result.status).not.toBe('ok')
      expectNoSurvivors(tree!)
      expect(own.instances()).toEqual([])
    } finally {
      await own.close()
    }
  })

  it('runs no ad-hoc code after close and says why', async () => {
    const own = new IsolatedPluginRunner({ killGraceMs: 300 })
    await own.close()
    const result = await own.executeRequest('return 1', {})
    expect(result.status).toBe('crashed')
    expect(result.status === 'crashed' && result.error.message).toMatch(/runner is closed/)
    expect(own.instances()).toEqual([])
  })

  it('refuses to start a sandbox after close', async () => {
    const own = new IsolatedPluginRunner({ killGraceMs: 300 })
    await own.close()
    const started = await own.start(hostilePlugin, 'after-close')
    try {
      expect(started.ok).toBe(false)
      expect(own.instances()).toEqual([])
    } finally {
      await own.close()
    }
  })
})
