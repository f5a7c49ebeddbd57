import { describe, expect, it } from 'vitest'
import { createPanelServer } from '../../../src/main/transport/create-panel-server.ts'
import { PROTOCOL_VERSION, type EventFrame } from '../../../src/shared/contract.ts'
import type { PanelUpdate } from '../../../src/shared/panel.ts'
import { FakeEngine } from './fake-engine.ts'

function setup() {
  const engine = new FakeEngine()
  let tick: (() => void) | null = null
  let intervalMs = 0
  const panel = createPanelServer(engine, {
    intervalMs: 1000,
    setInterval: (fn, ms) => {
      tick = fn
      intervalMs = ms
      return 1
    },
    clearInterval: () => {
      tick = null
    }
  })
  const updates: PanelUpdate[] = []
  panel.server.addSink((frame: EventFrame) => updates.push(frame.payload as PanelUpdate))
  return { engine, panel, updates, fire: () => tick?.(), intervalMs: () => intervalMs, ticking: () => tick !== null }
}

describe('UpdateBatcher', () => {
  it('ticks at the configured period and sends one update per tick', async () => {
    const { panel, updates, intervalMs } = setup()
    expect(intervalMs()).toBe(1000)
    await panel.batcher.tick()
    await panel.batcher.tick()
    expect(updates.map((u) => u.seq)).toEqual([1, 2])
  })

  it('publishes an update right after an operator action, so DLQ counts and breaker states do not wait for the tick', async () => {
    const { engine, panel, updates } = setup()
    const published = (count: number): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => void (updates.length >= count ? resolve() : setImmediate(check))
        check()
      })
    const id = engine.dlq.add({ id: 'r1', type: 'discord', content: '!ping' }, 'discord', 'builtin:discord', { code: 'PLUGIN_ERROR', message: 'boom', instanceId: 'discord-1' }, 'discord-1')
    await panel.batcher.tick()
    expect(updates.at(-1)!.dlqCounts.pending).toBe(1)
    const answer = await panel.server.handle({ v: PROTOCOL_VERSION, id: 7, method: 'dlq.discard', input: { ids: [id], reason: 'duplicate' } })
    expect(answer).toMatchObject({ id: 7, ok: true })
    await published(2) // the timer never fires in this test: only the action can have published it
    expect(updates.at(-1)!.dlqCounts).toMatchObject({ pending: 0, discarded: 1 })
    // A failed action refreshes too (what it shows may have changed before it failed); a read does not.
    await panel.server.handle({ v: PROTOCOL_VERSION, id: 8, method: 'breakers.forceOpen', input: { platform: 'nowhere', reason: 'test' } })
    await published(3)
    await panel.server.handle({ v: PROTOCOL_VERSION, id: 9, method: 'dlq.list', input: {} })
    await panel.batcher.tick()
    expect(updates).toHaveLength(4) // the read published nothing: this tick is the only new update
  })

  it('carries the samples since the previous tick, and only those', async () => {
    const { engine, panel, updates } = setup()
    engine.advance(3000)
    await panel.batcher.tick()
    engine.advance(1000)
    await panel.batcher.tick()
    expect(updates[0]!.samples).toHaveLength(3 * 4)
    expect(updates[1]!.samples).toHaveLength(4)
    expect(updates[1]!.samples.every((s) => s.atMs === engine.now())).toBe(true)
  })

  it('still publishes, and never rejects, when saving the redrive jobs fails', async () => {
    const logged: string[] = []
    const panel = createPanelServer(new FakeEngine(), {
      setInterval: () => 1,
      clearInterval: () => undefined,
      logError: (message) => logged.push(message),
      redriveStore: {
        where: '/full/disk/redrive.json',
        read: () => null,
        write: () => {
          throw new Error('ENOSPC: no space left on device')
        },
        moveAside: () => undefined
      }
    })
    const updates: PanelUpdate[] = []
    panel.server.addSink((frame: EventFrame) => updates.push(frame.payload as PanelUpdate))
    try {
      await panel.batcher.tick()
      await panel.batcher.tick()
      expect(updates.map((u) => u.seq)).toEqual([1, 2])
      expect(logged.length).toBeGreaterThan(0)
      expect(logged[0]).toMatch(/redrive/)
    } finally {
      panel.close()
    }
  })

  it('sends one message when a second tick starts before the first finished', async () => {
    const { panel, updates } = setup()
    await Promise.all([panel.batcher.tick(), panel.batcher.tick(), panel.batcher.tick()])
    expect(updates).toHaveLength(1)
  })

  it('carries breaker states, instance states, DLQ counts and incidents as of the tick', async () => {
    const { engine, panel, updates } = setup()
    engine.setFailing('android', true)
    for (let i = 0; i < 3; i++) await engine.testRoute({ type: 'android', content: 'GET /api/status' }, true)
    engine.killForMemory('discord-1')
    await panel.batcher.tick()
    const u = updates[0]!
    expect(u.router.platforms.find((p) => p.platform === 'android')!.breaker.state).toBe('open')
    expect(u.dlqCounts.pending).toBe(3)
    expect(u.incidents.map((i) => i.kind)).toEqual(['dlq', 'dlq', 'breaker', 'dlq', 'kill', 'restart'])
    expect(u.exits).toHaveLength(1)
    await panel.batcher.tick()
    expect(updates[1]!.incidents).toEqual([])
    expect(updates[1]!.exits).toEqual([])
  })

  it('bounds the samples buffered between ticks', async () => {
    const { engine, panel, updates } = setup()
    engine.advance(2000 * 1000)
    await panel.batcher.tick()
    expect(updates[0]!.samples).toHaveLength(5000)
    expect(updates[0]!.samples.at(-1)!.atMs).toBe(engine.now())
  })

  it('stops ticking and listening when closed', async () => {
    const { engine, panel, updates, ticking } = setup()
    panel.close()
    expect(ticking()).toBe(false)
    engine.advance(5000)
    await panel.batcher.tick()
    expect(updates[0]!.samples).toEqual([])
  })
})
