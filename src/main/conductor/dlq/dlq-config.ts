/** Dead-letter queue defaults (owned by the DLQ work; extend additively). */
import { z } from 'zod'

export const DlqConfigSchema = z.object({
  maxAttempts: z.number().int().min(1).default(5)
})
export type DlqConfig = z.infer<typeof DlqConfigSchema>
