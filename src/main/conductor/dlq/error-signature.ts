/**
 * Normalised error signatures for error groups: the same failure with different numbers, ids or uuids in its
 * message lands in one group. Signature = `code|platform|pattern`.
 */

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi
// Long hex runs (hashes, object ids) and tokens mixing letters with digits (req-42ab7, id_9f3e) are ids.
const HEX = /\b(?:0x[0-9a-f]+|(?=[0-9a-f]*[a-f])[0-9a-f]{8,})\b/gi
// Numbers with a unit keep the unit: "5000ms" and "7000ms" are one pattern, "<n>ms".
const NUMBER_WITH_UNIT = /\b\d+(?:\.\d+)?(ms|s|m|h|d|b|kb|mb|gb)\b/gi
const MIXED_ID = /\b(?=[\w-]*\d)(?=[\w-]*[a-z])[\w-]{6,}\b/gi
const NUMBER = /\b\d+(?:\.\d+)?\b/g
const QUOTED = /(["'`])(?:(?!\1).){1,200}\1/g

/** The message with variable parts replaced: `<uuid>`, `<hex>`, `<id>`, `<n>`, `<str>` (uncached). */
export function normaliseMessageUncached(message: string): string {
  return message
    .slice(0, 2_000)
    .replace(UUID, '<uuid>')
    .replace(QUOTED, '<str>')
    .replace(HEX, '<hex>')
    .replace(NUMBER_WITH_UNIT, '<n>$1')
    .replace(MIXED_ID, '<id>')
    .replace(NUMBER, '<n>')
    .replace(/\s+/g, ' ')
    .trim()
}

const SHAPE_CACHE = new Map<string, string>()
const SHAPE_CACHE_MAX = 2_000
const SHAPE_CACHE_MAX_LENGTH = 500
const DIGITS_1_9 = /[1-9]/g
const HAS_DIGIT_1_9 = /[1-9]/

/**
 * `normaliseMessageUncached`, memoised by the message's shape: every digit 1-9 turned into `1` (`0` is kept, so
 * a `0x` prefix stays one). The patterns above tell digits apart only by that `0` of `0x`; every other test is
 * "is a digit" / "is a word character", which a digit keeps when it becomes another digit. So a message and its
 * shape are cut at the same places into the same placeholders, and their patterns differ only where a digit
 * survived. A shape whose pattern has no digit 1-9 left therefore has the message's pattern; other shapes are
 * not cached. Failures that differ only in their numbers and ids (the common case) cost one pass, not seven.
 */
export function normaliseMessage(message: string): string {
  if (message.length > SHAPE_CACHE_MAX_LENGTH) return normaliseMessageUncached(message)
  const shape = message.replace(DIGITS_1_9, '1')
  const cached = SHAPE_CACHE.get(shape)
  if (cached !== undefined) return cached
  const pattern = normaliseMessageUncached(shape)
  if (HAS_DIGIT_1_9.test(pattern)) return normaliseMessageUncached(message)
  if (SHAPE_CACHE.size >= SHAPE_CACHE_MAX) SHAPE_CACHE.clear()
  SHAPE_CACHE.set(shape, pattern)
  return pattern
}

export interface ErrorSignature {
  signature: string
  code: string
  platform: string | null
  pattern: string
}

export function errorSignature(code: string, message: string, platform: string | null): ErrorSignature {
  const pattern = normaliseMessage(message)
  return { signature: `${code}|${platform ?? '-'}|${pattern}`, code, platform, pattern }
}

/** Splits a signature back into its parts (the pattern may itself contain `|`). */
export function parseSignature(signature: string): ErrorSignature {
  const [code = '', platform = '-', ...rest] = signature.split('|')
  return { signature, code, platform: platform === '-' ? null : platform, pattern: rest.join('|') }
}
