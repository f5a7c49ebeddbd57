/**
 * The Electron utility-process adapter against a fake that behaves as Electron documents, and the runner's
 * host choice: a policy the utility host cannot enforce is moved to the hardened host or refused.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { IsolatedPluginRunner } from '../../../src/main/conductor/isolation.ts'
import { isAlive } from '../../../src/main/conductor/sandbox/proc-tree.ts'
import { UtilityProcessHost, type UtilityFork } from '../../../src/main/electron/utility-host.ts'
import type { SandboxExit } from '../../../src/shared/sandbox.ts'
import { hostilePlugin, request } from '../conductor/isolation/helpers.ts'
import { createFakeFork } from './fake-utility-process.ts'

const trusted = { networkHosts: ['api.example.com'], unrestrictedFilesystem: true, childProcesses: true, workers: true }
let runner: IsolatedPluginRunner | undefined

function utilityRunner(onUnenforceablePolicy: 'use-hardened' | 'refuse' = 'use-hardened') {
  const fake = createFakeFork()
  const host = new UtilityProcessHost(fake.fork as unknown as UtilityFork)
  runner = new IsolatedPluginRunner({ host: 'utility', onUnenforceablePolicy, killGraceMs: 300, cancelGraceMs: 200 }, { utilityHost: host })
  return { fake, runner }
}

afterEach(async () => {
  await runner?.close()
  runner = undefined
})

describe('UtilityProcessHost', () => {
  it('passes a minimal non-empty env and the heap cap through --js-flags, and waits for spawn', async () => {
    const { fake, runner } = utilityRunner()
    process.env['CONDUCTOR_TEST_SECRET'] = 'do-not-leak'
    const started = await runner.start(hostilePlugin, 'trusted', { policy: trusted, limits: { memoryMb: 128 } })
    delete process.env['CONDUCTOR_TEST_SECRET']
    expect(started.ok).toBe(true)
    const call = fake.calls[0]!
    expect(Object.keys(call.options.env ?? {}).length).toBeGreaterThan(0)
    expect(call.options.env).not.toHaveProperty('CONDUCTOR_TEST_SECRET')
    expect(call.options.execArgv).toEqual(['--js-flags=--max-old-space-size=96 --max-semi-space-size=4 --min-semi-space-size=2'])
    expect(call.pidAtSpawnEvent).toBeTypeOf('number')
    if (!started.ok) return
    expect(started.value.pid).toBe(call.pidAtSpawnEvent)
    const layers = Object.fromEntries(started.value.isolation.map((l) => [l.layer, l]))
    expect(layers['process']!.mechanism).toContain('utility')
    expect(layers['heap']!.status).toBe('enforced')
    expect(layers['environment']!.status).toBe('enforced')
    expect(layers['network']!.status).toBe('unavailable')
    const env = await runner.execute('trusted', request('env'))
    expect(env.status === 'ok' && env.output).not.toHaveProperty('CONDUCTOR_TEST_SECRET')
  })

  it('reports the signal it sent, not Electron\'s exit code 0, after killing a stuck plugin', async () => {
    const { runner } = utilityRunner()
    const exits: SandboxExit[] = []
    runner.on('exit', (exit) => exits.push(exit))
    const started = await runner.start(hostilePlugin, 'stuck', { policy: trusted })
    expect(started.ok).toBe(true)
    const pid = started.ok ? started.value.pid! : -1
    const exited = new Promise<void>((resolve) => runner.once('exit', () => resolve()))
    const result = await runner.execute('stuck', request('spin'), { timeoutMs: 200 })
    expect(result.status).toBe('timeout')
    await exited
    expect(exits[0]).toMatchObject({ reason: 'timeout', exitCode: null, signal: 'SIGTERM' })
    expect(isAlive(pid)).toBe(false)
  })
})

describe('host choice by policy', () => {
  it('moves a plugin that needs network and filesystem isolation to the hardened host', async () => {
    const { fake, runner } = utilityRunner('use-hardened')
    const started = await runner.start(hostilePlugin, 'confined')
    expect(started.ok).toBe(true)
    expect(fake.calls).toHaveLength(0)
    if (started.ok) expect(started.value.isolation.find((l) => l.layer === 'process')!.mechanism).toContain('hardened')
  })

  it('refuses such a plugin with a clear reason when configured to', async () => {
    const { fake, runner } = utilityRunner('refuse')
    const started = await runner.start(hostilePlugin, 'confined')
    expect(started.ok).toBe(false)
    if (!started.ok) {
      expect(started.error.code).toBe('DENIED')
      expect(started.error.message).toMatch(/utility host cannot enforce network: none, filesystem/)
    }
    expect(fake.calls).toHaveLength(0)
  })
})
