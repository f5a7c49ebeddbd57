import { describe, expect, it } from 'vitest'
import { errorSignature, normaliseMessage, normaliseMessageUncached, parseSignature } from '../../../../src/main/conductor/dlq/error-signature.ts'

describe('error signatures', () => {
  it('replaces numbers, units, uuids, hex ids, mixed ids and quoted values with placeholders', () => {
    expect(normaliseMessage('timed out after 5000ms (attempt 3 of 5)')).toBe('timed out after <n>ms (attempt <n> of <n>)')
    expect(normaliseMessage('channel 3F2B1C9E-1D2A-4C3B-9A8F-0123456789AB not found')).toBe('channel <uuid> not found')
    expect(normaliseMessage('object 0x7ffd3a2b and sha deadbeefcafe1234 gone')).toBe('object <hex> and sha <hex> gone')
    expect(normaliseMessage('request req-8f3k2 for user "alice"  failed')).toBe('request <id> for user <str> failed')
  })

  it('gives equal signatures to failures that differ only in variable parts, per code and platform', () => {
    const a = errorSignature('PLUGIN_ERROR', 'rate limited for 30s on guild 1234', 'discord')
    const b = errorSignature('PLUGIN_ERROR', 'rate limited for 12s on guild 98765', 'discord')
    expect(a.signature).toBe(b.signature)
    expect(errorSignature('PLUGIN_ERROR', 'rate limited for 30s on guild 1234', 'android').signature).not.toBe(a.signature)
    expect(errorSignature('PLUGIN_TIMEOUT', 'rate limited for 30s on guild 1234', 'discord').signature).not.toBe(a.signature)
  })

  it('parses a signature back into code, platform and a pattern that may contain a bar', () => {
    const sig = errorSignature('INTERNAL', 'a | b 12', null)
    expect(parseSignature(sig.signature)).toEqual({ signature: sig.signature, code: 'INTERNAL', platform: null, pattern: 'a | b <n>' })
  })
})

describe('normaliseMessage memo (by digit shape)', () => {
  // A small seeded generator: deterministic, and rich in the cases where digits matter (0x prefixes, digits
  // inside words, hex runs, uuids, numbers with units, quoted values, whitespace runs).
  function generator(seed: number): () => number {
    let state = seed >>> 0
    return () => {
      state = (state * 1_664_525 + 1_013_904_223) >>> 0
      return state / 2 ** 32
    }
  }
  const tokens = [
    'timeout', 'user', 'req', 'abc1', 'a0', 'x9', 'after', '0x1f', '0x0', '5x12', '0x', 'deadbeef12', '12345678',
    'cafe0000', '3f2b1c9e-1d2a-4c3b-9a8f-0123456789ab', '00000000-0000-0000-0000-000000000000', '5000ms', '0.5s',
    '100', '0', '07', '1.25', 'req-8f3k2', 'id_9f3e', 'ab12cd', '"alice 42"', "'x0'", '`7`', 'kb', '3kb', '10mb',
    '(attempt', '3', 'of', '5)', ':', '-', '_', '#77'
  ]
  const separators = [' ', '  ', '\t', '', '-', ', ', '\n']

  function message(random: () => number): string {
    const length = 1 + Math.floor(random() * 8)
    let text = ''
    for (let i = 0; i < length; i++) {
      text += tokens[Math.floor(random() * tokens.length)] ?? ''
      text += separators[Math.floor(random() * separators.length)] ?? ''
    }
    return text
  }

  /** The same message with some digits changed (0 included), so it shares or nearly shares a cached shape. */
  function variant(text: string, random: () => number): string {
    return text.replace(/\d/g, (d) => (random() < 0.5 ? d : String(Math.floor(random() * 10))))
  }

  it('gives every message the same pattern as the uncached normalisation, warm cache or cold', () => {
    const random = generator(42)
    for (let i = 0; i < 3_000; i++) {
      const base = message(random)
      for (const text of [base, variant(base, random), variant(base, random), base]) {
        expect(normaliseMessage(text), JSON.stringify(text)).toBe(normaliseMessageUncached(text))
      }
    }
  })

  it('keeps digits that are part of the pattern, even after a message of the same shape was cached', () => {
    expect(normaliseMessage('code abc1 failed 12 times')).toBe('code abc1 failed <n> times')
    expect(normaliseMessage('code abc7 failed 99 times')).toBe('code abc7 failed <n> times')
    expect(normaliseMessage('value 0x10 then 5x10')).toBe(normaliseMessageUncached('value 0x10 then 5x10'))
    expect(normaliseMessage('value 5x10 then 0x10')).toBe(normaliseMessageUncached('value 5x10 then 0x10'))
  })
})
