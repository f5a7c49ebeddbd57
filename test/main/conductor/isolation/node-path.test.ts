/**
 * `sandbox.nodePath`: the hardened host runs sandboxes with the Node binary the config names (in the desktop
 * app that replaces Electron's bundled Node); a binary that is not there is refused with a clear error.
 */
import { chmodSync, copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { IsolatedPluginRunner } from '../../../../src/main/conductor/isolation.ts'
import { hostilePlugin, request } from './helpers.ts'

const dir = mkdtempSync(join(tmpdir(), 'conductor-node-path-'))
const runners: IsolatedPluginRunner[] = []
afterAll(async () => {
  for (const runner of runners) await runner.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('sandbox.nodePath', () => {
  it('starts sandboxes with the named Node binary', async () => {
    // A copy, so the sandbox's executable is told apart from the host's own Node by its inode.
    const named = join(dir, 'node')
    copyFileSync(process.execPath, named)
    chmodSync(named, 0o755)
    const runner = new IsolatedPluginRunner({ nodePath: named, killGraceMs: 300 })
    runners.push(runner)
    const started = await runner.start(hostilePlugin, 'named')
    if (!started.ok) throw new Error(JSON.stringify(started.error))
    const exe = statSync(`/proc/${started.value.pid}/exe`)
    expect(exe.ino).toBe(statSync(named).ino)
    expect(exe.ino).not.toBe(statSync(process.execPath).ino)
    const echoed = await runner.execute('named', request('echo', {}, 'hi'))
    expect(echoed.status).toBe('ok')
  })

  it('refuses a binary that is not there, saying which and why, without throwing', async () => {
    const runner = new IsolatedPluginRunner({ nodePath: join(dir, 'missing-node'), killGraceMs: 300 })
    runners.push(runner)
    const started = await runner.start(hostilePlugin, 'missing')
    expect(started.ok).toBe(false)
    if (started.ok) return
    expect(started.error.message).toContain(join(dir, 'missing-node'))
    expect(started.error.message).toMatch(/ENOENT/)
  })
})
