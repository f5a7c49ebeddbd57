import { describe, expect, it } from 'vitest'
import { errorSignature, normaliseMessage, parseSignature } from '../../../../src/main/conductor/dlq/error-signature.ts'

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
