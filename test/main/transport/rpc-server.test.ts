import { describe, expect, it, vi } from 'vitest'
import { createHandlers } from '../../../src/main/transport/handlers.ts'
import { IncidentLog } from '../../../src/main/transport/incident-log.ts'
import { RedriveCoordinator } from '../../../src/main/transport/redrive.ts'
import { RpcServer, type Handlers } from '../../../src/main/transport/rpc-server.ts'
import { PROTOCOL_VERSION } from '../../../src/shared/contract.ts'
import { FakeEngine } from './fake-engine.ts'

function setup(overrides: Partial<Handlers> = {}) {
  const engine = new FakeEngine()
  const logError = vi.fn()
  const handlers = { ...createHandlers({ engine, incidents: new IncidentLog(), redrive: new RedriveCoordinator(engine) }), ...overrides }
  return { engine, logError, server: new RpcServer(handlers, { logError }) }
}

const call = (method: string, input: unknown, id = 7) => ({ v: PROTOCOL_VERSION, id, method, input })

describe('RpcServer', () => {
  it('answers a valid call with an ok frame carrying the parsed output', async () => {
    const { server } = setup()
    const frame = await server.handle(call('panel.snapshot', {}))
    expect(frame).toMatchObject({ v: 1, id: 7, ok: true })
    if (!frame.ok) throw new Error('expected ok')
    expect((frame.value as { router: { platforms: { platform: string }[] } }).router.platforms.map((p) => p.platform)).toEqual(['discord', 'android'])
  })

  it('refuses a frame that is not a request frame, answering with id -1', async () => {
    const { server } = setup()
    expect(await server.handle('hello')).toMatchObject({ id: -1, ok: false, error: { code: 'BAD_REQUEST' } })
    expect(await server.handle({ v: 99, id: 3, method: 'panel.snapshot', input: {} })).toMatchObject({ id: 3, ok: false, error: { code: 'BAD_REQUEST' } })
  })

  it('refuses a method outside the contract, including prototype keys', async () => {
    const { server } = setup()
    for (const method of ['engine.shutdown', '__proto__', 'constructor', 'toString']) {
      expect(await server.handle(call(method, {}))).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringContaining('unknown method') } })
    }
  })

  it('names the offending field when an input does not parse', async () => {
    const { server } = setup()
    const frame = await server.handle(call('dlq.discard', { ids: ['a'], reason: '   ' }))
    expect(frame).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', issues: [{ path: 'reason', message: 'a reason is required' }] } })
  })

  it('turns a thrown error into INTERNAL with the message and no stack', async () => {
    const { server, logError } = setup({ 'dlq.groups': () => { throw new Error('db exploded') } })
    const frame = await server.handle(call('dlq.groups', {}))
    expect(frame).toEqual({ v: 1, id: 7, ok: false, error: { code: 'INTERNAL', message: 'db exploded' } })
    expect(JSON.stringify(frame)).not.toContain('    at ')
    expect(logError).toHaveBeenCalledOnce()
  })

  it('refuses to pass on an engine output that breaks the contract', async () => {
    const { server, logError } = setup({ 'plugins.restart': () => ({ ok: true, value: { instanceId: 42 } as never }) })
    const frame = await server.handle(call('plugins.restart', { instanceId: 'x' }))
    expect(frame).toMatchObject({ ok: false, error: { code: 'INTERNAL', message: expect.stringContaining('invalid plugins.restart') } })
    expect(logError).toHaveBeenCalled()
  })

  it('passes an expected engine failure through as its own error code', async () => {
    const { server } = setup()
    expect(await server.handle(call('plugins.restart', { instanceId: 'nope' }))).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', id: 'nope' } })
  })

  it('publishes valid events to every sink and drops invalid payloads', () => {
    const { server, logError } = setup()
    const a = vi.fn()
    const b = vi.fn()
    server.addSink(a)
    const remove = server.addSink(b)
    remove()
    server.publish('panel.updated', { bogus: true } as never)
    expect(a).not.toHaveBeenCalled()
    expect(logError).toHaveBeenCalledOnce()
    const engine = new FakeEngine()
    server.publish('panel.updated', { seq: 1, ...engine.live(), atMs: 1, jobs: [], samples: [], exits: [], incidents: [] })
    expect(a).toHaveBeenCalledOnce()
    expect(b).not.toHaveBeenCalled()
  })

  it('makes a handler map without every contract method a compile error', () => {
    const { engine } = setup()
    const { 'dlq.get': _omitted, ...partial } = createHandlers({ engine, incidents: new IncidentLog(), redrive: new RedriveCoordinator(engine) })
    // @ts-expect-error 'dlq.get' is missing, so this is not a Handlers map
    const handlers: Handlers = partial
    expect(Object.keys(handlers)).not.toContain('dlq.get')
  })
})
