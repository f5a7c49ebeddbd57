/**
 * The message protocol between the host and a sandbox child, validated with zod on both ends. Written with
 * `zod/mini` on purpose: the child imports this file before anything else, and the full zod build costs a
 * sandbox more start-up time than a whole raw `node` spawn. Imports only `zod/mini` (and the zod core it is
 * built on).
 */
import * as z from 'zod/mini'
import * as core from 'zod/v4/core'

const id = z.string()

/**
 * A `zod/mini` object whose parse is zod's compiled one (what full zod's `z.object` uses): on its first parse
 * it generates a function for its shape. Used for the two messages every request carries, where mini's
 * generic object walk cost about 5 us of CPU per request in the child alone (measured A/B on the echo round
 * trip), more than a fifth of what the child spends on it. Same checks, same output.
 */
type Init = (inst: unknown, def: unknown) => void
const initCompiled = core.$ZodObjectJIT.init as Init
const initMini = z.ZodMiniType.init as Init
const CompiledObject = core.$constructor('CompiledObject', (inst: core.$ZodObject, def: core.$ZodObjectDef) => {
  initCompiled(inst, def)
  initMini(inst, def)
  // As on a zod/mini object.
  Object.defineProperty(inst, 'shape', { value: def.shape, enumerable: false })
})
function compiledObject<Shape extends core.$ZodLooseShape>(shape: Shape): z.ZodMiniObject<Shape> {
  return new CompiledObject({ type: 'object', shape } as core.$ZodObjectDef) as unknown as z.ZodMiniObject<Shape>
}

/** What the child measured about its own confinement BEFORE any plugin code was loaded. */
export const SelfTestSchema = z.object({
  /** Error code of a TCP connect to 127.0.0.1 (`ERR_ACCESS_DENIED`, `ENETUNREACH`…), or `connected`. */
  network: z.string(),
  /** Error code of reading a file outside the allow-list, or `readable`. */
  fsRead: z.string(),
  /** Error code of writing outside the scratch dir, or `writable`. */
  fsWrite: z.string(),
  /** Error code of spawning a child process, or `spawned`. */
  childProcess: z.string(),
  /** Error code of starting a Worker, or `started`. */
  worker: z.string(),
  /** Error codes of loading a native addon and of importing `node:ffi`, or `loaded`. */
  nativeCode: z.string(),
  /** Error code of signalling the host's pid (signal 0), or `reachable`. */
  signalHost: z.string(),
  /** V8's heap size limit as the child reads it back, in bytes. */
  heapLimitBytes: z.number(),
  /** Names of the environment variables the child sees. */
  envKeys: z.array(z.string()),
  /** Reading the probe path through a symlink in scratch (the permission model does not follow links): `ENOENT` when the path is absent. */
  fsSymlink: z.optional(z.string()),
  /** node:sqlite opening the probe read path read-only (it bypasses the permission model): `opened`, or why not. */
  sqliteRead: z.optional(z.string()),
  /** node:sqlite creating a database at the probe write path: `created`, or why not. */
  sqliteCreate: z.optional(z.string())
})
export type SelfTest = z.infer<typeof SelfTestSchema>

export const InitMessageSchema = z.object({
  t: z.literal('init'),
  instanceId: id,
  /** Absolute path of the plugin module, or null for an ad-hoc code sandbox. */
  modulePath: z.nullable(z.string()),
  pluginConfig: z.optional(z.unknown()),
  outputBytes: z.number(),
  /** Where the self-test tries to read and write (paths the policy denies), and the host pid to signal. */
  probeReadPath: z.string(),
  probeWritePath: z.string(),
  /** A symlink in scratch, made by the host, pointing at `probeReadPath`. */
  probeLinkPath: z.optional(z.string()),
  hostPid: z.number(),
  /** Largest frame the host accepts; the child splits batches and refuses bigger outputs below it. */
  maxMessageBytes: z.optional(z.number()),
  /**
   * Set for the host's capability probe only: a port the host itself listens on (the self-test connects there
   * too, and the host counts connections). That self-test also attempts a spawn and a Worker, where an
   * ordinary sandbox reads the permission model's answer (see child/self-test.ts).
   */
  probePort: z.optional(z.number()),
  /** Skip the checks whose capability the policy grants (e.g. no connect test when network is granted). */
  grants: z.object({ network: z.boolean(), childProcesses: z.boolean(), workers: z.boolean() })
})

export type InitMessage = z.infer<typeof InitMessageSchema>

/**
 * The host → child messages that follow `init`, and the batch envelope, built on first use. A sandbox child
 * needs only the init schema before it reports ready, and building these as well cost its cold start ~1.3 ms
 * (measured on this machine); the child builds them while it waits for its first request. The host and the
 * tests take them from here too, so there is still one definition of each message.
 */
function buildLateSchemas() {
  const RequestMessageSchema = compiledObject({
    t: z.literal('req'),
    id,
    kind: z.enum(['handle', 'health', 'eval']),
    /** The plugin request (`handle`), or the payload (`eval`). */
    input: z.optional(z.unknown()),
    /** The async function body (`eval` only). */
    code: z.optional(z.string()),
    /** Absolute epoch ms at which the host gives up on this request. */
    deadlineMs: z.number()
  })
  const HostMessageSchema = z.discriminatedUnion('t', [
    InitMessageSchema,
    RequestMessageSchema,
    z.object({ t: z.literal('cancel'), id }),
    z.object({ t: z.literal('shutdown') })
  ])
  /**
   * Several messages in one IPC write. Both ends coalesce what they produce within one microtask drain, so a
   * burst of overlapping requests costs one write (and one wake-up of the other process) instead of one each.
   * Each inner message is validated on its own against its direction's union; a batch never nests.
   */
  const BatchSchema = z.object({ t: z.literal('batch'), messages: z.array(z.unknown()) })
  return { RequestMessageSchema, HostMessageSchema, BatchSchema }
}
type LateSchemas = ReturnType<typeof buildLateSchemas>
let late: LateSchemas | undefined
export function lateSchemas(): LateSchemas {
  return (late ??= buildLateSchemas())
}
export type HostMessage = z.infer<LateSchemas['HostMessageSchema']>
export type RequestMessage = z.infer<LateSchemas['RequestMessageSchema']>
export type Batch = z.infer<LateSchemas['BatchSchema']>

export const ErrorInfoSchema = z.object({
  message: z.string(),
  stack: z.optional(z.string()),
  code: z.optional(z.string())
})

const captured = {
  stdout: z.string(),
  stderr: z.string(),
  stdoutTruncated: z.boolean(),
  stderrTruncated: z.boolean(),
  /**
   * How long the sandbox's JavaScript thread was busy while the request was in flight, in ms (event-loop
   * utilisation; in the Electron utility host, process CPU time). Overlapping requests share the busy time.
   */
  cpuMs: z.number()
}

/** A finished request: `error` is set when the plugin threw (then `output` is absent). */
export const ResultMessageSchema = /* @__PURE__ */ compiledObject({
  t: z.literal('res'),
  id,
  output: z.optional(z.unknown()),
  error: z.optional(ErrorInfoSchema),
  ...captured
})

export const ChildMessageSchema = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('ready'),
    selfTest: SelfTestSchema,
    /** Set when importing the plugin or its `initialize` failed; the host then stops the child. */
    initError: z.optional(ErrorInfoSchema)
  }),
  ResultMessageSchema,
  /** The child received a cancel: its event loop is alive, so the host need not kill it. */
  z.object({ t: z.literal('cancelled'), id }),
  z.object({ t: z.literal('bye') })
])
export type ChildMessage = z.infer<typeof ChildMessageSchema>
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>

/**
 * Collects the messages produced in one microtask drain and hands them to `flush` together, but never more
 * than `maxBatch` at once: with many requests in flight, one write per whole drain would make host and child
 * take turns (each idle while the other works through a batch of 32), while groups of 8 let the child start
 * on the first requests as the host is still producing the rest, so the two processes run side by side.
 */
export function createBatcher<M>(flush: (messages: M[]) => void, maxBatch = 8): (message: M) => void {
  let queue: M[] = []
  let scheduled = false
  const drain = (): void => {
    scheduled = false
    if (queue.length === 0) return
    const messages = queue
    queue = []
    flush(messages)
  }
  return (message) => {
    queue.push(message)
    if (queue.length >= maxBatch) {
      const messages = queue
      queue = []
      flush(messages)
    } else if (!scheduled) {
      scheduled = true
      queueMicrotask(drain)
    }
  }
}

/** One wire message for a group: a lone message as is, several as a batch. */
export function asWireMessage<M>(messages: M[]): M | Batch {
  return messages.length === 1 ? messages[0]! : { t: 'batch', messages }
}

/** Splits a received message into its parts: the batch's inner messages, or the message itself. */
export function unbatch(raw: unknown): unknown[] | { error: string } {
  if (typeof raw !== 'object' || raw === null || (raw as { t?: unknown }).t !== 'batch') return [raw]
  const parsed = lateSchemas().BatchSchema.safeParse(raw)
  return parsed.success ? parsed.data.messages : { error: parsed.error.message }
}
