/**
 * The two holes in Node's permission model (a symlink inside an allowed folder that points outside; node:sqlite
 * opening and creating files anywhere) are closed by the hardened host's private root, or by Landlock where
 * there is no private root, and the report says so from evidence. With both switched off the same plugin gets
 * through, and the report says `advisory`.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { DatabaseSync } from 'node:sqlite'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IsolatedPluginRunner } from '../../../../src/main/conductor/isolation.ts'
import type { IsolationLayer } from '../../../../src/shared/sandbox.ts'
import { hostilePlugin, landlockExpected, landlockSkipReason, privateRootExpected, request } from './helpers.ts'

const config = { killGraceMs: 300, cancelGraceMs: 300 }
let outside: string
let pluginDir: string
let plugin: string
let secret: string
let secretDb: string
const runners: IsolatedPluginRunner[] = []

/** A runner with one instance of the hostile plugin copied into a folder that holds a symlink to the secret. */
async function startIn(runner: IsolatedPluginRunner): Promise<IsolationLayer[]> {
  runners.push(runner)
  const started = await runner.start(plugin, 'escape')
  if (!started.ok) throw new Error(`start failed: ${JSON.stringify(started.error)}`)
  return started.value.isolation
}

const layer = (layers: IsolationLayer[], name: IsolationLayer['layer']) => layers.find((l) => l.layer === name)!

if (!privateRootExpected) console.log('[filesystem-escape] private-root tests skipped: they need root and /usr/bin/{unshare,mount,setpriv}')
if (!landlockExpected) console.log(`[filesystem-escape] Landlock tests skipped: ${landlockSkipReason}`)

beforeAll(() => {
  outside = mkdtempSync(join(tmpdir(), 'conductor-outside-'))
  secret = join(outside, 'secret.txt')
  writeFileSync(secret, 'host secret')
  secretDb = join(outside, 'secret.db')
  const db = new DatabaseSync(secretDb)
  db.exec("CREATE TABLE loot (x TEXT); INSERT INTO loot VALUES ('host secret')")
  db.close()
  pluginDir = mkdtempSync(join(tmpdir(), 'conductor-plugin-'))
  plugin = join(pluginDir, 'index.mjs')
  copyFileSync(hostilePlugin, plugin)
  symlinkSync(secret, join(pluginDir, 'leak.txt'))
})

afterAll(async () => {
  for (const runner of runners) await runner.close()
  rmSync(outside, { recursive: true, force: true })
  rmSync(pluginDir, { recursive: true, force: true })
})

describe('filesystem escapes past the permission model', () => {
  describe.runIf(privateRootExpected)('with the private root (default)', () => {
    const runner = new IsolatedPluginRunner(config)
    let isolation: IsolationLayer[] = []
    beforeAll(async () => {
      isolation = await startIn(runner)
    })

    it('reports both filesystem layers enforced, with the self-test evidence', () => {
      const read = layer(isolation, 'filesystem-read')
      const write = layer(isolation, 'filesystem-write')
      expect(read.status).toBe('enforced')
      expect(read.evidence).toMatch(/via a symlink in scratch: ENOENT/)
      expect(read.evidence).toMatch(/CapEff 0+,/)
      expect(write.status).toBe('enforced')
      expect(write.evidence).toMatch(/node:sqlite create outside scratch: unable to open/)
    })

    it('does not read a secret through a symlink inside the plugin folder', async () => {
      const result = await runner.execute('escape', request('read', { path: join(pluginDir, 'leak.txt') }))
      expect(result.status).not.toBe('ok')
      if (result.status === 'error' || result.status === 'denied') expect(['ENOENT', 'ERR_ACCESS_DENIED']).toContain(result.error.code)
      expect(JSON.stringify(result)).not.toContain('host secret')
    })

    it('does not let node:sqlite create a database outside scratch', async () => {
      const target = join(outside, 'outside.db')
      const result = await runner.execute('escape', request('sqlite-create', { path: target }))
      expect(result.status).toBe('error')
      expect(existsSync(target)).toBe(false)
    })

    it('does not let node:sqlite read a database outside the allow-list', async () => {
      const result = await runner.execute('escape', request('sqlite-read', { path: secretDb }))
      expect(result.status).toBe('error')
      expect(JSON.stringify(result)).not.toContain('host secret')
    })

    it('does not reach the host root through /proc/1/root of the namespace init (outside the chroot)', async () => {
      const result = await runner.execute('escape', request('sqlite-read', { path: `/proc/1/root${secretDb}` }))
      expect(result.status).toBe('error')
      expect(JSON.stringify(result)).not.toContain('host secret')
    })
  })

  it.runIf(privateRootExpected)('gives a plugin granted network the resolver files, read-only, and still nothing else', async () => {
    const runner = new IsolatedPluginRunner(config)
    runners.push(runner)
    const started = await runner.start(plugin, 'networked', { policy: { networkHosts: ['localhost'] } })
    if (!started.ok) throw new Error(`start failed: ${JSON.stringify(started.error)}`)
    expect(layer(started.value.isolation, 'filesystem-read').status).toBe('enforced')
    const resolved = await runner.execute('networked', request('lookup', { host: 'localhost' }))
    expect(resolved.status === 'ok' && resolved.output).toBe('127.0.0.1')
    const leak = await runner.execute('networked', request('read', { path: join(pluginDir, 'leak.txt') }))
    expect(JSON.stringify(leak)).not.toContain('host secret')
  })

  describe.runIf(landlockExpected)('with Landlock instead of the private root (mountNamespace: false)', () => {
    const runner = new IsolatedPluginRunner({ ...config, mountNamespace: false })
    let isolation: IsolationLayer[] = []
    beforeAll(async () => {
      isolation = await startIn(runner)
    })

    it('reports both filesystem layers enforced by Landlock, with the self-test evidence', () => {
      const read = layer(isolation, 'filesystem-read')
      const write = layer(isolation, 'filesystem-write')
      expect(read.status).toBe('enforced')
      expect(read.mechanism).toMatch(/^Landlock ABI \d+/)
      expect(read.evidence).toMatch(/via a symlink in scratch: EACCES/)
      expect(read.evidence).toMatch(/node:sqlite read-only open: unable to open/)
      expect(write.status).toBe('enforced')
      expect(write.evidence).toMatch(/node:sqlite create outside scratch: unable to open/)
    })

    it('does not read a secret through a symlink inside the plugin folder', async () => {
      const result = await runner.execute('escape', request('read', { path: join(pluginDir, 'leak.txt') }))
      expect(result.status).toBe('error')
      if (result.status === 'error') expect(result.error.code).toBe('EACCES')
      expect(JSON.stringify(result)).not.toContain('host secret')
    })

    it('does not let node:sqlite create a database outside scratch, or read one outside the allow-list', async () => {
      const target = join(outside, 'outside.db')
      const created = await runner.execute('escape', request('sqlite-create', { path: target }))
      expect(created.status).toBe('error')
      expect(existsSync(target)).toBe(false)
      const read = await runner.execute('escape', request('sqlite-read', { path: secretDb }))
      expect(read.status).toBe('error')
      expect(JSON.stringify(read)).not.toContain('host secret')
    })

    it('still lets the plugin read its own folder and write its scratch dir', async () => {
      const own = await runner.execute('escape', request('read', { path: plugin }))
      expect(own.status === 'ok' && String(own.output)).toContain('export')
      const scratch = await runner.execute('escape', request('write-scratch'))
      expect(scratch.status === 'ok' && scratch.output).toBe('scratch is writable')
    })
  })

  describe('with the private root and Landlock switched off (mountNamespace: false, landlock: off)', () => {
    const runner = new IsolatedPluginRunner({ ...config, mountNamespace: false, landlock: 'off' })
    let isolation: IsolationLayer[] = []
    beforeAll(async () => {
      isolation = await startIn(runner)
    })

    it('reports the filesystem layers advisory and names the gaps its self-test saw', () => {
      const read = layer(isolation, 'filesystem-read')
      const write = layer(isolation, 'filesystem-write')
      expect(read.status).toBe('advisory')
      expect(read.evidence).toMatch(/via a symlink in scratch: readable/)
      expect(write.status).toBe('advisory')
      expect(write.evidence).toMatch(/node:sqlite create outside scratch: created; host found the file created/)
    })

    it('lets the symlink escape through, which is why the layer is only advisory', async () => {
      const result = await runner.execute('escape', request('read', { path: join(pluginDir, 'leak.txt') }))
      expect(result.status === 'ok' && result.output).toBe('host secret')
    })

    it('lets node:sqlite read a database outside the allow-list', async () => {
      const result = await runner.execute('escape', request('sqlite-read', { path: secretDb }))
      expect(result.status === 'ok' && result.output).toEqual(['host secret'])
    })
  })
})
