import { afterEach, describe, expect, it } from 'vitest'
import { RequestRouter } from '../../../../src/main/conductor/router.ts'
import type { RouterConfigInput } from '../../../../src/main/conductor/routing/router-config.ts'
import { startFakes, type FakeDirectory, type FakeRunner } from './fakes.ts'
import { FLAKY } from './paths.ts'

let runner: FakeRunner | null = null
afterEach(async () => {
  await runner?.close()
  runner = null
})

async function setup(config: RouterConfigInput): Promise<{ router: RequestRouter; runner: FakeRunner; directory: FakeDirectory }> {
  const fakes = await startFakes({ flaky: { modulePath: FLAKY, instances: 3 } })
  runner = fakes.runner
  return { router: new RequestRouter({ config, directory: fakes.directory, runner: fakes.runner }), ...fakes }
}

function instanceOf(response: Awaited<ReturnType<RequestRouter['routeRequest']>>): string | null {
  return response.results[0]?.instanceId ?? null
}

describe('load balancing', () => {
  it('spreads 300 requests over 3 instances exactly evenly with round-robin', async () => {
    const { router, runner } = await setup({})
    for (let i = 0; i < 300; i++) {
      const response = await router.routeRequest({ type: 'x', content: `hello ${i}`, target: 'flaky' })
      expect(response.ok).toBe(true)
    }
    expect(Object.fromEntries(runner.callsByInstance)).toEqual({ 'flaky-1': 100, 'flaky-2': 100, 'flaky-3': 100 })
  })

  it('also spreads concurrent requests evenly with round-robin', async () => {
    const { router, runner } = await setup({})
    await Promise.all(Array.from({ length: 300 }, (_, i) => router.routeRequest({ type: 'x', content: `c${i}`, target: 'flaky' })))
    expect([...runner.callsByInstance.values()]).toEqual([100, 100, 100])
  })

  it('prefers the idle instance with least-outstanding', async () => {
    const { router } = await setup({ balancing: { strategy: 'least-outstanding' } })
    const hold = new AbortController()
    const busyA = router.routeRequest({ type: 'x', content: 'sleep:60000', target: 'flaky' }, { signal: hold.signal })
    const busyB = router.routeRequest({ type: 'x', content: 'sleep:60000', target: 'flaky' }, { signal: hold.signal })
    expect(router.snapshot().inFlight).toBe(2)
    const chosen = new Set<string | null>()
    for (let i = 0; i < 6; i++) chosen.add(instanceOf(await router.routeRequest({ type: 'x', content: 'quick', target: 'flaky' })))
    hold.abort()
    const held = new Set([instanceOf(await busyA), instanceOf(await busyB)])
    expect(chosen.size).toBe(1)
    expect(held.size).toBe(2)
    expect(held.has([...chosen][0] ?? '')).toBe(false)
  })

  it('keeps an affinity key on one instance and moves it only when that instance is down', async () => {
    const { router, directory } = await setup({ balancing: { strategy: 'affinity', affinityKey: 'channelId' } })
    const route = async (channelId: string) => instanceOf(await router.routeRequest({ type: 'x', content: 'hi', target: 'flaky', metadata: { channelId } }))
    const home = await route('general')
    for (let i = 0; i < 10; i++) {
      await route(`other-${i}`)
      expect(await route('general')).toBe(home)
    }
    directory.set(home ?? '', { state: 'down' })
    const moved = await route('general')
    expect(moved).not.toBe(home)
    directory.set(home ?? '', { state: 'ready' })
    for (let i = 0; i < 5; i++) expect(await route('general')).toBe(moved)
    directory.set(moved ?? '', { healthy: false })
    const movedAgain = await route('general')
    expect(movedAgain).not.toBe(moved)
  })

  it('skips down and unhealthy instances and fails fast with NO_INSTANCE when none is left', async () => {
    const { router, directory, runner } = await setup({})
    directory.set('flaky-1', { state: 'down' })
    directory.set('flaky-2', { healthy: false })
    for (let i = 0; i < 6; i++) expect(instanceOf(await router.routeRequest({ type: 'x', content: 'hi', target: 'flaky' }))).toBe('flaky-3')
    directory.set('flaky-3', { state: 'restarting' })
    const before = runner.calls
    const response = await router.routeRequest({ type: 'x', content: 'hi', target: 'flaky' })
    expect(response).toMatchObject({ ok: false, status: 'failed', error: { code: 'NO_INSTANCE', platform: 'flaky' } })
    expect(response.error?.message).toMatch(/no ready, healthy instance of flaky/)
    expect(runner.calls).toBe(before)
    expect(router.determineRoute({ type: 'x', content: 'hi', target: 'flaky' })).toMatchObject({ ok: false, error: { code: 'NO_INSTANCE' } })
  })
})
