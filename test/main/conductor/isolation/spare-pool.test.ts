/**
 * The spare pool on its own (fake spares, no processes): one spare per shape made after a delay, a take hands
 * it out once, and past `maxShapes` the least recently used shape's spares are ended and discarded.
 */
import { EventEmitter } from 'node:events'
import type { ChildProcess } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { SpareLaunchers, type Spare } from '../../../../src/main/conductor/sandbox/spare-launchers.ts'

interface FakeSpare extends Spare {
  name: string
  ended: boolean
  discarded: boolean
}

function fakeSpare(name: string): FakeSpare {
  const child = new EventEmitter() as unknown as ChildProcess
  const spare: FakeSpare = {
    name,
    child,
    group: null,
    pidNamespace: true,
    netNamespace: true,
    ended: false,
    discarded: false,
    discard: () => (spare.discarded = true)
  }
  // Ending stdin makes a real spare's shell exit; the fake closes at once.
  ;(child as unknown as { stdin: { end(): void } }).stdin = {
    end: () => {
      spare.ended = true
      setImmediate(() => child.emit('close', 0, null))
    }
  }
  return spare
}

const tick = (ms = 5): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('spare pool', () => {
  it('keeps one spare per shape, hands it out once, and ends the least recently used shape past maxShapes', async () => {
    const pool = new SpareLaunchers<FakeSpare>(1, { refillDelayMs: 0, maxShapes: 2 })
    const made: FakeSpare[] = []
    const make = (key: string) => () => {
      const spare = fakeSpare(`${key}#${made.length}`)
      made.push(spare)
      return spare
    }
    pool.refill('a', make('a'))
    await tick()
    pool.refill('b', make('b'))
    await tick()
    expect(pool.live().map((s) => s.name)).toEqual(['a#0', 'b#1'])
    // Using `a` makes `b` the least recently used shape.
    const taken = pool.take('a')
    expect(taken?.name).toBe('a#0')
    expect(pool.take('a')).toBeUndefined()
    pool.refill('a', make('a'))
    await tick()
    pool.refill('c', make('c'))
    await tick(20)
    const bSpare = made.find((s) => s.name === 'b#1')!
    expect(bSpare.ended).toBe(true)
    expect(bSpare.discarded).toBe(true)
    expect(pool.live().map((s) => s.name).sort()).toEqual(['a#2', 'c#3'])
    // The spare that was taken belongs to its sandbox: never ended or discarded by the pool.
    expect(taken?.ended).toBe(false)
    expect(taken?.discarded).toBe(false)
    await pool.close()
    expect(made.filter((s) => s !== taken).every((s) => s.ended && s.discarded)).toBe(true)
  })

  it('waits refillDelayMs before making a replacement', async () => {
    const pool = new SpareLaunchers<FakeSpare>(1, { refillDelayMs: 60 })
    let made = 0
    pool.refill('a', () => (made++, fakeSpare('a')))
    await tick(20)
    expect(made).toBe(0)
    await tick(80)
    expect(made).toBe(1)
    await pool.close()
  })
})
