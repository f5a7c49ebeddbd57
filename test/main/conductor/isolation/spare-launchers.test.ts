/**
 * Spare launchers: the plugin-independent head of the hardened launch chain, started ahead of time, and rooted
 * spares, which also have one root shape's private root mounted and entered. The launch script a spare runs
 * must carry env, working dir and arguments exactly (quotes, newlines and all); a sandbox launched from either
 * kind must be as isolated as one launched directly, with its own memory limit; a dead spare is skipped; a
 * claimed rooted spare that does not fit is given up; `close()` leaves no spare process, cgroup, root or
 * scratch dir behind.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IsolatedPluginRunner } from '../../../../src/main/conductor/isolation.ts'
import { HardenedProcessHost } from '../../../../src/main/conductor/sandbox/hardened-host.ts'
import { isAlive, namespaceOf } from '../../../../src/main/conductor/sandbox/proc-tree.ts'
import { launchScript, rootedSpareScript, shellQuote } from '../../../../src/main/conductor/sandbox/spare-launchers.ts'
import type { IsolationLayer } from '../../../../src/shared/sandbox.ts'
import { hostilePlugin, request, waitForSpare, type SpareView } from './helpers.ts'

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

  it('reaches a rooted spare whole through its stdin, newlines included, and an empty stdin just exits', async () => {
    const script = launchScript({ X: 'a\nb' }, '/', awkward, `printf '<%s>' "$X"; for a in "$@"; do printf '[%s]' "$a"; done`)!
    const run = (input: string) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn('/bin/sh', ['-c', rootedSpareScript(), 'sh'], { env: {} })
        let out = ''
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
        child.on('close', (code) => resolve({ code, out }))
        child.stdin.end(input)
      })
    expect(await run(script)).toEqual({ code: 0, out: `<a\nb>${awkward.map((a) => `[${a}]`).join('')}` })
    expect(await run('')).toEqual({ code: 0, out: '' })
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
  let rootedSupported = false
  const grants: string[] = []
  /** A read grant of its own: a sandbox with it fits no rooted spare made for another, so it takes a plain one. */
  function ownGrant(): { readPaths: string[] } {
    const dir = mkdtempSync(join(tmpdir(), 'conductor-grant-'))
    grants.push(dir)
    return { readPaths: [dir] }
  }

  beforeAll(async () => {
    host = new HardenedProcessHost({ spareLaunchers: 1 })
    runner = new IsolatedPluginRunner({ killGraceMs: 300 }, { hardenedHost: host })
    const caps = await runner.capabilities()
    layered = layer(caps, 'cgroup-memory').status === 'enforced' || layer(caps, 'signals').status === 'enforced'
    if (!layered) console.log('spare launcher tests: no cgroup and no namespaces on this host, so no spares are made; skipping')
    rootedSupported = layer(caps, 'filesystem-read').mechanism.startsWith('mount namespace')
    if (layered && !rootedSupported) console.log('rooted spare tests: no private root on this host; skipping those')
  })

  afterAll(async () => {
    await runner.close()
    for (const dir of grants) rmSync(dir, { recursive: true, force: true })
  })

  /** Resolves once the host has a live spare of that kind (pools refill in the background after a launch). */
  const spareReady = (rooted = false): Promise<SpareView> => waitForSpare(host, (s) => s.rooted === rooted)

  it('shows the runner (and so the panel) each waiting launcher with its kind and resident memory', async ({ skip }) => {
    if (!layered) skip()
    const started = await runner.start(hostilePlugin, 'shown')
    expect(started.ok).toBe(true)
    const spare = await spareReady()
    const shown = runner.spareLaunchers().find((s) => s.pid === spare.pid)
    expect(shown?.kind).toBe('chain')
    // At least the waiting shell is resident; a dead pid would read as 0.
    expect(shown?.rssBytes).toBeGreaterThan(100 * 1024)
    await runner.stop('shown')
  })

  it('is isolated like a direct launch and gets its own memory limit', async ({ skip }) => {
    if (!layered) skip()
    const first = await runner.start(hostilePlugin, 'direct', { limits: { memoryMb: 192 } })
    expect(first.ok).toBe(true)
    const spare = await spareReady()
    const second = await runner.start(hostilePlugin, 'from-spare', { limits: { memoryMb: 160 }, policy: ownGrant() })
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
    const started = await runner.start(hostilePlugin, 'after-dead-spare', { policy: ownGrant() })
    expect(started.ok).toBe(true)
    if (!started.ok) return
    const cgroup = layer(started.value.isolation, 'cgroup-memory')
    if (cgroup.status === 'enforced') expect(cgroup.evidence).not.toContain(spare.cgroupDir!)
    expect((await runner.execute('after-dead-spare', request('echo'))).status).toBe('ok')
    await runner.stop('after-dead-spare')
  })

  /** Starts (and keeps) one sandbox with `grant`, then waits for the rooted spare made for that shape. */
  /** The pids of the spares waiting now, to recognise the one made after. */
  const sparePids = () => new Set(host.spareLaunchers().map((s) => s.pid))

  /** Resolves with the first rooted spare not among `before` (pools refill in the background). */
  const newRootedSpare = (before: Set<number | undefined>): Promise<SpareView> => waitForSpare(host, (s) => s.rooted && !before.has(s.pid))

  async function rootedSpareFor(id: string, grant: { readPaths: string[] }, memoryMb = 192) {
    const before = sparePids()
    const first = await runner.start(hostilePlugin, id, { limits: { memoryMb }, policy: grant })
    if (!first.ok) throw new Error(first.error.message)
    return { first: first.value, spare: await newRootedSpare(before) }
  }

  it('starts a sandbox from a rooted spare in its scratch and root, as isolated as a direct launch', async ({ skip }) => {
    if (!layered || !rootedSupported) skip()
    const grant = ownGrant()
    const { first, spare } = await rootedSpareFor('rooted-direct', grant)
    expect(spare.scratchDir).not.toBeNull()
    const second = await runner.start(hostilePlugin, 'rooted-spare', { limits: { memoryMb: 160 }, policy: grant })
    expect(second.ok).toBe(true)
    if (!second.ok) return
    expect(host.spareLaunchers().some((s) => s.pid === spare.pid)).toBe(false)
    const { isolation, pid } = second.value
    // Every layer as for a direct launch; the root also binds the shell the spare waited in.
    const binds = (text: string) => Number(/\((\d+) binds\)/.exec(text)?.[1] ?? NaN)
    const sansBinds = (l: IsolationLayer) => [l.layer, l.status, l.mechanism.replace(/\(\d+ binds\)/, '(N binds)')]
    expect(isolation.map(sansBinds)).toEqual(first.isolation.map(sansBinds))
    expect(binds(layer(isolation, 'filesystem-read').mechanism)).toBeGreaterThan(binds(layer(first.isolation, 'filesystem-read').mechanism))
    const cgroup = layer(isolation, 'cgroup-memory')
    if (cgroup.status === 'enforced') {
      expect(cgroup.evidence).toContain(spare.cgroupDir!)
      expect(readFileSync(`${spare.cgroupDir}/cgroup.procs`, 'utf8').split('\n').map(Number)).toContain(pid)
      expect(Number(readFileSync(`${spare.cgroupDir}/memory.limit_in_bytes`, 'utf8'))).toBe(160 * 1024 * 1024)
    }
    expect(namespaceOf(pid!, 'net')).not.toBe(namespaceOf(first.pid!, 'net'))
    expect(namespaceOf(pid!, 'mnt')).not.toBe(namespaceOf('self', 'mnt'))
    // The same environment as a direct launch, and the spare's scratch dir is this sandbox's writable one.
    const envDirect = await runner.execute('rooted-direct', request('env'))
    const envSpare = await runner.execute('rooted-spare', request('env'))
    expect(envSpare.status === 'ok' && Object.keys(envSpare.output as object).sort()).toEqual(envDirect.status === 'ok' && Object.keys(envDirect.output as object).sort())
    expect(envSpare.status === 'ok' && (envSpare.output as Record<string, string>).TMPDIR).toBe(spare.scratchDir)
    expect(await runner.execute('rooted-spare', request('write-scratch'))).toMatchObject({ status: 'ok', output: 'scratch is writable' })
    expect(readFileSync(join(spare.scratchDir!, 'note.txt'), 'utf8')).toBe('scratch is writable')
    const outside = join(grant.readPaths[0]!, 'escape.txt')
    expect((await runner.execute('rooted-spare', request('write', { path: outside }))).status).not.toBe('ok')
    expect(existsSync(outside)).toBe(false)
    await runner.stop('rooted-spare')
    await runner.stop('rooted-direct')
    expect(existsSync(spare.scratchDir!)).toBe(false)
  })

  it('does not use a rooted spare whose plugin folder was replaced since it was mounted', async ({ skip }) => {
    if (!layered || !rootedSupported) skip()
    const base = mkdtempSync(join(tmpdir(), 'conductor-swap-'))
    grants.push(base)
    const folder = join(base, 'plugin')
    const write = (version: string) => {
      mkdirSync(folder)
      writeFileSync(join(folder, 'index.mjs'), `export function handleRequest() { return '${version}' }\n`)
    }
    write('v1')
    const before = sparePids()
    const first = await runner.start(join(folder, 'index.mjs'), 'swap-v1')
    expect(first.ok).toBe(true)
    const spare = await newRootedSpare(before)
    await runner.stop('swap-v1')
    // An upgrade that swaps the folder: same path, new directory. The spare's bind still shows the old one.
    renameSync(folder, join(base, 'plugin-old'))
    write('v2')
    const second = await runner.start(join(folder, 'index.mjs'), 'swap-v2')
    expect(second.ok).toBe(true)
    expect(await runner.execute('swap-v2', request('any'))).toMatchObject({ status: 'ok', output: 'v2' })
    while (isAlive(spare.pid!)) await new Promise((resolve) => setTimeout(resolve, 5))
    await runner.stop('swap-v2')
    expect(existsSync(spare.scratchDir!)).toBe(false)
  })

  it('gives up a claimed rooted spare that the spawn does not fit and launches the usual way', async ({ skip }) => {
    if (!layered || !rootedSupported) skip()
    const dir = mkdtempSync(join(tmpdir(), 'conductor-fit-'))
    grants.push(dir)
    const script = join(dir, 'exit.mjs')
    spawnSync('/bin/sh', ['-c', `printf 'process.exit(7)' > '${script}'`])
    const other = ownGrant().readPaths[0]!
    const shape = { fsRead: [dir], network: false, childProcesses: false }
    const before = sparePids()
    expect(await host.claimScratch(shape)).toBeNull() // none of this shape yet: the claim has one made
    const spare = await newRootedSpare(before)
    const scratch = await host.claimScratch(shape)
    expect(scratch).toBe(spare.scratchDir)
    // A second writable path: not the root this spare mounted.
    const handle = await host.spawn({
      instanceId: 'does-not-fit', scriptPath: script, env: { PATH: '/usr/bin:/bin' }, cwd: scratch!, memoryMb: 128, maxMessageBytes: 1 << 20,
      permissions: { fsRead: [dir, scratch!], fsWrite: [scratch!, other], network: false, childProcesses: false, workers: false, nativeAddons: false }
    })
    const exit = await new Promise<{ exitCode: number | null }>((resolve) => handle.onExit(resolve))
    expect(exit.exitCode).toBe(7)
    while (isAlive(spare.pid!)) await new Promise((resolve) => setTimeout(resolve, 5))
    if (spare.cgroupDir) {
      while (existsSync(spare.cgroupDir)) await new Promise((resolve) => setTimeout(resolve, 5))
    }
    // The claimed scratch dir stays the caller's.
    expect(existsSync(scratch!)).toBe(true)
    rmSync(scratch!, { recursive: true, force: true })
  })

  it('leaves no spare process, cgroup, root or scratch dir behind after close', async ({ skip }) => {
    if (!layered) skip()
    const spare = await spareReady()
    const rooted = host.spareLaunchers().filter((s) => s.rooted)
    if (rootedSupported) expect(rooted.length).toBeGreaterThan(0)
    await runner.close()
    expect(host.spareLaunchers()).toEqual([])
    expect(isAlive(spare.pid!)).toBe(false)
    if (spare.cgroupDir) expect(existsSync(spare.cgroupDir)).toBe(false)
    for (const r of rooted) {
      expect(isAlive(r.pid!)).toBe(false)
      if (r.cgroupDir) expect(existsSync(r.cgroupDir)).toBe(false)
      expect(existsSync(r.scratchDir!)).toBe(false)
    }
    expect(readdirSync('/dev/shm').filter((name) => name.startsWith(`conductor-root-${process.pid}-`))).toEqual([])
    // And none is made afterwards.
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(host.spareLaunchers()).toEqual([])
  })
})
