import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RequestRouter } from '../../../../src/main/conductor/router.ts'
import { RouteResponseSchema } from '../../../../src/shared/routing.ts'
import { MemorySink, startFakes, type FakeRunner } from './fakes.ts'
import { ANDROID, DISCORD } from './paths.ts'

let runner: FakeRunner
let router: RequestRouter
const sink = new MemorySink()

beforeAll(async () => {
  const fakes = await startFakes({ discord: { modulePath: DISCORD, instances: 1 }, android: { modulePath: ANDROID, instances: 1 } })
  runner = fakes.runner
  router = new RequestRouter({
    config: { limits: { contentMaxChars: 1_000, payloadMaxBytes: 4_096, metadataMaxDepth: 4, metadataMaxEntries: 50 } },
    directory: fakes.directory,
    runner,
    deadLetters: sink
  })
})
afterAll(() => runner.close())

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 }
  for (let i = 0; i < depth; i++) value = { n: value }
  return value
}

const cyclic: Record<string, unknown> = { a: 1 }
cyclic.self = cyclic

const withGetter = Object.defineProperty({}, 'boom', { enumerable: true, get: () => { throw new Error('getter ran') } })
const topLevelGetter = Object.defineProperty({ content: 'x' }, 'type', { enumerable: true, get: () => 'discord' })
const symbolKey = { type: 'discord', content: 'x', [Symbol('hidden')]: 1 }
const hostileProxy = new Proxy({}, { ownKeys: () => { throw new Error('proxy trap') } })

// [name, request, code, path, message fragment]
const table: Array<[string, unknown, string, string, RegExp]> = [
  ['a missing type', { content: 'hi' }, 'BAD_REQUEST', 'type', /expected string/i],
  ['a numeric type', { type: 42, content: 'hi' }, 'BAD_REQUEST', 'type', /expected string/i],
  ['an empty type', { type: '', content: 'hi' }, 'BAD_REQUEST', 'type', /too small|>=1/i],
  ['a type with spaces', { type: 'dis cord', content: 'hi' }, 'BAD_REQUEST', 'type', /must start with a letter/],
  ['a missing content', { type: 'discord' }, 'BAD_REQUEST', 'content', /expected string/i],
  ['an object content', { type: 'discord', content: { text: 'hi' } }, 'BAD_REQUEST', 'content', /expected string/i],
  ['huge content', { type: 'discord', content: 'x'.repeat(1_001) }, 'BAD_REQUEST', 'content', /longer than 1000 characters/],
  ['10 MB of content', { type: 'discord', content: 'x'.repeat(10 * 1024 * 1024) }, 'BAD_REQUEST', 'content', /longer than the 4096-byte payload limit \(10485760 characters\)/],
  ['a 1 MB metadata string', { type: 'discord', content: 'x', metadata: { note: 'y'.repeat(1024 * 1024) } }, 'BAD_REQUEST', 'metadata.note', /longer than the 4096-byte payload limit/],
  ['a payload over the byte limit', { type: 'discord', content: 'x', metadata: { blob: 'é'.repeat(2_100) } }, 'BAD_REQUEST', '', /over the 4096-byte limit/],
  ['deep metadata nesting', { type: 'discord', content: 'x', metadata: nested(10) }, 'BAD_REQUEST', 'metadata.n.n.n.n', /nested deeper than 4 levels/],
  ['a cyclic metadata object', { type: 'discord', content: 'x', metadata: cyclic }, 'BAD_REQUEST', 'metadata.self.self.self.self', /nested deeper/],
  ['too many metadata entries', { type: 'discord', content: 'x', metadata: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, i])) }, 'BAD_REQUEST', 'metadata', /more than 50 entries/],
  ['a __proto__ key in metadata (JSON-parsed)', JSON.parse('{"type":"discord","content":"x","metadata":{"user":{"__proto__":{"admin":true}}}}'), 'BAD_REQUEST', 'metadata.user.__proto__', /not allowed \(prototype pollution\)/],
  ['a constructor key in metadata', { type: 'discord', content: 'x', metadata: { constructor: { prototype: 1 } } }, 'BAD_REQUEST', 'metadata.constructor', /not allowed/],
  ['a prototype key nested in an array', { type: 'discord', content: 'x', metadata: { list: [{ prototype: 1 }] } }, 'BAD_REQUEST', 'metadata.list.0.prototype', /not allowed/],
  ['a top-level __proto__ key', JSON.parse('{"type":"discord","content":"x","__proto__":{"polluted":true}}'), 'BAD_REQUEST', '__proto__', /not allowed/],
  ['a getter as a top-level field', topLevelGetter, 'BAD_REQUEST', 'type', /accessor properties are not allowed/],
  ['a symbol-keyed top-level field', symbolKey, 'BAD_REQUEST', '', /unknown field\(s\): Symbol\(hidden\)/],
  ['an unknown top-level field', { type: 'discord', content: 'x', admin: true }, 'BAD_REQUEST', '', /unknown field\(s\): admin/],
  ['a non-object request', 'GET /api/status', 'BAD_REQUEST', '', /must be a JSON object/],
  ['null', null, 'BAD_REQUEST', '', /must be a JSON object/],
  ['an array request', [{ type: 'discord', content: 'x' }], 'BAD_REQUEST', '', /must be a JSON object/],
  ['metadata that is an array', { type: 'discord', content: 'x', metadata: [1, 2] }, 'BAD_REQUEST', 'metadata', /must be a plain object/],
  ['a function in metadata', { type: 'discord', content: 'x', metadata: { fn: () => 1 } }, 'BAD_REQUEST', 'metadata.fn', /must be JSON, got function/],
  ['a Date in metadata', { type: 'discord', content: 'x', metadata: { when: new Date(0) } }, 'BAD_REQUEST', 'metadata.when', /must be plain JSON/],
  ['NaN in metadata', { type: 'discord', content: 'x', metadata: { n: Number.NaN } }, 'BAD_REQUEST', 'metadata.n', /finite number/],
  ['a lone surrogate in content', { type: 'discord', content: 'bad \ud800 text' }, 'BAD_REQUEST', 'content', /unpaired UTF-16 surrogate/],
  ['a control character in a metadata key', { type: 'discord', content: 'x', metadata: { 'a\u0000b': 1 } }, 'BAD_REQUEST', 'metadata.a\u0000b', /control characters/],
  ['a throwing getter in metadata', { type: 'discord', content: 'x', metadata: withGetter }, 'BAD_REQUEST', 'metadata.boom', /accessor properties are not allowed/],
  ['a proxy whose traps throw', { type: 'discord', content: 'x', metadata: hostileProxy }, 'BAD_REQUEST', '', /could not be read: proxy trap/],
  ['an id with a path separator', { id: '../../etc', type: 'discord', content: 'x' }, 'BAD_REQUEST', 'id', /may contain only letters/],
  ['an unknown target platform', { type: 'discord', content: 'x', target: 'telegram' }, 'ROUTE_NOT_FOUND', '', /no plugin serves platform "telegram"/],
  ['a malformed target name', { type: 'discord', content: 'x', target: ['Discord!'] }, 'BAD_REQUEST', 'target.0', /lowercase letters/],
  ['an unroutable type', { type: 'fax', content: 'plain words' }, 'ROUTE_NOT_FOUND', '', /no rule matches type "fax"/]
]

describe('hostile and malformed requests', () => {
  it.each(table)('rejects %s with its precise error', async (_name, request, code, path, message) => {
    const before = runner.calls
    const decision = router.determineRoute(request)
    expect(decision.ok).toBe(false)
    const response = await router.routeRequest(request)
    expect(RouteResponseSchema.parse(response)).toBeTruthy()
    expect(response).toMatchObject({ ok: false, status: 'rejected', results: [], dlqId: null })
    expect(response.error?.code).toBe(code)
    if (response.error?.code === 'BAD_REQUEST') {
      expect(response.error.issues[0]?.path).toBe(path)
      expect(response.error.issues[0]?.message).toMatch(message)
    } else {
      expect(response.error?.message).toMatch(message)
    }
    expect(runner.calls).toBe(before)
    expect(sink.entries.size).toBe(0)
  })

  it('covers at least 20 hostile cases and none reached a plugin', () => {
    expect(table.length).toBeGreaterThanOrEqual(20)
    expect(runner.calls).toBe(0)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(({} as Record<string, unknown>).admin).toBeUndefined()
  })

  it('strips control characters except newline and tab and normalises unicode before the plugin sees it', async () => {
    const response = await router.routeRequest({ type: 'discord', content: 'Cafe\u0301\u0007 a\tb\nc\u001b[31m', metadata: { channelId: 'x\u0000y' } })
    expect(response.ok).toBe(true)
    const result = response.results[0]
    expect(result?.ok && (result.output as { reply: string; channelId: string })).toMatchObject({ reply: 'Demi: Caf\u00e9 a\tb\nc[31m', channelId: 'xy' })
  })

  it('assigns a UUID when the request has no id and keeps a given one', async () => {
    const assigned = await router.routeRequest({ type: 'discord', content: '!ping' })
    expect(assigned.requestId).toMatch(/^[0-9a-f-]{36}$/)
    const kept = await router.routeRequest({ id: 'req-1', type: 'discord', content: '!ping' })
    expect(kept.requestId).toBe('req-1')
  })
})
