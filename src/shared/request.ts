/**
 * The request a platform plugin receives, after the router validated and sanitized it. The router's input
 * schema (limits, sanitization) lives beside it in `routing-request.ts`; this is the narrow shape that
 * crosses into a sandbox.
 */
import { z } from 'zod'

export const PluginRequestSchema = z.object({
  id: z.string(),
  type: z.string(),
  content: z.string(),
  metadata: z.record(z.string(), z.unknown())
})
export type PluginRequest = z.infer<typeof PluginRequestSchema>
