/**
 * The Landlock layer: the launcher restricts itself and execs Node with the message channel (fd 3) intact;
 * the kernel then refuses paths outside the rules (also through the thread pool), TCP and signals to the
 * host; the rules a sandbox gets follow its policy; a launcher that cannot restrict never execs.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IsolatedPluginRunner } from '../../../../src/main/conductor/isolation.ts'
import { resolveLandlockLauncher } from '../../../../src/main/conductor/sandbox/host-script.ts'
import { HardenedProcessHost } from '../../../../src/main/conductor/sandbox/hardened-host.ts'
import { LAUNCHER_FLAGS, landlockRules, probeLandlock, type LandlockSupport } from '../../../../src/main/conductor/sandbox/landlock.ts'
import { SYSTEM_DIRS, RESOLVER_FILES } from '../../../../src/main/conductor/sandbox/mount-root.ts'
import { hostilePlugin, landlockExpected, landlockSkipReason, privateRootExpected, request, waitForSpare } from './helpers.ts'

if (!landlockExpected) console.log(`[landlock] tests that need Landlock skipped: ${landlockSkipReason}`)

let dir: string
beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'conductor-landlock-')))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function support(runtimeFiles: string[] = []): LandlockSupport {
  return { abi: 7, launcherPath: '/launcher.mjs', runtimeFiles }
}

describe('landlockRules', () => {
  it('reads the runtime, the read list and the package.json files the module loader consults above it; writes only scratch', () => {
    const project = join(dir, 'project')
    const pluginDir = join(project, 'plugins', 'echo')
    mkdirSync(pluginDir, { recursive: true })
    writeFileSync(join(project, 'package.json'), '{"type":"module"}')
    const rules = landlockRules(support(['/node']), { fsRead: [pluginDir, '/scratch'], fsWrite: ['/scratch'], network: false, childProcesses: false })
    expect(rules.read).toEqual(expect.arrayContaining([pluginDir, join(project, 'package.json')]))
    expect(rules.execute).toEqual(['/node'])
    expect(rules.write).toEqual(['/scratch', '/dev/null'])
    expect(rules.denyTcp).toBe(true)
    expect(rules.scope).toBe(true)
  })

  it('adds the system folders for a plugin granted child processes and the resolver files for one granted network', () => {
    const spawning = landlockRules(support(), { fsRead: ['/plugin'], fsWrite: ['/scratch'], network: false, childProcesses: true })
    expect(spawning.execute).toEqual(expect.arrayContaining([...SYSTEM_DIRS, '/plugin']))
    const networked = landlockRules(support(), { fsRead: [], fsWrite: ['/scratch'], network: true, childProcesses: false })
    expect(networked.read).toEqual(expect.arrayContaining(RESOLVER_FILES))
    expect(networked.denyTcp).toBe(false)
  })
})

/** Runs `script` under the launcher with `rules`; fd 3 is a socketpair the script can report on. */
function underLauncher(rules: unknown, script: string): Promise<{ code: number | null; stdout: string; stderr: string; channel: string }> {
  const launcher = resolveLandlockLauncher()!
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...LAUNCHER_FLAGS, launcher, 'run', typeof rules === 'string' ? rules : JSON.stringify(rules), process.execPath, '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: { PATH: '/usr/bin:/bin' }
    })
    let stdout = ''
    let stderr = ''
    let channel = ''
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    ;(child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => (channel += chunk.toString()))
    child.on('close', (code) => resolve({ code, stdout, stderr, channel }))
  })
}

/** The built child (npm test builds first): its launcher sits beside it, outside the child's read list. */
const builtChild = join(import.meta.dirname, '../../../../out/main/sandbox-host.mjs')
if (!existsSync(builtChild)) console.log(`[landlock] stacked tests skipped: ${builtChild} is missing (run npm run build)`)

describe.runIf(landlockExpected && privateRootExpected && existsSync(builtChild))('Landlock stacked on the private root (landlock: always)', () => {
  const host = new HardenedProcessHost({ landlock: 'always' })
  const runner = new IsolatedPluginRunner({ killGraceMs: 300, cancelGraceMs: 300, hostScriptPath: builtChild }, { hardenedHost: host })
  afterAll(() => runner.close())
  const fsMechanism = (isolation: { layer: string; mechanism: string; status: string }[]) => isolation.find((l) => l.layer === 'filesystem-read')!

  it('names both mechanisms, and a sandbox made from a rooted spare (its root holds the launcher) has them too', async () => {
    const first = await runner.start(hostilePlugin, 'stacked-1')
    if (!first.ok) throw new Error(JSON.stringify(first.error))
    expect(fsMechanism(first.value.isolation)).toMatchObject({ status: 'enforced', mechanism: expect.stringMatching(/mount namespace.*; Landlock ABI \d+/) })
    const echoed = await runner.execute('stacked-1', request('echo', {}, 'hi'))
    expect(echoed.status).toBe('ok')
    // The first start of a plugin leaves a rooted spare for its root shape; the next start takes it.
    const spare = (await waitForSpare(host, (s) => s.rooted)).pid
    const second = await runner.start(hostilePlugin, 'stacked-2')
    if (!second.ok) throw new Error(JSON.stringify(second.error))
    // Taken, not abandoned: the root it ran in also binds the shell the spare waited in, so it counts more binds.
    expect(host.spareLaunchers().some((s) => s.pid === spare)).toBe(false)
    const binds = (isolation: { layer: string; mechanism: string; status: string }[]) => Number(/\((\d+) binds\)/.exec(fsMechanism(isolation).mechanism)?.[1])
    expect(binds(second.value.isolation)).toBeGreaterThan(binds(first.value.isolation))
    expect(fsMechanism(second.value.isolation).mechanism).toMatch(/; Landlock ABI \d+/)
    const leak = await runner.execute('stacked-2', request('read', { path: '/etc/passwd' }))
    expect(leak.status).not.toBe('ok')
    expect((await runner.execute('stacked-2', request('write-scratch'))).status).toBe('ok')
  })
})

describe.runIf(landlockExpected)('the Landlock launcher', () => {
  let landlock: LandlockSupport
  let server: Server
  let connections = 0
  beforeAll(async () => {
    const probe = await probeLandlock(process.execPath, {})
    if (!probe.support) throw new Error(`Landlock expected on this machine: ${probe.evidence}`)
    landlock = probe.support
    server = createServer((socket) => {
      connections++
      socket.destroy()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  })
  afterAll(() => server?.close())

  it('finds the ABI and the runtime files of this Node', () => {
    expect(landlock.abi).toBeGreaterThanOrEqual(1)
    expect(landlock.runtimeFiles).toContain(realpathSync(process.execPath))
  })

  it('execs Node restricted, with fd 3 still the channel: own files readable, the rest, TCP and signals refused', async () => {
    const allowed = join(dir, 'allowed.txt')
    writeFileSync(allowed, 'allowed')
    // Readable is not executable: only the runtime is on the execute list.
    const readableScript = join(dir, 'readable-script.sh')
    writeFileSync(readableScript, '#!/bin/sh\necho ran\n', { mode: 0o755 })
    const port = (server.address() as { port: number }).port
    const script = `
      const fs = require('node:fs'); const net = require('node:net')
      const code = (f) => { try { f(); return 'ok' } catch (e) { return e.code } }
      const out = { channel: fs.fstatSync(3).isSocket(), own: code(() => fs.readFileSync(${JSON.stringify(allowed)})),
        passwd: code(() => fs.readFileSync('/etc/passwd')), signal: code(() => process.kill(process.ppid, 0)),
        ownProc: code(() => process.memoryUsage()), hostProc: code(() => fs.readFileSync('/proc/' + process.ppid + '/environ')),
        execReadable: (() => { const r = require('node:child_process').spawnSync(${JSON.stringify(readableScript)}); return r.error ? r.error.code : 'ran' })() }
      fs.promises.readFile('/etc/passwd').then(() => 'ok', (e) => e.code).then((pool) => {
        const socket = net.connect(${port}, '127.0.0.1')
        socket.on('connect', () => done('connected'))
        socket.on('error', (e) => done(e.code))
        function done(tcp) { fs.writeSync(3, JSON.stringify({ ...out, pool, tcp }) + '\\n') }
      })`
    // /bin/sh made executable, so the script fails on its own missing execute right.
    const base = landlockRules(landlock, { fsRead: [allowed, readableScript], fsWrite: [], network: false, childProcesses: false })
    const rules = { ...base, execute: [...base.execute, ...SYSTEM_DIRS] }
    const result = await underLauncher(rules, script)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const seen = JSON.parse(result.channel) as Record<string, unknown>
    expect(seen).toMatchObject({ channel: true, own: 'ok', passwd: 'EACCES', pool: 'EACCES', ownProc: 'ok', hostProc: 'EACCES', execReadable: 'EACCES' })
    if (landlock.abi >= 4) expect(seen.tcp).toBe('EACCES')
    if (landlock.abi >= 6) expect(seen.signal).toBe('EPERM')
    expect(connections).toBe(0)
  })

  it('never execs when it cannot restrict: bad rules end it with status 78 and one line on stderr', async () => {
    const result = await underLauncher('{not json', 'console.log("should not run")')
    expect(result.code).toBe(78)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe('landlock-launcher: rules are not JSON\n')
  })

  it('starts a sandbox from a launcher started ahead of time, with the same rules, environment and scratch dir', async () => {
    const host = new HardenedProcessHost({ useMountNamespace: false })
    const runner = new IsolatedPluginRunner({ killGraceMs: 300, cancelGraceMs: 300 }, { hardenedHost: host })
    try {
      const first = await runner.start(hostilePlugin, 'direct')
      if (!first.ok) throw new Error(JSON.stringify(first.error))
      // The first Landlock start leaves a launcher waiting for the next one.
      const spare = (await waitForSpare(host, (s) => s.landlock)).pid!
      // A waiting launcher is a whole Node: its group's limit leaves it room (a shell spare's 64 MiB would not).
      const group = host.spareLaunchers().find((s) => s.pid === spare)?.cgroupDir
      if (group) expect(Number(readFileSync(`${group}/memory.limit_in_bytes`, 'utf8'))).toBe(256 * 1024 * 1024)
      const second = await runner.start(hostilePlugin, 'from-spare')
      if (!second.ok) throw new Error(JSON.stringify(second.error))
      expect(host.spareLaunchers().some((s) => s.pid === spare)).toBe(false)
      const summary = (isolation: { layer: string; status: string; mechanism: string }[]) => isolation.map((l) => [l.layer, l.status, l.mechanism])
      expect(summary(second.value.isolation)).toEqual(summary(first.value.isolation))
      expect(second.value.isolation.find((l) => l.layer === 'filesystem-read')!.evidence).toMatch(/via a symlink in scratch: EACCES/)
      const scratch = await runner.execute('from-spare', request('write-scratch'))
      expect(scratch.status === 'ok' && scratch.output).toBe('scratch is writable')
      const leak = await runner.execute('from-spare', request('sqlite-read', { path: '/etc/passwd' }))
      expect(leak.status).toBe('error')
      // The pool made a new launcher for the next start; closing the host ends it (EOF on its stdin).
      const next = (await waitForSpare(host, (s) => s.landlock)).pid!
      await runner.close()
      expect(host.spareLaunchers()).toEqual([])
      expect(() => process.kill(next, 0)).toThrow(/ESRCH/)
    } finally {
      await runner.close()
    }
  })

  it("runs the seed's ad-hoc check under Landlock, and the kernel refuses node:sqlite a file outside the lists", async () => {
    const runner = new IsolatedPluginRunner({ killGraceMs: 300, mountNamespace: false })
    try {
      // node:sqlite opens files without asking the permission model: only the kernel stops it (without Landlock
      // the open succeeds).
      const code = `console.log("Hello from isolation")
        const { DatabaseSync } = process.getBuiltinModule("node:sqlite")
        try { new DatabaseSync("/etc/passwd", { readOnly: true }).close(); return "opened" } catch (e) { return e.message }`
      const result = await runner.executeRequest(code, {})
      expect(result.status).toBe('ok')
      expect(result.stdout).toContain('Hello from isolation')
      expect(result.status === 'ok' && result.output).toBe('unable to open database file')
      // The ad-hoc sandbox is gone once it answered.
      expect(runner.instances()).toEqual([])
    } finally {
      await runner.close()
    }
  })

  it('gives a sandbox without namespaces kernel-enforced files and signals (scope), from evidence', async () => {
    const runner = new IsolatedPluginRunner({ killGraceMs: 300, cancelGraceMs: 300 }, { hardenedHost: new HardenedProcessHost({ useNamespaces: false }) })
    try {
      const started = await runner.start(hostilePlugin, 'bare')
      if (!started.ok) throw new Error(JSON.stringify(started.error))
      const layer = (name: string) => started.value.isolation.find((l) => l.layer === name)!
      expect(layer('filesystem-read')).toMatchObject({ status: 'enforced', mechanism: expect.stringMatching(/^Landlock/) })
      expect(layer('filesystem-write').status).toBe('enforced')
      if (landlock.abi >= 6) expect(layer('signals')).toMatchObject({ status: 'enforced', evidence: expect.stringMatching(/kill\(hostPid, 0\): EPERM/) })
      // TCP only: named, but not called enforced.
      if (landlock.abi >= 4) expect(layer('network')).toMatchObject({ status: 'advisory', mechanism: expect.stringMatching(/^Landlock ABI \d+: TCP connect\/bind denied \(UDP not covered\); Node permission model$/) })
      // Its parent is the launch shell, outside the Landlock domain: the plugin cannot kill it.
      if (landlock.abi >= 6) {
        const killed = await runner.execute('bare', request('kill-parent'))
        expect(killed.status === 'ok' && killed.output).toMatchObject({ error: 'EPERM' })
      }
    } finally {
      await runner.close()
    }
  })
})
