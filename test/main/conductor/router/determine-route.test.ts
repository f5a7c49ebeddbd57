import { afterEach, describe, expect, it } from 'vitest'
import { RequestRouter } from '../../../../src/main/conductor/router.ts'
import { loadConfig } from '../../../../src/main/config.ts'
import { RouteDecisionSchema } from '../../../../src/shared/routing.ts'
import { startFakes, type FakeRunner } from './fakes.ts'
import { ANDROID, DISCORD, FLAKY } from './paths.ts'

let runner: FakeRunner | null = null
afterEach(async () => {
  await runner?.close()
  runner = null
})

async function makeRouter(config: ConstructorParameters<typeof RequestRouter>[0]['config'] = {}) {
  const fakes = await startFakes({
    discord: { modulePath: DISCORD, instances: 2 },
    android: { modulePath: ANDROID, instances: 2 },
    flaky: { modulePath: FLAKY, instances: 1 }
  })
  runner = fakes.runner
  return new RequestRouter({ config, directory: fakes.directory, runner: fakes.runner })
}

describe('RequestRouter.determineRoute', () => {
  it('routes {type: discord, content: hello} to discord and names the rule (seed check)', async () => {
    const router = await makeRouter()
    const decision = router.determineRoute({ type: 'discord', content: 'hello' })
    expect(RouteDecisionSchema.parse(decision)).toEqual(decision)
    expect(decision).toMatchObject({ ok: true, platform: 'discord', platforms: ['discord'], ruleId: 'builtin:discord-type', timeoutMs: 5_000 })
    if (!decision.ok) throw new Error('unreachable')
    expect(['discord-1', 'discord-2']).toContain(decision.instanceId)
    expect(decision.reason).toContain('type is "discord"')
    expect(runner?.calls).toBe(0)
  })

  it.each([
    [{ type: 'chat', content: '!ping' }, 'discord', 'builtin:discord-command'],
    [{ type: 'chat', content: '/status now' }, 'discord', 'builtin:discord-command'],
    [{ type: 'chat', content: 'hey <@12345> look' }, 'discord', 'builtin:discord-mention'],
    [{ type: 'chat', content: 'thanks @demi_bot' }, 'discord', 'builtin:discord-mention'],
    [{ type: 'http', content: 'GET /api/status' }, 'android', 'builtin:android-api'],
    [{ type: 'http', content: 'POST /api/message {"text":"hi"}' }, 'android', 'builtin:android-api'],
    [{ type: 'ANDROID', content: '!ping' }, 'android', 'builtin:android-type'],
    [{ type: 'chat', content: 'GET /api/status', target: 'discord' }, 'discord', 'request:target']
  ])('routes %j to %s by %s', async (request, platform, ruleId) => {
    const router = await makeRouter()
    expect(router.determineRoute(request)).toMatchObject({ ok: true, platform, ruleId })
  })

  it('evaluates configured rules first, in order, on type, content regex and metadata', async () => {
    const router = await makeRouter({
      rules: [
        { id: 'vip', match: { metadata: { tier: 'vip' } }, platform: 'flaky', timeoutMs: 250, priority: 9 },
        { id: 'shout', match: { content: '^HELLO', flags: 'i' }, platforms: ['discord', 'android'] }
      ]
    })
    expect(router.determineRoute({ type: 'discord', content: 'x', metadata: { tier: 'vip' } })).toMatchObject({ ok: true, ruleId: 'vip', platform: 'flaky', timeoutMs: 250, priority: 9 })
    expect(router.determineRoute({ type: 'discord', content: 'hello there' })).toMatchObject({ ok: true, ruleId: 'shout', platforms: ['discord', 'android'] })
    expect(router.determineRoute({ type: 'discord', content: 'bye' })).toMatchObject({ ok: true, ruleId: 'builtin:discord-type' })
  })

  it('gives a targeted request the timeout and priority of the rule that routes it to those platforms, else the defaults', async () => {
    const router = await makeRouter({ rules: [{ id: 'vip', match: { metadata: { tier: 'vip' } }, platforms: ['flaky', 'android'], timeoutMs: 250, priority: 9 }] })
    const vip = { type: 'x', content: 'hi', metadata: { tier: 'vip' } }
    expect(router.determineRoute({ ...vip, target: 'flaky' })).toMatchObject({ ok: true, ruleId: 'request:target', platforms: ['flaky'], timeoutMs: 250, priority: 9, reason: expect.stringContaining('rule vip') })
    // The rule does not route to discord: the target alone decides, with the default timeout.
    expect(router.determineRoute({ ...vip, target: ['flaky', 'discord'] })).toMatchObject({ ok: true, platforms: ['flaky', 'discord'], timeoutMs: 5_000, priority: 0 })
    expect(router.determineRoute({ type: 'x', content: 'hi', target: 'flaky' })).toMatchObject({ ok: true, timeoutMs: 5_000, priority: 0 })
  })

  it('answers ROUTE_NOT_FOUND when nothing matches, and uses the default platform when one is set', async () => {
    const router = await makeRouter()
    expect(router.determineRoute({ type: 'email', content: 'plain words' })).toMatchObject({ ok: false, error: { code: 'ROUTE_NOT_FOUND' }, ruleId: null })
    const withDefault = await makeRouter({ defaultPlatform: 'discord' })
    expect(withDefault.determineRoute({ type: 'email', content: 'plain words' })).toMatchObject({ ok: true, platform: 'discord', ruleId: 'builtin:default' })
  })

  it('does not advance the round-robin cursor (pure)', async () => {
    const router = await makeRouter()
    const first = router.determineRoute({ type: 'discord', content: 'a' })
    const second = router.determineRoute({ type: 'discord', content: 'b' })
    expect(first.ok && second.ok && first.instanceId === second.instanceId).toBe(true)
  })

  it('rejects an invalid rule regex at config load, naming the rule', () => {
    expect(() => loadConfig({ router: { rules: [{ id: 'broken-rx', match: { content: '(unclosed' }, platform: 'discord' }] } })).toThrow(
      /router\.rules\.0\.match\.content: rule "broken-rx" has an invalid regex/
    )
    expect(() => new RequestRouter({ config: { rules: [{ id: 'rx2', match: { content: '[z-a]' }, platform: 'discord' }] }, directory: { instancesOf: () => undefined }, runner: { execute: () => Promise.reject(new Error('never')) } })).toThrow(/rule "rx2" has an invalid regex/)
  })
})
