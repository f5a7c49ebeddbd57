/**
 * Entry of a sandbox child process. It runs under Node's permission model (and, where the host can, inside
 * network/PID namespaces and a memory cgroup). Sequence: wait for `init`, run the self-test BEFORE any plugin
 * code is loaded, import the plugin (or nothing, for an ad-hoc code sandbox), call `initialize`, report
 * `ready`, then serve overlapping requests. Every message both ways is validated against `protocol.ts`.
 * Kept lean on purpose: its start-up time is the sandbox's cold-start cost.
 */
import { encodeFrame, FrameDecoder } from '../framing.ts'
import { createBatcher, InitMessageSchema, lateSchemas, unbatch } from '../protocol.ts'
import type { ChildMessage, ErrorInfo, InitMessage, RequestMessage } from '../protocol.ts'
import { runSelfTest, startEarlyProbes } from './self-test.ts'

// Built-ins come from process.getBuiltinModule, not `import`: an ESM import of a built-in first builds a module
// facade over all its exports, and for the eight modules the child needs that cost ~4-5 ms of every cold start.
const { AsyncLocalStorage } = process.getBuiltinModule('node:async_hooks')
const { Socket } = process.getBuiltinModule('node:net')
const { pathToFileURL } = process.getBuiltinModule('node:url')
const { format } = process.getBuiltinModule('node:util')
const { readSync } = process.getBuiltinModule('node:fs')

interface PluginModule {
  initialize?: (config: unknown) => unknown
  handleRequest?: (request: unknown, ctx: PluginContext) => unknown
  healthCheck?: () => unknown
  shutdown?: () => unknown
}

/** What a plugin's `handleRequest` receives besides the request. `deadlineMs` is an absolute epoch ms. */
export interface PluginContext {
  instanceId: string
  requestId: string
  deadlineMs: number
  signal: AbortSignal
}

interface Capture {
  text: string[]
  bytes: number
  truncated: boolean
}

/** What one request printed; a stream's capture is made on its first line (most requests print nothing). */
interface RequestScope {
  stdout?: Capture
  stderr?: Capture
}

/**
 * The channel to the host: Electron's utility process talks through `process.parentPort`; a plain Node child
 * through newline-delimited JSON on fd 3 (see framing.ts; Node's own IPC would let a plugin crash the host).
 */
interface ParentPort {
  postMessage(message: unknown): void
  on(event: 'message', listener: (event: { data: unknown }) => void): void
}
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort
let channel: import('node:net').Socket | undefined
/**
 * What the host had already written to fd 3 when this module started (its `init`, sent right after the spawn),
 * read synchronously before the socket takes the fd over, so the start does not wait for the event loop.
 */
let waitingOnChannel: Buffer | null = null
if (!parentPort) {
  try {
    const buffer = Buffer.allocUnsafe(64 * 1024)
    const read = readSync(3, buffer)
    if (read > 0) waitingOnChannel = buffer.subarray(0, read)
  } catch {
    // EAGAIN (nothing there yet) or no fd 3: the socket below reads it, or reports why not.
  }
  try {
    channel = new Socket({ fd: 3, readable: true, writable: true })
  } catch (cause) {
    process.stderr.write(`sandbox-host: no message channel on fd 3 (${String(cause)})\n`)
    process.exit(70)
  }
}

function send(message: ChildMessage, then?: () => void): void {
  if (parentPort) {
    parentPort.postMessage(message)
    if (then) setImmediate(then)
  } else {
    channel!.write(encodeFrame(message), then ? () => then() : undefined)
  }
}

const earlyProbes = startEarlyProbes()
const scope = new AsyncLocalStorage<RequestScope>()
/** A request being served: its abort controller once the plugin asked for `ctx.signal`, and a cancel's reason. */
interface InFlight {
  controller?: AbortController
  cancelledBecause?: Error
}
const requests = new Map<string, InFlight>()
const AsyncFunction = (async () => {}).constructor as new (arg: string, body: string) => (payload: unknown) => Promise<unknown>
let outputBytes = 64 * 1024
let instanceId = ''
let plugin: PluginModule = {}

let maxFrameBytes = 16 * 1024 * 1024

/** A `res` that cannot go out as is (not serialisable, or larger than a frame) becomes an error reply. */
function encodeReply(message: ChildMessage): string {
  let text: string | undefined
  let problem: string
  try {
    text = JSON.stringify(message)
    problem = text === undefined ? 'output is not JSON-serialisable' : ''
  } catch (cause) {
    problem = `output is not JSON-serialisable: ${errorInfo(cause).message}`
  }
  if (text !== undefined && !problem) {
    // A UTF-16 code unit is at most 3 UTF-8 bytes: most replies are plainly small enough without counting.
    if (text.length * 3 < maxFrameBytes - 1024 || Buffer.byteLength(text) < maxFrameBytes - 1024) return text
    problem = `output is larger than the ${maxFrameBytes} B message limit`
  }
  if (message.t !== 'res') throw new Error(`cannot send ${message.t}: ${problem}`)
  const { output: _dropped, stdout: _out, stderr: _err, ...rest } = message
  void _dropped, _out, _err
  return JSON.stringify({ ...rest, stdout: '', stderr: '', error: { message: problem } })
}

// Replies produced in the same microtask drain (a burst of overlapping requests) leave in as few writes as
// the frame limit allows.
const post = createBatcher<ChildMessage>((messages) => {
  if (parentPort) {
    for (const message of messages) parentPort.postMessage(message)
    return
  }
  // A lone reply (every sequential request) needs no grouping: encodeReply already kept it under a frame.
  if (messages.length === 1) {
    channel!.write(`${encodeReply(messages[0]!)}\n`)
    return
  }
  let group: string[] = []
  let groupBytes = 0
  const flush = (): void => {
    if (group.length === 0) return
    channel!.write(group.length === 1 ? `${group[0]}\n` : `{"t":"batch","messages":[${group.join(',')}]}\n`)
    group = []
    groupBytes = 0
  }
  for (const message of messages) {
    const text = encodeReply(message)
    const bytes = Buffer.byteLength(text)
    if (groupBytes + bytes + 64 > maxFrameBytes) flush()
    group.push(text)
    groupBytes += bytes + 1
  }
  flush()
})

let cpuThisTurnMs: number | undefined

/**
 * Process CPU time in ms (a getrusage call), read once per synchronous run. Only the Electron utility host
 * uses it: there libuv's loop is driven by Chromium's, so event-loop utilisation does not measure the thread.
 */
function cpuNowMs(): number {
  if (cpuThisTurnMs === undefined) {
    const usage = process.cpuUsage()
    cpuThisTurnMs = (usage.user + usage.system) / 1000
    queueMicrotask(() => (cpuThisTurnMs = undefined))
  }
  return cpuThisTurnMs
}

/**
 * How long this process's JavaScript thread has been busy, in ms. In a plain Node child that is libuv's
 * event-loop utilisation: read from a clock, not a system call (the thread's own CPU clock, two getrusage
 * calls per request, made a ~60 us echo round trip ~2 us slower, measured A/B), and it is the thread the
 * plugin runs on. It counts the time the thread was running or blocked in a synchronous call (an upper bound
 * of its CPU time: a thread the OS preempted still counts as busy), not GC helper threads.
 */
const busyNowMs: () => number = parentPort ? cpuNowMs : () => performance.eventLoopUtilization().active

function append(capture: Capture, chunk: string): void {
  if (capture.truncated) return
  const size = Buffer.byteLength(chunk)
  if (capture.bytes + size <= outputBytes) {
    capture.text.push(chunk)
    capture.bytes += size
    return
  }
  const room = outputBytes - capture.bytes
  if (room > 0) capture.text.push(Buffer.from(chunk).subarray(0, room).toString())
  capture.bytes = outputBytes
  capture.truncated = true
}

/** Routes console output to the request it belongs to; outside a request it goes to the real pipes. */
function routeConsole(): void {
  const route = (stream: 'stdout' | 'stderr', original: (...args: unknown[]) => void) =>
    (...args: unknown[]): void => {
      const current = scope.getStore()
      if (current) append((current[stream] ??= { text: [], bytes: 0, truncated: false }), `${format(...args)}\n`)
      else original(...args)
    }
  const c = console as unknown as Record<string, (...args: unknown[]) => void>
  for (const name of ['log', 'info', 'debug'] as const) c[name] = route('stdout', c[name]!.bind(console))
  for (const name of ['warn', 'error', 'trace'] as const) c[name] = route('stderr', c[name]!.bind(console))
}

function errorInfo(cause: unknown): ErrorInfo {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code
    return {
      message: cause.message,
      ...(cause.stack ? { stack: cause.stack } : {}),
      ...(typeof code === 'string' ? { code } : {})
    }
  }
  return { message: typeof cause === 'string' ? cause : format(cause) }
}

async function run(message: RequestMessage, inFlight: InFlight): Promise<unknown> {
  if (message.kind === 'eval') return new AsyncFunction('payload', message.code ?? '')(message.input)
  if (message.kind === 'health') return plugin.healthCheck ? await plugin.healthCheck() : { healthy: true }
  if (!plugin.handleRequest) throw new Error('plugin exports no handleRequest')
  const ctx: PluginContext = {
    instanceId,
    requestId: message.id,
    deadlineMs: message.deadlineMs,
    // Made on first use: most plugins never look at it, and a request's cancel only matters to one that did.
    get signal() {
      inFlight.controller ??= new AbortController()
      if (inFlight.cancelledBecause !== undefined) inFlight.controller.abort(inFlight.cancelledBecause)
      return inFlight.controller.signal
    }
  }
  return plugin.handleRequest(message.input, ctx)
}

async function serve(message: RequestMessage): Promise<void> {
  const inFlight: InFlight = {}
  requests.set(message.id, inFlight)
  const captured: RequestScope = {}
  const busyBeforeMs = busyNowMs()
  let output: unknown
  let error: ErrorInfo | undefined
  try {
    // The request's console scope, entered without `scope.run`'s restore: that is a second context frame per
    // request, ~2 us of the child's CPU per request when requests rotate over four instances (A/B, CPU read
    // from /proc/<pid>/schedstat). The scope lasts for the rest of this synchronous run and what it schedules; Node puts the caller's
    // frame back when the callback that delivered the message returns, and the messages that are not requests
    // are handled outside any request (`scope.exit` below).
    scope.enterWith(captured)
    output = await run(message, inFlight)
  } catch (cause) {
    error = errorInfo(cause)
  }
  requests.delete(message.id)
  const common = {
    t: 'res' as const,
    id: message.id,
    stdout: captured.stdout?.text.join('') ?? '',
    stderr: captured.stderr?.text.join('') ?? '',
    stdoutTruncated: captured.stdout?.truncated ?? false,
    stderrTruncated: captured.stderr?.truncated ?? false,
    cpuMs: busyNowMs() - busyBeforeMs
  }
  post(error ? { ...common, error } : { ...common, output })
}

async function init(message: InitMessage): Promise<void> {
  outputBytes = message.outputBytes
  instanceId = message.instanceId
  if (message.maxMessageBytes !== undefined) maxFrameBytes = message.maxMessageBytes
  const selfTest = await runSelfTest(message, earlyProbes)
  routeConsole()
  try {
    if (message.modulePath) {
      plugin = (await import(pathToFileURL(message.modulePath).href)) as PluginModule
      if (typeof plugin.handleRequest !== 'function') throw new Error('plugin exports no handleRequest function')
      await plugin.initialize?.(message.pluginConfig)
    }
    post({ t: 'ready', selfTest })
    // Idle until the first request: build the schemas it will need now rather than on its clock.
    setImmediate(lateSchemas)
  } catch (cause) {
    post({ t: 'ready', selfTest, initError: errorInfo(cause) })
  }
}

async function shutdown(): Promise<void> {
  try {
    await plugin.shutdown?.()
  } catch {
    // A failing shutdown hook must not keep the process alive; the host stops it either way.
  }
  send({ t: 'bye' }, () => process.exit(0))
}

function cancel(id: string): void {
  const inFlight = requests.get(id)
  if (inFlight) {
    inFlight.cancelledBecause = new Error('request cancelled by the host (deadline passed)')
    inFlight.controller?.abort(inFlight.cancelledBecause)
  }
  post({ t: 'cancelled', id })
}

function onHostMessage(raw: unknown): void {
  const parts = unbatch(raw)
  if (!Array.isArray(parts)) {
    process.stderr.write(`sandbox-host: malformed batch from host: ${parts.error}\n`)
    process.exit(70)
  }
  for (const part of parts) onOneHostMessage(part)
}

/** Whether `init` came (it must come first). Until then only its schema is built (see `lateSchemas`). */
let initReceived = false

function onOneHostMessage(raw: unknown): void {
  const parsed = initReceived ? lateSchemas().HostMessageSchema.safeParse(raw) : InitMessageSchema.safeParse(raw)
  if (!parsed.success) {
    const expected = initReceived ? '' : ' (expected init first)'
    process.stderr.write(`sandbox-host: malformed message from host${expected}: ${parsed.error.message}\n`)
    process.exit(70)
  }
  initReceived = true
  const message = parsed.data
  switch (message.t) {
    case 'req':
      void serve(message)
      break
    case 'init':
      scope.exit(() => void init(message))
      break
    case 'cancel':
      // Outside any request: what the plugin's abort listeners print is not any request's output.
      scope.exit(() => cancel(message.id))
      break
    case 'shutdown':
      scope.exit(() => void shutdown())
      break
  }
}

if (parentPort) {
  parentPort.on('message', (event) => onHostMessage(event.data))
} else {
  const decoder = new FrameDecoder(
    Number.MAX_SAFE_INTEGER, // the host is trusted: no cap on what it sends
    onHostMessage,
    (why) => {
      process.stderr.write(`sandbox-host: malformed frame from host: ${why}\n`)
      process.exit(70)
    }
  )
  channel!.on('data', (chunk: Buffer) => decoder.push(chunk))
  if (waitingOnChannel) decoder.push(waitingOnChannel)
  // The host closed the channel (it stopped or died): nothing left to serve.
  channel!.on('end', () => process.exit(0))
  channel!.on('error', () => process.exit(0))
}
