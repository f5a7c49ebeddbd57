import { describe, expect, it } from 'vitest'
import { RpcClient } from '../../src/renderer/src/lib/rpc-client.ts'
import type { Transport, TransportStatus } from '../../src/renderer/src/lib/transport.ts'
import type { RequestFrame } from '../../src/shared/contract.ts'

/** A transport whose answers the test scripts, to feed the client frames a broken server might send. */
function scripted(answer: (frame: RequestFrame) => unknown) {
  const listeners = new Set<(frame: unknown) => void>()
  const transport: Transport = {
    kind: 'memory',
    request: async (frame) => answer(frame),
    onEvent: (l) => {
      listeners.add(l)
      return () => listeners.delete(l)
    },
    onStatus: (l: (s: TransportStatus) => void) => {
      l('open')
      return () => undefined
    },
    status: () => 'open',
    close: () => undefined
  }
  const invalid: string[] = []
  const client = new RpcClient(transport, { onInvalid: (what) => invalid.push(what) })
  return { client, invalid, emit: (frame: unknown) => listeners.forEach((l) => l(frame)) }
}

describe('RpcClient', () => {
  it('returns the parsed value of a valid response', async () => {
    const { client } = scripted((f) => ({ v: 1, id: f.id, ok: true, value: { instanceId: 'a' } }))
    expect(await client.call('plugins.restart', { instanceId: 'a' })).toEqual({ ok: true, value: { instanceId: 'a' } })
  })

  it('turns a response that breaks the contract into INTERNAL', async () => {
    const { client, invalid } = scripted((f) => ({ v: 1, id: f.id, ok: true, value: { instanceId: 7 } }))
    expect(await client.call('plugins.restart', { instanceId: 'a' })).toMatchObject({ ok: false, error: { code: 'INTERNAL' } })
    expect(invalid).toEqual(['invalid plugins.restart result'])
  })

  it('refuses a response carrying another request id', async () => {
    const { client } = scripted((f) => ({ v: 1, id: f.id + 1, ok: true, value: { instanceId: 'a' } }))
    expect(await client.call('plugins.restart', { instanceId: 'a' })).toMatchObject({ ok: false, error: { code: 'INTERNAL' } })
  })

  it('passes a typed server error through unchanged', async () => {
    const error = { code: 'NOT_FOUND', message: 'gone', id: 'x' }
    const { client } = scripted((f) => ({ v: 1, id: f.id, ok: false, error }))
    expect(await client.call('dlq.get', { id: 'x' })).toEqual({ ok: false, error })
  })

  it('reports a broken link as INTERNAL instead of rejecting', async () => {
    const { client } = scripted(() => {
      throw new Error('socket closed')
    })
    expect(await client.call('dlq.groups', {})).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'not connected: socket closed' } })
  })

  it('drops events whose payload breaks the contract and unknown events', () => {
    const { client, emit, invalid } = scripted(() => null)
    const seen: unknown[] = []
    client.on('panel.updated', (u) => seen.push(u))
    emit({ v: 1, event: 'panel.updated', payload: { seq: 'one' } })
    emit({ v: 1, event: 'engine.exploded', payload: {} })
    emit('garbage')
    expect(seen).toEqual([])
    expect(invalid).toEqual(['invalid panel.updated payload', 'unknown event', 'invalid event frame'])
  })
})
