/**
 * The router's tests lean on `FakeRunner`; this suite runs the behaviours the router relies on over both the
 * fake and the real `IsolatedPluginRunner`, so the fake cannot drift from what the sandbox really does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IsolatedPluginRunner } from '../../../../src/main/conductor/isolation.ts'
import type { SandboxRunner } from '../../../../src/main/conductor/sandbox/runner-api.ts'
import type { SandboxExit } from '../../../../src/shared/sandbox.ts'
import { FakeRunner } from './fakes.ts'
import { BROKEN_DIR, FLAKY } from './paths.ts'

const implementations: Array<[string, () => SandboxRunner]> = [
  ['FakeRunner', () => new FakeRunner()],
  ['IsolatedPluginRunner', () => new IsolatedPluginRunner({ killGraceMs: 300, cancelGraceMs: 200 })]
]

describe.each(implementations)('%s as the router uses it', (_name, create) => {
  let runner: SandboxRunner
  beforeAll(async () => {
    runner = create()
    const started = await runner.start(FLAKY, 'conf-1', { pluginConfig: {} })
    expect(started.ok).toBe(true)
  }, 30_000)
  afterAll(() => runner.close())

  const request = (content: string) => ({ id: `c-${content}`, type: 'x', content, metadata: {} })

  it('answers ok with the plugin output as data', async () => {
    const result = await runner.execute('conf-1', request('hello'))
    expect(result).toMatchObject({ status: 'ok', instanceId: 'conf-1', output: { echo: 'hello', instanceId: 'conf-1' } })
  })

  it('turns a plugin throw into an error result, not a rejection', async () => {
    const result = await runner.execute('conf-1', request('fail'))
    expect(result).toMatchObject({ status: 'error', error: { message: 'failed on demand' } })
  })

  it('answers timeout at the deadline, cancels the plugin, and keeps the instance usable', async () => {
    const result = await runner.execute('conf-1', request('sleep:30000'), { timeoutMs: 150 })
    expect(result).toMatchObject({ status: 'timeout', timeoutMs: 150 })
    expect(await runner.execute('conf-1', request('still usable'))).toMatchObject({ status: 'ok', output: { echo: 'still usable' } })
    // (Asked only after another round trip: the real host may batch the cancel with the next request.)
    expect(await runner.execute('conf-1', request('stats'))).toMatchObject({ status: 'ok', output: { cancelled: 1 } })
  })

  it('answers timeout when the caller aborts', async () => {
    const controller = new AbortController()
    const pending = runner.execute('conf-1', request('sleep:30000'), { signal: controller.signal, timeoutMs: 10_000 })
    controller.abort(new Error('caller gave up'))
    expect((await pending).status).toBe('timeout')
  })

  it('throws for an unknown instance (caller misuse)', async () => {
    await expect(runner.execute('nope', request('hello'))).rejects.toThrow()
  })

  it('reports a module that fails to load as a failed start', async () => {
    const started = await runner.start(`${BROKEN_DIR}/throws-on-load/index.mjs`, 'conf-broken')
    expect(started.ok).toBe(false)
    if (!started.ok) expect(started.error.message).toMatch(/refuses to load|failed|exit/i)
    await runner.stop('conf-broken')
  })

  it('emits exit with reason stopped when an instance is stopped on purpose', async () => {
    expect((await runner.start(FLAKY, 'conf-2')).ok).toBe(true)
    const exit = new Promise<SandboxExit>((resolve) => runner.once('exit', resolve))
    await runner.stop('conf-2')
    expect(await exit).toMatchObject({ instanceId: 'conf-2', reason: 'stopped' })
  })
})
