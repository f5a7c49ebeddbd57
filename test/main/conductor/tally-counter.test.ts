/** The hot-path counter exports exactly what prom-client's own Counter exports for the same counts. */
import { Counter, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { TallyCounter } from '../../../src/main/conductor/tally-counter.ts'

const counts: Array<[string, string, number]> = [
  ['discord', 'ok', 1], ['discord', 'ok', 2], ['android', 'failed', 1], ['discord', 'failed', 5], ['android', 'ok', 3]
]

describe('TallyCounter', () => {
  it('matches a prom-client Counter fed the same increments, and reads the latest counts on every scrape', async () => {
    const plain = new Registry()
    const tallied = new Registry()
    const reference = new Counter({ name: 'demo_total', help: 'demo', labelNames: ['platform', 'outcome'] as const, registers: [plain] })
    const tally = new TallyCounter({ name: 'demo_total', help: 'demo', labelNames: ['platform', 'outcome'] as const, registers: [tallied] })
    for (const [platform, outcome, n] of counts) {
      reference.inc({ platform, outcome }, n)
      tally.labels(platform, outcome).inc(n)
    }
    expect(await tallied.metrics()).toBe(await plain.metrics())
    // A child kept by its caller keeps counting into the next scrape; one never incremented is not exported.
    const kept = tally.labels('discord', 'ok')
    kept.inc()
    reference.inc({ platform: 'discord', outcome: 'ok' })
    tally.labels('slack', 'ok')
    expect(await tallied.metrics()).toBe(await plain.metrics())
    expect(await tallied.metrics()).toContain('demo_total{platform="discord",outcome="ok"} 4')
  })

  it('refuses a label set of the wrong length', () => {
    const tally = new TallyCounter({ name: 'x_total', help: 'x', labelNames: ['a'] as const, registers: [new Registry()] })
    expect(() => tally.labels('one', 'two')).toThrow(/x_total: expected 1 label values, got 2/)
  })
})
