import { describe, expect, it } from 'vitest'
import { createPanelServer } from '../../src/main/transport/create-panel-server.ts'
import { RpcClient } from '../../src/renderer/src/lib/rpc-client.ts'
import { createAppStore } from '../../src/renderer/src/store/app-store.ts'
import { PanelUpdateSchema, type PanelUpdate } from '../../src/shared/panel.ts'
import { FakeEngine } from '../main/transport/fake-engine.ts'
import { createMemoryTransport } from '../main/transport/memory-transport.ts'

async function setup() {
  const engine = new FakeEngine()
  const panel = createPanelServer(engine, { setInterval: () => 0, clearInterval: () => undefined })
  const transport = createMemoryTransport(panel.server)
  const invalid: string[] = []
  const client = new RpcClient(transport, { onInvalid: (what) => invalid.push(what) })
  const store = createAppStore(client)
  store.getState().start()
  await store.getState().loadSnapshot()
  // Parsed like the client parses every event (zod fixes the key order the store compares).
  const update = (seq: number): PanelUpdate => PanelUpdateSchema.parse({ seq, atMs: engine.now(), ...engine.live(), jobs: [], samples: [], exits: [], incidents: [] })
  return { engine, panel, store, update, invalid, transport }
}

describe('app store', () => {
  it('keeps unchanged breakers, instances and metrics by identity across a tick', async () => {
    const { engine, store, update } = await setup()
    const before = store.getState().live
    store.getState().applyUpdate(update(1))
    const after = store.getState().live
    expect(after.breakers).toBe(before.breakers)
    expect(after.plugins).toBe(before.plugins)
    expect(after.processes).toBe(before.processes)
    engine.setFailing('android', true)
    for (let i = 0; i < 3; i++) await engine.testRoute({ type: 'android', content: 'x' }, true)
    store.getState().applyUpdate(update(2))
    const changed = store.getState().live
    expect(changed.breakers['android']).not.toBe(after.breakers['android'])
    expect(changed.breakers['discord']).toBe(after.breakers['discord'])
  })

  it('gives new sample arrays only to processes that got samples', async () => {
    const { engine, store, update } = await setup()
    const sample = (instanceId: string) => ({ instanceId, pid: 1, atMs: engine.now(), cpuPercent: 1, rssBytes: 1 })
    store.getState().applyUpdate({ ...update(1), samples: [sample('discord-1'), sample('android-1')] })
    const first = store.getState().samples
    store.getState().applyUpdate({ ...update(2), samples: [sample('discord-1')] })
    expect(store.getState().samples['android-1']).toBe(first['android-1'])
    expect(store.getState().samples['discord-1']).toHaveLength(2)
  })

  it('counts missed updates when the sequence skips', async () => {
    const { store, update } = await setup()
    store.getState().applyUpdate(update(1))
    store.getState().applyUpdate(update(4))
    expect(store.getState().connection.missedUpdates).toBe(2)
  })

  it('bounds the incident history', async () => {
    const { store, update } = await setup()
    const incidents = Array.from({ length: 700 }, (_, i) => ({ atMs: i, platform: 'discord', kind: 'dlq' as const, title: `t${i}`, detail: '' }))
    store.getState().applyUpdate({ ...update(1), incidents })
    expect(store.getState().incidents).toHaveLength(500)
    expect(store.getState().incidents.at(-1)!.title).toBe('t699')
  })
})

describe('app store: instance rows', () => {
  it('keeps the unchanged instances of a changed plugin by identity', async () => {
    const { engine, store, update } = await setup()
    store.getState().applyUpdate(update(1))
    const before = store.getState().live.plugins['discord']!
    await engine.restartInstance('discord-2')
    store.getState().applyUpdate(update(2))
    const after = store.getState().live.plugins['discord']!
    expect(after).not.toBe(before)
    expect(after.instances[0]).toBe(before.instances[0])
    expect(after.instances[1]).not.toBe(before.instances[1])
  })
})
