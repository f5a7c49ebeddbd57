/** Router defaults (owned by the router work; extend additively). */
import { z } from 'zod'

export const RouterConfigSchema = z.object({
  timeoutMs: z.number().int().min(1).default(5_000)
})
export type RouterConfig = z.infer<typeof RouterConfigSchema>
