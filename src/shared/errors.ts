/**
 * The one error union of Conductor. Every expected failure that crosses a module or process boundary is one
 * of these, discriminated by `code` (never by `instanceof`, which does not survive a process boundary).
 * The UI switches over `code` exhaustively. Additive changes only.
 */
import { z } from 'zod'

const message = z.string()

export const FieldIssueSchema = z.object({
  /** Dotted path of the offending field, e.g. `metadata.user.__proto__`; empty for the whole value. */
  path: z.string(),
  message: z.string()
})
export type FieldIssue = z.infer<typeof FieldIssueSchema>

export const ConductorErrorSchema = z.discriminatedUnion('code', [
  z.object({ code: z.literal('BAD_REQUEST'), message, issues: z.array(FieldIssueSchema) }),
  z.object({ code: z.literal('ROUTE_NOT_FOUND'), message, platform: z.string().optional() }),
  z.object({ code: z.literal('NO_INSTANCE'), message, platform: z.string() }),
  z.object({
    code: z.literal('OVERLOADED'),
    message,
    platform: z.string(),
    /** `queue_full`: the waiting line was full; `wait_timeout`: no slot freed before the request's deadline. */
    reason: z.enum(['queue_full', 'wait_timeout', 'cancelled']),
    waitedMs: z.number()
  }),
  z.object({
    code: z.literal('CIRCUIT_OPEN'),
    message,
    platform: z.string(),
    /** Epoch ms when the breaker lets its next half-open probe through, if known. */
    retryAtMs: z.number().optional()
  }),
  z.object({
    code: z.literal('PLUGIN_TIMEOUT'),
    message,
    platform: z.string().optional(),
    instanceId: z.string().optional(),
    timeoutMs: z.number()
  }),
  z.object({
    code: z.literal('PLUGIN_MEMORY'),
    message,
    instanceId: z.string().optional(),
    limitBytes: z.number(),
    peakRssBytes: z.number().optional()
  }),
  z.object({
    code: z.literal('PLUGIN_CRASHED'),
    message,
    instanceId: z.string().optional(),
    exitCode: z.number().nullable(),
    signal: z.string().nullable(),
    stderrTail: z.string().optional()
  }),
  z.object({
    code: z.literal('PLUGIN_ERROR'),
    message,
    instanceId: z.string().optional(),
    stack: z.string().optional()
  }),
  z.object({ code: z.literal('DENIED'), message, permission: z.string().optional() }),
  z.object({ code: z.literal('DLQ_UNAVAILABLE'), message }),
  z.object({ code: z.literal('DLQ_FULL'), message, capacity: z.number() }),
  z.object({ code: z.literal('NOT_FOUND'), message, id: z.string() }),
  z.object({ code: z.literal('INTERNAL'), message })
])
export type ConductorError = z.infer<typeof ConductorErrorSchema>
export type ConductorErrorCode = ConductorError['code']

/** A zod error as the contract's field issues: dotted path (empty for the whole value) and message. */
export function fieldIssuesOf(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }))
}

/** Field issues as text a person reads in a log or a config error: `path: message`, `(root)` for the whole value. */
export function describeFieldIssues(issues: readonly FieldIssue[], separator = '; '): string {
  return issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`).join(separator)
}

/** Turns anything thrown at a boundary into `INTERNAL`; the stack stays on this side. */
export function toInternalError(cause: unknown): ConductorError {
  const text = cause instanceof Error ? cause.message : String(cause)
  return { code: 'INTERNAL', message: text }
}
