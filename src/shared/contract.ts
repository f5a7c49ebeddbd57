/**
 * The one panel API: every method with its input and output schema, every event with its payload schema,
 * and the three frames that carry them. Electron IPC and the WebSocket carry exactly these frames; both
 * ends parse what they receive. Types come from `z.infer` only. Additive changes only.
 */
import { z } from 'zod'
import { ConductorErrorSchema } from './errors.ts'
import {
  DlqBulkActionSchema,
  DlqBulkPreviewSchema,
  DlqBulkResultSchema,
  DlqEntryDetailSchema,
  DlqEntrySchema,
  DlqErrorGroupSchema,
  DlqFilterSchema,
  DlqPageRequestSchema,
  DlqPageSchema
} from './dlq.ts'
import { DlqIdsResultSchema, PanelSnapshotSchema, PanelUpdateSchema, RedriveJobSchema, TestRouteResultSchema } from './panel.ts'
import { BreakerSnapshotSchema } from './routing.ts'

/** Protocol version carried by every frame; a peer with another version is refused. */
export const PROTOCOL_VERSION = 1

const ids = z.array(z.string().min(1).max(200)).min(1).max(1000)
const reason = z.string().trim().min(1, 'a reason is required').max(500)

export const contract = {
  methods: {
    'panel.snapshot': { input: z.object({}), output: PanelSnapshotSchema },
    'route.test': {
      input: z.object({
        /** Deliberately unvalidated here: the router validates it, so a malformed sample shows its real error. */
        request: z.unknown(),
        /** false = "where would it go" (determineRoute); true = "send it" (routeRequest). */
        execute: z.boolean()
      }),
      output: TestRouteResultSchema
    },
    'dlq.list': { input: DlqPageRequestSchema, output: DlqPageSchema },
    /** A read: never counts as an attempt. */
    'dlq.get': { input: z.object({ id: z.string().min(1) }), output: DlqEntryDetailSchema },
    'dlq.retry': { input: z.object({ ids }), output: DlqIdsResultSchema },
    'dlq.discard': { input: z.object({ ids, reason }), output: DlqIdsResultSchema },
    /** Restores discarded entries to the state they were discarded from. */
    'dlq.undoDiscard': { input: z.object({ ids, reason: z.string().max(500).optional() }), output: DlqIdsResultSchema },
    /** Replaces the payload the next retry sends; the original stays in `originalRequest`. */
    'dlq.editPayload': {
      input: z.object({ id: z.string().min(1), request: z.record(z.string(), z.unknown()), reason: z.string().max(500).optional() }),
      output: DlqEntrySchema
    },
    /** "N match as of T" for a filter-scoped bulk action; apply acts on exactly that set. */
    'dlq.bulkPreview': { input: z.object({ filter: DlqFilterSchema, action: DlqBulkActionSchema }), output: DlqBulkPreviewSchema },
    'dlq.bulkApply': { input: z.object({ token: z.string().min(1), reason: z.string().max(500).optional() }), output: DlqBulkResultSchema },
    'dlq.groups': { input: z.object({}), output: z.array(DlqErrorGroupSchema) },
    'dlq.canaryRetry': {
      input: z.object({ signature: z.string().min(1), canaryCount: z.number().int().min(1).max(5) }),
      output: RedriveJobSchema
    },
    'dlq.retryWhenHealthy': {
      input: z.object({ platform: z.string().min(1), signature: z.string().min(1).optional() }),
      output: RedriveJobSchema
    },
    'plugins.restart': { input: z.object({ instanceId: z.string().min(1) }), output: z.object({ instanceId: z.string() }) },
    'breakers.reset': { input: z.object({ platform: z.string().min(1), reason }), output: BreakerSnapshotSchema },
    'breakers.forceOpen': { input: z.object({ platform: z.string().min(1), reason }), output: BreakerSnapshotSchema }
  },
  events: {
    /** At most one per tick (1 Hz by default). */
    'panel.updated': PanelUpdateSchema
  }
} as const

export type Contract = typeof contract
export type MethodName = keyof Contract['methods']
export type EventName = keyof Contract['events']
export type MethodInput<M extends MethodName> = z.infer<Contract['methods'][M]['input']>
export type MethodOutput<M extends MethodName> = z.infer<Contract['methods'][M]['output']>
export type EventPayload<E extends EventName> = z.infer<Contract['events'][E]>

export const methodNames = Object.keys(contract.methods) as MethodName[]

export const RequestFrameSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  id: z.number().int().nonnegative(),
  method: z.string(),
  input: z.unknown()
})
export type RequestFrame = z.infer<typeof RequestFrameSchema>

export const ResponseFrameSchema = z.discriminatedUnion('ok', [
  z.object({ v: z.literal(PROTOCOL_VERSION), id: z.number().int(), ok: z.literal(true), value: z.unknown() }),
  z.object({ v: z.literal(PROTOCOL_VERSION), id: z.number().int(), ok: z.literal(false), error: ConductorErrorSchema })
])
export type ResponseFrame = z.infer<typeof ResponseFrameSchema>

export const EventFrameSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  event: z.string(),
  payload: z.unknown()
})
export type EventFrame = z.infer<typeof EventFrameSchema>

/** Any frame a server may send; a response has `id`, an event has `event`. */
export const ServerFrameSchema = z.union([ResponseFrameSchema, EventFrameSchema])
export type ServerFrame = z.infer<typeof ServerFrameSchema>

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(contract.methods, name)
}

export function isEventName(name: string): name is EventName {
  return Object.hasOwn(contract.events, name)
}

/**
 * `window.conductor` as the Electron preload exposes it: a frame pipe on the `conductor:` channels. Frames are
 * `unknown` at this edge because the receiving side validates them.
 */
export interface ConductorBridge {
  readonly transport: 'electron'
  /** Sends one request frame; resolves with the response frame. */
  request(frame: unknown): Promise<unknown>
  /** Calls `listener` with every event frame; returns the unsubscribe function. */
  onEvent(listener: (frame: unknown) => void): () => void
}
