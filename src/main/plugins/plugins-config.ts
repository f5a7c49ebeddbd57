/** Plugin discovery defaults (owned by the router work; extend additively). */
import { z } from 'zod'

export const PluginsConfigSchema = z.object({
  /** Extra folder of user plugins, besides the built-ins under resources/plugins. */
  userPluginsDir: z.string().optional()
})
export type PluginsConfig = z.infer<typeof PluginsConfigSchema>
