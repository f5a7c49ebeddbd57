/**
 * The transport-agnostic RPC server. A transport hands it raw frames and a way to push events; it validates
 * every frame and input on receipt, calls the handler, validates the handler's output against the contract,
 * and answers with a response frame. Anything thrown becomes `INTERNAL` with a message and no stack.
 */
import {
  contract,
  isMethodName,
  PROTOCOL_VERSION,
  RequestFrameSchema,
  type EventFrame,
  type EventName,
  type EventPayload,
  type MethodInput,
  type MethodName,
  type MethodOutput,
  type ResponseFrame
} from '../../shared/contract.ts'
import { fieldIssuesOf, toInternalError, type ConductorError } from '../../shared/errors.ts'
import type { Result } from '../../shared/result.ts'

export type HandlerResult<M extends MethodName> = Result<MethodOutput<M>, ConductorError>

/** One handler per contract method: leaving one out is a compile error. */
export type Handlers = {
  [M in MethodName]: (input: MethodInput<M>) => Promise<HandlerResult<M>> | HandlerResult<M>
}

export type EventSink = (frame: EventFrame) => void

export interface RpcServerOptions {
  /** Where server-side faults are logged (stacks stay here). Defaults to console.error. */
  logError?: (message: string, cause: unknown) => void
}

function errorFrame(id: number, error: ConductorError): ResponseFrame {
  return { v: PROTOCOL_VERSION, id, ok: false, error }
}

export class RpcServer {
  readonly #handlers: Handlers
  readonly #sinks = new Set<EventSink>()
  readonly #logError: (message: string, cause: unknown) => void

  constructor(handlers: Handlers, options: RpcServerOptions = {}) {
    this.#handlers = handlers
    this.#logError = options.logError ?? ((message, cause) => console.error(message, cause))
  }

  /** Answers one raw request frame. Never rejects. A frame too broken to carry an id is answered with id -1. */
  async handle(raw: unknown): Promise<ResponseFrame> {
    const frame = RequestFrameSchema.safeParse(raw)
    if (!frame.success) {
      const id = typeof raw === 'object' && raw !== null && Number.isInteger((raw as { id?: unknown }).id) ? (raw as { id: number }).id : -1
      return errorFrame(id, { code: 'BAD_REQUEST', message: 'malformed request frame', issues: fieldIssuesOf(frame.error) })
    }
    const { id, method } = frame.data
    if (!isMethodName(method)) {
      return errorFrame(id, { code: 'BAD_REQUEST', message: `unknown method ${JSON.stringify(method)}`, issues: [{ path: 'method', message: 'not in the contract' }] })
    }
    try {
      return await this.#dispatch(id, method, frame.data.input)
    } catch (cause) {
      this.#logError(`conductor rpc: ${method} threw`, cause)
      return errorFrame(id, toInternalError(cause))
    }
  }

  async #dispatch<M extends MethodName>(id: number, method: M, rawInput: unknown): Promise<ResponseFrame> {
    const schemas = contract.methods[method]
    const input = schemas.input.safeParse(rawInput)
    if (!input.success) {
      return errorFrame(id, { code: 'BAD_REQUEST', message: `invalid input for ${method}`, issues: fieldIssuesOf(input.error) })
    }
    const handler = this.#handlers[method] as (input: MethodInput<M>) => Promise<HandlerResult<M>> | HandlerResult<M>
    const result = await handler(input.data as MethodInput<M>)
    if (!result.ok) return errorFrame(id, result.error)
    const output = schemas.output.safeParse(result.value)
    if (!output.success) {
      this.#logError(`conductor rpc: ${method} produced an invalid output`, output.error)
      return errorFrame(id, { code: 'INTERNAL', message: `the engine produced an invalid ${method} result` })
    }
    return { v: PROTOCOL_VERSION, id, ok: true, value: output.data }
  }

  /** Adds a client's event sink; returns the function that removes it. */
  addSink(sink: EventSink): () => void {
    this.#sinks.add(sink)
    return () => this.#sinks.delete(sink)
  }

  get sinkCount(): number {
    return this.#sinks.size
  }

  /** Validates the payload once and pushes the event to every sink. A sink that throws is dropped. */
  publish<E extends EventName>(event: E, payload: EventPayload<E>): void {
    const parsed = contract.events[event].safeParse(payload)
    if (!parsed.success) {
      this.#logError(`conductor rpc: refusing to publish an invalid ${event}`, parsed.error)
      return
    }
    const frame: EventFrame = { v: PROTOCOL_VERSION, event, payload: parsed.data }
    for (const sink of this.#sinks) {
      try {
        sink(frame)
      } catch (cause) {
        this.#logError('conductor rpc: dropping a failing event sink', cause)
        this.#sinks.delete(sink)
      }
    }
  }
}
