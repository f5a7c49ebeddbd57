/**
 * The child's check of what the host sends: the rules of `HostMessageSchema` and of batches (protocol.ts),
 * written out by hand so the sandbox child never loads zod. Loading zod/mini and building the protocol's
 * schemas cost ~7 ms of every cold start (measured in the child: 4 ms module load, 3 ms schema construction,
 * ~1 ms first parse), while the host, which validates everything the child sends with zod, pays it once.
 * The protocol tests run this check and the schema over one corpus and require the same verdict and output.
 * Like the schema, it keeps only the known keys of a message. Imports only types.
 */
import type { HostMessage } from '../protocol.ts'

export type HostMessageCheck = { success: true; data: HostMessage } | { success: false; error: string }

type Fields = Record<string, unknown>

class Invalid extends Error {}

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function string(message: Fields, key: string): string {
  const value = message[key]
  if (typeof value !== 'string') throw new Invalid(`${key}: expected a string`)
  return value
}

// As zod's z.number(): finite numbers only.
function number(message: Fields, key: string): number {
  const value = message[key]
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Invalid(`${key}: expected a finite number`)
  return value
}

function boolean(message: Fields, key: string): boolean {
  const value = message[key]
  if (typeof value !== 'boolean') throw new Invalid(`${key}: expected a boolean`)
  return value
}

/** Copies `key` when it is present (as zod does, even when undefined), after checking a defined value with `check`. */
function optional<T>(message: Fields, key: string, check: (m: Fields, k: string) => T): Fields {
  if (!(key in message)) return {}
  return { [key]: message[key] === undefined ? undefined : check(message, key) }
}

const anything = (message: Fields, key: string): unknown => message[key]

const KINDS = new Set(['handle', 'health', 'eval'])

function checked(message: Fields): HostMessage {
  switch (message.t) {
    case 'init': {
      const modulePath = message.modulePath
      if (modulePath !== null && typeof modulePath !== 'string') throw new Invalid('modulePath: expected a string or null')
      const grants = message.grants
      if (!isObject(grants)) throw new Invalid('grants: expected an object')
      return {
        t: 'init',
        instanceId: string(message, 'instanceId'),
        modulePath,
        ...optional(message, 'pluginConfig', anything),
        outputBytes: number(message, 'outputBytes'),
        probeReadPath: string(message, 'probeReadPath'),
        probeWritePath: string(message, 'probeWritePath'),
        ...optional(message, 'probeLinkPath', string),
        hostPid: number(message, 'hostPid'),
        ...optional(message, 'maxMessageBytes', number),
        ...optional(message, 'probePort', number),
        grants: { network: boolean(grants, 'network'), childProcesses: boolean(grants, 'childProcesses'), workers: boolean(grants, 'workers') }
      } as HostMessage
    }
    case 'req': {
      if (typeof message.kind !== 'string' || !KINDS.has(message.kind)) throw new Invalid('kind: expected handle, health or eval')
      return {
        t: 'req',
        id: string(message, 'id'),
        kind: message.kind,
        ...optional(message, 'input', anything),
        ...optional(message, 'code', string),
        deadlineMs: number(message, 'deadlineMs')
      } as HostMessage
    }
    case 'cancel':
      return { t: 'cancel', id: string(message, 'id') }
    case 'shutdown':
      return { t: 'shutdown' }
    default:
      throw new Invalid('t: expected init, req, cancel or shutdown')
  }
}

/** Checks one (unbatched) host message; never throws. */
export function checkHostMessage(raw: unknown): HostMessageCheck {
  if (!isObject(raw)) return { success: false, error: 'expected an object' }
  try {
    return { success: true, data: checked(raw) }
  } catch (cause) {
    if (cause instanceof Invalid) return { success: false, error: `${String(raw.t)}: ${cause.message}` }
    throw cause
  }
}

/** Splits a received frame into its messages, as protocol.ts `unbatch` does: a batch's parts, or the frame itself. */
export function splitHostFrame(raw: unknown): unknown[] | { error: string } {
  if (!isObject(raw) || raw.t !== 'batch') return [raw]
  return Array.isArray(raw.messages) ? raw.messages : { error: 'messages: expected an array' }
}
