/** Plugin discovery, supervision and permission grants (owned by the router work; extend additively). */
import { z } from 'zod'

export const PluginsConfigSchema = z.object({
  /** Extra folder of user plugins, besides the built-ins under resources/plugins. */
  userPluginsDir: z.string().optional(),
  /** Period of the cheap `healthCheck()` round trip per instance. 0 disables it. */
  healthCheckIntervalMs: z.number().int().min(0).default(5_000),
  /** Deadline of one health check. */
  healthCheckTimeoutMs: z.number().int().min(1).default(1_000),
  restart: z
    .object({
      /** First restart delay after an instance died; doubles per consecutive death up to `maxDelayMs`. */
      initialDelayMs: z.number().int().min(0).default(250),
      maxDelayMs: z.number().int().min(0).default(30_000),
      /** An instance that ran this long before dying starts its backoff from the beginning again. */
      stableAfterMs: z.number().int().min(0).default(30_000)
    })
    .prefault({}),
  /** Per plugin name: instance count override and settings merged over the manifest's `config`. */
  overrides: z
    .record(
      z.string(),
      z.object({
        instances: z.number().int().min(0).max(32).optional(),
        settings: z.record(z.string(), z.unknown()).optional()
      })
    )
    .default({}),
  /** Per plugin name: what the operator grants (intersected with what the manifest asks for). */
  grants: z.record(z.string(), z.object({ networkHosts: z.array(z.string()).default([]) })).default({})
})
export type PluginsConfig = z.infer<typeof PluginsConfigSchema>
export type PluginsConfigInput = z.input<typeof PluginsConfigSchema>
