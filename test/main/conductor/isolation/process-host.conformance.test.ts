/**
 * One conformance suite over every process host: the hardened host with all the layers this machine allows,
 * the hardened host with none (no namespaces, no cgroup: the fallback on a locked-down machine), and the
 * Electron utility host (against the documented-behaviour fake). Same behaviour, different enforcement.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { IsolatedPluginRunner } from '../../../../src/main/conductor/isolation.ts'
import { HardenedProcessHost } from '../../../../src/main/conductor/sandbox/hardened-host.ts'
import { UtilityProcessHost, type UtilityFork } from '../../../../src/main/electron/utility-host.ts'
import type { SandboxPolicy } from '../../../../src/shared/sandbox.ts'
import { createFakeFork } from '../../electron/fake-utility-process.ts'
import { expectNoSurvivors, hostilePlugin, request, snapshot, watchExits } from './helpers.ts'

interface HostCase {
  name: string
  make: () => IsolatedPluginRunner
  policy?: Partial<SandboxPolicy>
  /** The host reports a signalled child's signal (Electron reports only a code). */
  reportsSignals: boolean
  /** The host keeps the plugin from signalling the host process (a utility process can). */
  shieldsHost: boolean
}

const config = { killGraceMs: 300, cancelGraceMs: 200, busySampleMs: 50 }
const cases: HostCase[] = [
  { name: 'hardened host, all layers', make: () => new IsolatedPluginRunner(config), reportsSignals: true, shieldsHost: true },
  {
    name: 'hardened host, no namespaces or cgroup',
    make: () => new IsolatedPluginRunner(config, { hardenedHost: new HardenedProcessHost({ useNamespaces: false, useCgroup: false }) }),
    reportsSignals: true,
    shieldsHost: true
  },
  {
    name: 'utility host (fake Electron)',
    make: () => new IsolatedPluginRunner({ ...config, host: 'utility' }, { utilityHost: new UtilityProcessHost(createFakeFork().fork as unknown as UtilityFork) }),
    policy: { networkHosts: ['api.example.com'], unrestrictedFilesystem: true, childProcesses: true, workers: true },
    reportsSignals: false,
    shieldsHost: false
  }
]

describe.each(cases)('$name', (host) => {
  const runner = host.make()
  const { exited } = watchExits(runner)
  let seq = 0

  async function start(): Promise<string> {
    const id = `conf-${++seq}`
    const started = await runner.start(hostilePlugin, id, host.policy ? { policy: host.policy } : {})
    if (!started.ok) throw new Error(`start failed: ${JSON.stringify(started.error)}`)
    return id
  }

  afterAll(async () => {
    await runner.close()
  })

  it('answers a request and captures its console output', async () => {
    const id = await start()
    const result = await runner.execute(id, request('log', {}, 'hello'))
    expect(result.status).toBe('ok')
    expect(result.stdout).toBe('hello\n')
    await runner.stop(id)
  })

  it('kills a stuck plugin at its deadline and leaves no process behind', async () => {
    const id = await start()
    const tree = snapshot(runner.treePids(id))
    const result = await runner.execute(id, request('spin'), { timeoutMs: 200 })
    expect(result.status).toBe('timeout')
    expect((await exited(id)).reason).toBe('timeout')
    expectNoSurvivors(tree)
  })

  it('reports process.exit(3) as crashed with code 3', async () => {
    const id = await start()
    const result = await runner.execute(id, request('exit'))
    expect(result.status).toBe('crashed')
    expect(result.exitCode).toBe(3)
  })

  it('reports abort as crashed', async () => {
    const id = await start()
    const result = await runner.execute(id, request('abort'))
    expect(result.status).toBe('crashed')
    if (host.reportsSignals) expect(result.signal).toBe('SIGABRT')
  })

  it('kills a plugin that writes garbage to its channel', async () => {
    const id = await start()
    const result = await runner.execute(id, request('garbage'))
    expect(result.status).toBe('crashed')
    expect((await exited(id)).reason).toBe('protocol')
  })

  it('kills a granted grandchild that left the process group (setsid) along with the sandbox', async () => {
    const id = `conf-${++seq}`
    const started = await runner.start(hostilePlugin, id, { policy: { ...host.policy, childProcesses: true } })
    expect(started.ok).toBe(true)
    const spawned = await runner.execute(id, request('spawn-sleeper'))
    expect(spawned.status).toBe('ok')
    const tree = snapshot(runner.treePids(id))
    expect(tree.pids.length).toBeGreaterThanOrEqual(2)
    const result = await runner.execute(id, request('spin'), { timeoutMs: 200 })
    expect(result.status).toBe('timeout')
    await exited(id)
    expectNoSurvivors(tree)
  })

  it.runIf(host.shieldsHost)('keeps the host out of reach of process.kill(process.ppid)', async () => {
    const id = await start()
    const tree = snapshot(runner.treePids(id))
    const result = await runner.execute(id, request('kill-parent'))
    // The plugin may take its own sandbox down with its wrapper (crashed), but never the host.
    expect(['ok', 'crashed']).toContain(result.status)
    if (result.status === 'ok') expect((result.output as { ppid: number }).ppid).not.toBe(process.pid)
    expect(process.kill(process.pid, 0)).toBe(true)
    await runner.stop(id)
    expectNoSurvivors(tree)
  })
})
