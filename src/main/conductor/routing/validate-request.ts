/**
 * Validates and sanitizes an incoming request. Never throws, whatever the input (cycles, throwing getters,
 * proxies): every rejection is a `BAD_REQUEST` whose issues name the field and the reason.
 *
 * Sanitization: unicode NFC normalisation, control characters stripped except newline and tab (in `content`
 * and every metadata string), `__proto__` / `constructor` / `prototype` keys rejected at any depth, metadata
 * restricted to plain JSON values, limits on content length, nesting depth, entries and serialised size.
 */
import { randomUUID } from 'node:crypto'
import type { ConductorError, FieldIssue } from '../../../shared/errors.ts'
import type { Result } from '../../../shared/result.ts'
import { RouteRequestInputSchema, type RequestLimits, type RouteRequest } from '../../../shared/routing.ts'

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])
// C0 and C1 controls except \t (0x09) and \n (0x0a); DEL too.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g
// eslint-disable-next-line no-control-regex
const HAS_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text)
}

/** NFC-normalises and strips control characters; null when the string has unpaired surrogates. */
export function sanitizeString(text: string): string | null {
  if (!isWellFormed(text)) return null
  const normalized = text.normalize('NFC')
  return HAS_CONTROL.test(normalized) ? normalized.replace(CONTROL_CHARS, '') : normalized
}

function badRequest(issues: FieldIssue[]): ConductorError {
  const first = issues[0]
  const where = first && first.path !== '' ? `${first.path}: ` : ''
  return { code: 'BAD_REQUEST', message: `Invalid request: ${where}${first?.message ?? 'invalid'}`, issues }
}

interface WalkState {
  entries: number
  /** Upper bound of the UTF-8 bytes the cleaned metadata serialises to (3 bytes per UTF-16 unit covers escaping). */
  bytes: number
  issues: FieldIssue[]
  limits: RequestLimits
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Copies a metadata value into fresh plain JSON, sanitizing strings; records issues instead of throwing. */
function cleanValue(value: unknown, path: string, depth: number, state: WalkState): unknown {
  if (state.issues.length > 0) return undefined
  switch (typeof value) {
    case 'string': {
      if (value.length > state.limits.payloadMaxBytes) {
        state.issues.push({ path, message: `longer than the ${state.limits.payloadMaxBytes}-byte payload limit` })
        return undefined
      }
      const clean = sanitizeString(value)
      if (clean === null) state.issues.push({ path, message: 'contains an unpaired UTF-16 surrogate' })
      state.bytes += 3 * (clean ?? value).length + 2 // NFC may lengthen a string: count the result
      return clean
    }
    case 'number':
      if (!Number.isFinite(value)) state.issues.push({ path, message: 'must be a finite number' })
      state.bytes += 25
      return value
    case 'boolean':
      state.bytes += 5
      return value
    case 'object': {
      state.bytes += 4
      if (value === null) return null
      if (depth >= state.limits.metadataMaxDepth) {
        state.issues.push({ path, message: `nested deeper than ${state.limits.metadataMaxDepth} levels` })
        return undefined
      }
      if (Array.isArray(value)) {
        const out: unknown[] = []
        for (let i = 0; i < value.length; i++) {
          if (++state.entries > state.limits.metadataMaxEntries) {
            state.issues.push({ path, message: `more than ${state.limits.metadataMaxEntries} entries in metadata` })
            return undefined
          }
          state.bytes += 1
          out.push(cleanValue(value[i], `${path}.${i}`, depth + 1, state))
        }
        return out
      }
      if (!isPlainObject(value)) {
        state.issues.push({ path, message: 'must be plain JSON (objects, arrays, strings, finite numbers, booleans, null)' })
        return undefined
      }
      return cleanObject(value as Record<string, unknown>, path, depth + 1, state)
    }
    default:
      state.issues.push({ path, message: `must be JSON, got ${typeof value}` })
      return undefined
  }
}

function cleanObject(value: Record<string, unknown>, path: string, depth: number, state: WalkState): Record<string, unknown> {
  // A plain object is safe to fill: every key that could reach the prototype is rejected before assignment.
  const out: Record<string, unknown> = {}
  for (const rawKey of Reflect.ownKeys(value)) {
    if (typeof rawKey === 'symbol') {
      state.issues.push({ path, message: 'symbol keys are not allowed' })
      return out
    }
    const key = rawKey.normalize('NFC')
    const keyPath = path === '' ? key : `${path}.${key}`
    if (FORBIDDEN_KEYS.has(key)) {
      state.issues.push({ path: keyPath, message: `the key "${key}" is not allowed (prototype pollution)` })
      return out
    }
    if (HAS_CONTROL.test(key) || !isWellFormed(key)) {
      state.issues.push({ path: keyPath, message: 'key contains control characters or unpaired surrogates' })
      return out
    }
    if (++state.entries > state.limits.metadataMaxEntries) {
      state.issues.push({ path, message: `more than ${state.limits.metadataMaxEntries} entries in metadata` })
      return out
    }
    const descriptor = Object.getOwnPropertyDescriptor(value, rawKey)
    if (descriptor === undefined || !('value' in descriptor)) {
      state.issues.push({ path: keyPath, message: 'accessor properties are not allowed' })
      return out
    }
    state.bytes += 3 * key.length + 4
    out[key] = cleanValue(descriptor.value, keyPath, depth, state)
    if (state.issues.length > 0) return out
  }
  return out
}

const KNOWN_FIELDS = new Set(['id', 'type', 'content', 'metadata', 'target'])

// The same rules as `RouteRequestInputSchema` (kept beside it: a field that fails here is simply re-checked by
// the schema, so these may only ever be stricter, never looser).
const ID_SHAPE = /^[A-Za-z0-9._:-]{1,128}$/
const TYPE_SHAPE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/
const PLATFORM_SHAPE = /^[a-z][a-z0-9_-]{0,63}$/

function isPlatformName(value: unknown): boolean {
  return typeof value === 'string' && PLATFORM_SHAPE.test(value)
}

/** The cheap path: true when every scalar field is certainly what the schema accepts (no zod call needed). */
interface Scalars {
  id: string | undefined
  type: string
  content: string
  target: string | string[] | undefined
}

function plainScalars(fields: { id: unknown; type: unknown; content: unknown; target: unknown }): fields is Scalars {
  const { id, type, content, target } = fields
  if (typeof content !== 'string' || typeof type !== 'string' || !TYPE_SHAPE.test(type)) return false
  if (id !== undefined && (typeof id !== 'string' || !ID_SHAPE.test(id))) return false
  if (target === undefined || isPlatformName(target)) return true
  return Array.isArray(target) && target.length > 0 && target.every(isPlatformName)
}


/**
 * Validates, sanitizes and assigns an id. The metadata walk runs before anything serialises the value, so
 * cycles and absurd depth are caught by the depth limit rather than by a stack overflow.
 */
export function validateRequest(input: unknown, limits: RequestLimits): Result<RouteRequest, ConductorError> {
  try {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return { ok: false, error: badRequest([{ path: '', message: 'the request must be a JSON object' }]) }
    }
    const record = input as Record<string, unknown>
    const unknown: string[] = []
    // One descriptor read per own key: the values of the known fields, and which of them are accessors.
    const values: Record<string, unknown> = {}
    let accessors: Set<string> | null = null
    for (const key of Reflect.ownKeys(record)) {
      if (typeof key === 'string' && FORBIDDEN_KEYS.has(key)) {
        return { ok: false, error: badRequest([{ path: key, message: `the key "${key}" is not allowed (prototype pollution)` }]) }
      }
      if (typeof key !== 'string' || !KNOWN_FIELDS.has(key)) {
        unknown.push(String(key))
        continue
      }
      const descriptor = Object.getOwnPropertyDescriptor(record, key)
      if (descriptor === undefined) continue
      if ('value' in descriptor) values[key] = descriptor.value
      else (accessors ??= new Set()).add(key)
    }
    if (unknown.length > 0) return { ok: false, error: badRequest([{ path: '', message: `unknown field(s): ${unknown.join(', ')}` }]) }
    if (accessors !== null) {
      for (const key of KNOWN_FIELDS) {
        if (accessors.has(key)) return { ok: false, error: badRequest([{ path: key, message: 'accessor properties are not allowed' }]) }
      }
    }
    // Bound the work before normalising anything: a raw content longer than the whole payload limit is refused.
    const rawContent = values.content
    if (typeof rawContent === 'string' && rawContent.length > limits.payloadMaxBytes) {
      return { ok: false, error: badRequest([{ path: 'content', message: `longer than the ${limits.payloadMaxBytes}-byte payload limit (${rawContent.length} characters)` }]) }
    }
    // Metadata first: the shape check below would otherwise walk a cyclic or hostile object.
    const state: WalkState = { entries: 0, bytes: 2, issues: [], limits }
    let metadata: Record<string, unknown> = {}
    const rawMetadata = values.metadata
    if (rawMetadata !== undefined) {
      if (typeof rawMetadata !== 'object' || rawMetadata === null || Array.isArray(rawMetadata) || !isPlainObject(rawMetadata)) {
        return { ok: false, error: badRequest([{ path: 'metadata', message: 'must be a plain object' }]) }
      }
      metadata = cleanObject(rawMetadata as Record<string, unknown>, 'metadata', 1, state)
      if (state.issues.length > 0) return { ok: false, error: badRequest(state.issues) }
    }
    // Only the scalar fields are checked here: metadata was checked above and is not walked twice. Well-formed
    // fields pass a hand-written check; anything else goes through the zod schema, which names the problem.
    const scalars = { id: values.id, type: values.type, content: rawContent, target: values.target }
    let shape: Scalars
    if (plainScalars(scalars)) {
      shape = scalars
    } else {
      const parsed = RouteRequestInputSchema.safeParse(scalars)
      if (!parsed.success) {
        const issues = parsed.error.issues.map((issue) => ({
          path: issue.path.map(String).join('.'),
          message: issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message
        }))
        return { ok: false, error: badRequest(issues) }
      }
      shape = { id: parsed.data.id, type: parsed.data.type, content: parsed.data.content, target: parsed.data.target }
    }
    const content = sanitizeString(shape.content)
    if (content === null) return { ok: false, error: badRequest([{ path: 'content', message: 'contains an unpaired UTF-16 surrogate' }]) }
    if (content.length > limits.contentMaxChars) {
      return { ok: false, error: badRequest([{ path: 'content', message: `longer than ${limits.contentMaxChars} characters (${content.length})` }]) }
    }
    const target = shape.target === undefined ? undefined : [...new Set([shape.target].flat())]
    if (target !== undefined && target.length > limits.targetMaxPlatforms) {
      return { ok: false, error: badRequest([{ path: 'target', message: `more than ${limits.targetMaxPlatforms} platforms` }]) }
    }
    const request: RouteRequest = { id: shape.id ?? randomUUID(), type: shape.type, content, metadata }
    if (target !== undefined) request.target = target
    // Serialise only when the cheap upper bound says the request might be over the limit.
    const bound = state.bytes + 3 * (request.id.length + request.type.length + content.length) + 16 * (target?.length ?? 0) + 128
    const bytes = bound <= limits.payloadMaxBytes ? 0 : Buffer.byteLength(JSON.stringify(request))
    if (bytes > limits.payloadMaxBytes) {
      return { ok: false, error: badRequest([{ path: '', message: `payload is ${bytes} bytes, over the ${limits.payloadMaxBytes}-byte limit` }]) }
    }
    return { ok: true, value: request }
  } catch (cause) {
    // A proxy or exotic object that throws on inspection: still a data answer, never an exception.
    const why = cause instanceof Error ? cause.message : String(cause)
    return { ok: false, error: badRequest([{ path: '', message: `the request could not be read: ${why}` }]) }
  }
}
