/**
 * The hostile-plugin suite: each misbehaviour is contained, reported with the right status, leaves no process
 * of its sandbox behind, and does not disturb the host or another live instance.
 */
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IsolatedPluginRunner } from '../../../../src/main/conductor/isolation.ts'
import { HardenedProcessHost } from '../../../../src/main/conductor/sandbox/hardened-host.ts'
import { expectNoSurvivors, hostilePlugin, landlockExpected, landlockSkipReason, request, snapshot, watchExits } from './helpers.ts'

const config = { killGraceMs: 300, cancelGraceMs: 300, busySampleMs: 50 }

/** The whole suite against one runner: the same misbehaviours must be contained whatever layers hold them. */
function hostileSuite(title: string, makeRunner: () => IsolatedPluginRunner): void {
  describe(title, () => {
    let runner: IsolatedPluginRunner
    let outside: string
    let server: Server
    let connections = 0
    let serverPort = 0
    let watch: ReturnType<typeof watchExits>
    let seq = 0

    async function startHostile(limits: { memoryMb?: number; timeoutMs?: number } = {}): Promise<string> {
      const id = `hostile-${++seq}`
      const started = await runner.start(hostilePlugin, id, { limits })
      if (!started.ok) throw new Error(`start failed: ${JSON.stringify(started.error)}`)
      return id
    }

    beforeAll(async () => {
      runner = makeRunner()
      watch = watchExits(runner)
      outside = mkdtempSync(join(tmpdir(), 'conductor-outside-'))
      writeFileSync(join(outside, 'secret.txt'), 'host secret')
      server = createServer((socket) => {
        connections++
        socket.destroy()
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      serverPort = (server.address() as { port: number }).port
      const bystander = await runner.start(hostilePlugin, 'bystander')
      expect(bystander.ok).toBe(true)
    })

    afterAll(async () => {
      await runner.close()
      server.close()
      rmSync(outside, { recursive: true, force: true })
    })

    it('kills a plugin that grows its heap past a 64 MB cap and reports memory_limit', async () => {
      const id = await startHostile({ memoryMb: 64 })
      const result = await runner.execute(id, request('heap'))
      expect(result.status).toBe('memory_limit')
      if (result.status === 'memory_limit') expect(result.limitBytes).toBe(64 * 1024 * 1024)
      expect(watch.exitOf(id)?.reason).toBe('memory_limit')
      expect(runner.instances().find((info) => info.instanceId === id)?.state).toBe('down')
    })

    it('kills a plugin that allocates Buffers (outside the heap) past a 64 MB cap', async () => {
      const id = await startHostile({ memoryMb: 64 })
      const tree = snapshot(runner.treePids(id))
      const result = await runner.execute(id, request('buffers'))
      expect(result.status).toBe('memory_limit')
      expect(result.peakRssBytes).toBeGreaterThan(0)
      expectNoSurvivors(tree)
    })

    it('times out a busy loop and kills its whole tree', async () => {
      const id = await startHostile()
      const tree = snapshot(runner.treePids(id))
      const result = await runner.execute(id, request('spin'), { timeoutMs: 300 })
      expect(result.status).toBe('timeout')
      const exit = await watch.exited(id)
      expect(exit.reason).toBe('timeout')
      expect(exit.signal).toBe('SIGTERM')
      expectNoSurvivors(tree)
    })

    it('still kills a plugin that ignores SIGTERM (SIGKILL after the grace)', async () => {
      const id = await startHostile()
      const tree = snapshot(runner.treePids(id))
      const result = await runner.execute(id, request('ignore-term'), { timeoutMs: 300 })
      expect(result.status).toBe('timeout')
      const exit = await watch.exited(id)
      expect(exit.reason).toBe('timeout')
      expect(exit.signal).toBe('SIGKILL')
      expectNoSurvivors(tree)
    })

    it('times out a slow request, cancels it in the plugin, and keeps the instance usable', async () => {
      const id = await startHostile()
      const result = await runner.execute(id, request('sleep', { ms: 10_000 }), { timeoutMs: 200 })
      expect(result.status).toBe('timeout')
      const echo = await runner.execute(id, request('echo', {}, 'still here'))
      expect(echo.status).toBe('ok')
      const cancelled = await runner.execute(id, request('cancelled-count'))
      expect(cancelled.status === 'ok' && cancelled.output).toBe(1)
      expect(watch.exitOf(id)).toBeUndefined()
      await runner.stop(id)
    })

    it('aborts ctx.signal for a plugin that first looks at it after the cancel', async () => {
      const id = await startHostile()
      const result = await runner.execute(id, request('late-signal', { ms: 400 }), { timeoutMs: 100 })
      expect(result.status).toBe('timeout')
      await new Promise((resolve) => setTimeout(resolve, 500))
      const seen = await runner.execute(id, request('late-signal-seen'))
      expect(seen.status === 'ok' && seen.output).toEqual({ aborted: true, reason: 'request cancelled by the host (deadline passed)' })
      await runner.stop(id)
    })

    it('reports how long each request kept the plugin busy (cpuMs)', async () => {
      const id = await startHostile()
      const burnt = await runner.execute(id, request('burn', { ms: 80 }))
      const echo = await runner.execute(id, request('echo', {}, 'quick'))
      expect(burnt.status).toBe('ok')
      expect(burnt.cpuMs).toBeGreaterThanOrEqual(75)
      expect(burnt.cpuMs).toBeLessThan(burnt.durationMs + 1)
      expect(echo.cpuMs).toBeGreaterThanOrEqual(0)
      expect(echo.cpuMs).toBeLessThan(20)
      await runner.stop(id)
    })

    it.each([
      ['exit', { exitCode: 3, signal: null }],
      ['abort', { exitCode: null, signal: 'SIGABRT' }]
    ] as const)('reports %s as crashed with its exit code or signal', async (type, expected) => {
      const id = await startHostile()
      const tree = snapshot(runner.treePids(id))
      const result = await runner.execute(id, request(type))
      expect(result.status).toBe('crashed')
      expect({ exitCode: result.exitCode, signal: result.signal }).toEqual(expected)
      expect(watch.exitOf(id)?.reason).toBe('crashed')
      expectNoSurvivors(tree)
    })

    it('reports an uncaught exception as crashed with the stderr tail', async () => {
      const id = await startHostile()
      const result = await runner.execute(id, request('uncaught'))
      expect(result.status).toBe('crashed')
      expect(result.exitCode).toBe(1)
      expect(result.stderr).toContain('uncaught on purpose')
    })

    it('denies TCP and fetch to a server on 127.0.0.1, which sees no connection', async () => {
      const result = await runner.execute('bystander', request('network', { port: serverPort }))
      expect(result.status).toBe('ok')
      const output = (result as { output: { tcp: string; http: string } }).output
      expect(output.tcp).not.toBe('connected')
      expect(output.http).not.toBe('connected')
      expect(connections).toBe(0)
    })

    it('denies reading a secret file outside the plugin folder', async () => {
      const result = await runner.execute('bystander', request('read', { path: join(outside, 'secret.txt') }))
      expect(result.status).toBe('denied')
      if (result.status === 'denied') expect(result.error.code).toBe('ERR_ACCESS_DENIED')
      expect(JSON.stringify(result)).not.toContain('host secret')
    })

    it('denies writing outside scratch but allows writing into it', async () => {
      const target = join(outside, 'planted.txt')
      const result = await runner.execute('bystander', request('write', { path: target }))
      expect(result.status).toBe('denied')
      expect(existsSync(target)).toBe(false)
      const scratch = await runner.execute('bystander', request('write-scratch'))
      expect(scratch.status === 'ok' && scratch.output).toBe('scratch is writable')
    })

    it.each(['spawn', 'worker'])('denies starting a %s', async (type) => {
      const result = await runner.execute('bystander', request(type))
      expect(result.status).toBe('denied')
    })

    it('truncates 10 MB of console output at the cap without growing the host', async () => {
      const before = process.memoryUsage().rss
      const result = await runner.execute('bystander', request('flood'))
      expect(result.status).toBe('ok')
      expect(result.stdoutTruncated).toBe(true)
      expect(Buffer.byteLength(result.stdout)).toBeLessThanOrEqual(runner.config.outputBytes)
      expect(process.memoryUsage().rss - before).toBeLessThan(32 * 1024 * 1024)
    })

    it('bounds 10 MB written straight to the stdout pipe', async () => {
      const result = await runner.executeRequest("for (let i = 0; i < 160; i++) process.stdout.write('z'.repeat(65536)); return 'done'", {})
      expect(result.status).toBe('ok')
      expect(result.stdoutTruncated).toBe(true)
      expect(Buffer.byteLength(result.stdout)).toBeLessThanOrEqual(runner.config.outputBytes)
    })

    it.each([
      ['garbage', {}, /does not match the protocol/],
      ['not-json', {}, /framing: not JSON/],
      ['huge-frame', { bytes: 20 * 1024 * 1024 }, /framing: a message exceeds/]
    ] as const)('kills a plugin that writes %s to the channel, with a clear reason, and the host survives', async (type, metadata, reason) => {
      const id = await startHostile()
      const tree = snapshot(runner.treePids(id))
      const before = process.memoryUsage().rss
      const result = await runner.execute(id, request(type, metadata))
      expect(result.status).toBe('crashed')
      expect(result.killedBecause).toMatch(reason)
      expect(watch.exitOf(id)?.reason).toBe('protocol')
      expect(process.memoryUsage().rss - before).toBeLessThan(48 * 1024 * 1024)
      expectNoSurvivors(tree)
    })

    it('hides host environment secrets from the plugin', async () => {
      process.env['CONDUCTOR_TEST_SECRET'] = 'do-not-leak'
      const id = await startHostile()
      const result = await runner.execute(id, request('env'))
      delete process.env['CONDUCTOR_TEST_SECRET']
      expect(result.status).toBe('ok')
      const env = (result as { output: Record<string, string> }).output
      expect(env['CONDUCTOR_TEST_SECRET']).toBeUndefined()
      expect(Object.values(env)).not.toContain('do-not-leak')
      await runner.stop(id)
    })

    it('leaves the bystander instance untouched by all of the above', async () => {
      const result = await runner.execute('bystander', request('echo', {}, 'unharmed'))
      expect(result.status).toBe('ok')
      expect(watch.exitOf('bystander')).toBeUndefined()
    })
  })
}

hostileSuite('hostile plugins', () => new IsolatedPluginRunner(config))

// What an unprivileged host has: no namespaces, so Landlock, the permission model and (here) the cgroup hold.
if (landlockExpected) {
  hostileSuite('hostile plugins, without namespaces (Landlock)', () => new IsolatedPluginRunner(config, { hardenedHost: new HardenedProcessHost({ useNamespaces: false }) }))
} else {
  console.log(`[hostile] the suite without namespaces is skipped: ${landlockSkipReason}`)
}
