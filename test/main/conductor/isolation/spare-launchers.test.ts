/**
 * Spare launchers: the plugin-independent head of the hardened launch chain, started ahead of time. The
 * launch script a spare sources must carry env, working dir and arguments exactly (quotes, newlines and all);
 * a sandbox launched from a spare must be as isolated as one launched directly, with its own memory limit;
 * a dead spare is skipped; `close()` leaves no spare process or cgroup behind.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IsolatedPluginRunner } from '../../../../src/main/conductor/isolation.ts'
import { HardenedProcessHost } from '../../../../src/main/conductor/sandbox/hardened-host.ts'
import { isAlive, namespaceOf } from '../../../../src/main/conductor/sandbox/proc-tree.ts'
import { launchScript, shellQuote } from '../../../../src/main/conductor/sandbox/spare-launchers.ts'
import type { IsolationLayer } from '../../../../src/shared/sandbox.ts'
import { hostilePlugin, request } from './helpers.ts'

const layer = (layers: IsolationLayer[], name: IsolationLayer['layer']) => layers.find((l) => l.layer === name)!

describe('launch script', () => {
  const awkward = ["it's", 'two\nlines', ' spaced  out ', '$HOME `id` $(id) \\ "q"', '', '--flag=a=b', '*']

  it('passes every argument through the shell unchanged', () => {
    const script = launchScript({}, '/', awkward, `for a in "$@"; do printf '[%s]' "$a"; done`)!
    const run = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: {} })
    expect(run.status).toBe(0)
    expect(run.stdout).toBe(awkward.map((a) => `[${a}]`).join(''))
  })

  it('exports exactly the given environment, with the working dir set and no OLDPWD left by cd', () => {
    const env = { PATH: '/usr/bin:/bin', WEIRD: awkward.join('|'), EMPTY: '' }
    const script = launchScript(env, '/tmp', [], 'pwd; env')!
    const run = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: {}, cwd: '/' })
    expect(run.status).toBe(0)
    const [pwd, ...lines] = run.stdout.split('\n')
    expect(pwd).toBe('/tmp')
    const printed = lines.join('\n')
    for (const [name, value] of Object.entries(env)) expect(printed).toContain(`${name}=${value}`)
    expect(printed).not.toContain('OLDPWD')
  })

  it('declines an env name a shell cannot export, so the sandbox is launched directly instead', () => {
    expect(launchScript({ 'NOT-A-NAME': '1' }, '/', [], 'true')).toBeUndefined()
    expect(launchScript({ '1X': '1' }, '/', [], 'true')).toBeUndefined()
  })

  it('quotes a single quote so that the shell reads it back', () => {
    const run = spawnSync('/bin/sh', ['-c', `printf %s ${shellQuote("a'b'c")}`], { encoding: 'utf8' })
    expect(run.stdout).toBe("a'b'c")
  })
})

describe('sandboxes launched from a spare', () => {
  let host: HardenedProcessHost
  let runner: IsolatedPluginRunner
  let layered = false

  beforeAll(async () => {
    host = new HardenedProcessHost({ spareLaunchers: 1 })
    runner = new IsolatedPluginRunner({ killGraceMs: 300 }, { hardenedHost: host })
    const caps = await runner.capabilities()
    layered = layer(caps, 'cgroup-memory').status === 'enforced' || layer(caps, 'signals').status === 'enforced'
    if (!layered) console.log('spare launcher tests: no cgroup and no namespaces on this host, so no spares are made; skipping')
  })

  afterAll(async () => {
    await runner.close()
  })

  /** Resolves once the host has a live spare (the pool refills in the background after a launch). */
  async function spareReady(): Promise<{ pid: number | undefined; cgroupDir: string | null }> {
    for (;;) {
      const spare = host.spareLaunchers()[0]
      if (spare) return spare
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  it('is isolated like a direct launch and gets its own memory limit', async ({ skip }) => {
    if (!layered) skip()
    const first = await runner.start(hostilePlugin, 'direct', { limits: { memoryMb: 192 } })
    expect(first.ok).toBe(true)
    const spare = await spareReady()
    const second = await runner.start(hostilePlugin, 'from-spare', { limits: { memoryMb: 160 } })
    expect(second.ok).toBe(true)
    if (!first.ok || !second.ok) return
    const { isolation, pid } = second.value
    for (const name of ['network', 'filesystem-read', 'filesystem-write', 'environment', 'signals', 'cgroup-memory'] as const) {
      expect({ name, status: layer(isolation, name).status }).toEqual({ name, status: layer(first.value.isolation, name).status })
    }
    const cgroup = layer(isolation, 'cgroup-memory')
    if (cgroup.status === 'enforced') {
      // The spare's own group, now holding the sandbox's Node process, with the sandbox's limit.
      expect(spare.cgroupDir).not.toBeNull()
      expect(cgroup.evidence).toContain(spare.cgroupDir!)
      expect(readFileSync(`${spare.cgroupDir}/cgroup.procs`, 'utf8').split('\n').map(Number)).toContain(pid)
      expect(Number(readFileSync(`${spare.cgroupDir}/memory.limit_in_bytes`, 'utf8'))).toBe(160 * 1024 * 1024)
    }
    if (layer(isolation, 'network').status === 'enforced') {
      expect(namespaceOf(pid!, 'net')).not.toBe(namespaceOf('self', 'net'))
      expect(namespaceOf(pid!, 'net')).not.toBe(namespaceOf(first.value.pid!, 'net'))
    }
    const answer = await runner.execute('from-spare', request('echo', { hello: 'spare' }))
    expect(answer.status).toBe('ok')
    await runner.stop('from-spare')
    await runner.stop('direct')
  })

  it('skips a spare that died while waiting and launches directly', async ({ skip }) => {
    if (!layered) skip()
    const spare = await spareReady()
    process.kill(spare.pid!, 'SIGKILL')
    while (host.spareLaunchers().some((s) => s.pid === spare.pid)) await new Promise((resolve) => setTimeout(resolve, 5))
    const started = await runner.start(hostilePlugin, 'after-dead-spare')
    expect(started.ok).toBe(true)
    if (!started.ok) return
    const cgroup = layer(started.value.isolation, 'cgroup-memory')
    if (cgroup.status === 'enforced') expect(cgroup.evidence).not.toContain(spare.cgroupDir!)
    expect((await runner.execute('after-dead-spare', request('echo'))).status).toBe('ok')
    await runner.stop('after-dead-spare')
  })

  it('leaves no spare process or cgroup behind after close', async ({ skip }) => {
    if (!layered) skip()
    const spare = await spareReady()
    await runner.close()
    expect(host.spareLaunchers()).toEqual([])
    expect(isAlive(spare.pid!)).toBe(false)
    if (spare.cgroupDir) expect(existsSync(spare.cgroupDir)).toBe(false)
    // And none is made afterwards.
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(host.spareLaunchers()).toEqual([])
  })
})
