/**
 * The renderer's only door to the engine: typed calls over any `Transport`, with every response and event
 * validated against the shared contract (the server may be another build). Failures are `Result` data:
 * a call never rejects; a broken link or an invalid answer is an `INTERNAL` error with a message.
 */
import {
  contract,
  EventFrameSchema,
  PROTOCOL_VERSION,
  ResponseFrameSchema,
  type EventName,
  type EventPayload,
  type MethodInput,
  type MethodName,
  type MethodOutput
} from '../../../shared/contract.ts'
import type { ConductorError } from '../../../shared/errors.ts'
import { err, ok, type Result } from '../../../shared/result.ts'
import type { Transport } from './transport.ts'

export interface RpcClientOptions {
  /** Reports frames that failed validation (default: console.warn). */
  onInvalid?: (what: string, detail: unknown) => void
}

export class RpcClient {
  readonly transport: Transport
  #nextId = 1
  readonly #listeners = new Map<EventName, Set<(payload: never) => void>>()
  readonly #onInvalid: (what: string, detail: unknown) => void

  constructor(transport: Transport, options: RpcClientOptions = {}) {
    this.transport = transport
    this.#onInvalid = options.onInvalid ?? ((what, detail) => console.warn(`conductor: ${what}`, detail))
    transport.onEvent((raw) => this.#dispatch(raw))
  }

  async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<Result<MethodOutput<M>, ConductorError>> {
    const id = this.#nextId++
    let raw: unknown
    try {
      raw = await this.transport.request({ v: PROTOCOL_VERSION, id, method, input })
    } catch (cause) {
      return err({ code: 'INTERNAL', message: `not connected: ${cause instanceof Error ? cause.message : String(cause)}` })
    }
    const frame = ResponseFrameSchema.safeParse(raw)
    if (!frame.success || frame.data.id !== id) {
      this.#onInvalid(`invalid response to ${method}`, frame.success ? `id ${frame.data.id} != ${id}` : frame.error)
      return err({ code: 'INTERNAL', message: `invalid response to ${method}` })
    }
    if (!frame.data.ok) return err(frame.data.error)
    const value = contract.methods[method].output.safeParse(frame.data.value)
    if (!value.success) {
      this.#onInvalid(`invalid ${method} result`, value.error)
      return err({ code: 'INTERNAL', message: `invalid ${method} result from the server` })
    }
    return ok(value.data as MethodOutput<M>)
  }

  /** Listens to one event; payloads are validated before the listener sees them. */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    let set = this.#listeners.get(event)
    if (!set) this.#listeners.set(event, (set = new Set()))
    set.add(listener as (payload: never) => void)
    return () => set.delete(listener as (payload: never) => void)
  }

  #dispatch(raw: unknown): void {
    const frame = EventFrameSchema.safeParse(raw)
    if (!frame.success) return this.#onInvalid('invalid event frame', frame.error)
    const name = frame.data.event as EventName
    const schema = contract.events[name]
    if (!schema) return this.#onInvalid('unknown event', frame.data.event)
    const payload = schema.safeParse(frame.data.payload)
    if (!payload.success) return this.#onInvalid(`invalid ${name} payload`, payload.error)
    for (const listener of this.#listeners.get(name) ?? []) (listener as (payload: EventPayload<typeof name>) => void)(payload.data)
  }
}
