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

/** The message with variable parts replaced: `<uuid>`, `<hex>`, `<id>`, `<n>`, `<str>`. */
export function normaliseMessage(message: string): string {
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
