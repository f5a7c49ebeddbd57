/**
 * A platform plugin's manifest (`manifest.json` beside its module). Validated with zod at discovery; a broken
 * one is reported with its file and reason while the other plugins still load.
 */
import { z } from 'zod'
import { PlatformNameSchema } from '../../shared/routing.ts'

export const PluginManifestSchema = z.strictObject({
  name: PlatformNameSchema,
  platform: PlatformNameSchema,
  version: z.string().regex(/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/, 'must be a semantic version such as 1.0.0'),
  description: z.string().max(500).optional(),
  /** The ESM module, relative to the plugin folder; it must stay inside the folder. */
  entry: z
    .string()
    .regex(/\.(m?js)$/, 'must be a .js or .mjs file')
    .refine((entry) => !entry.startsWith('/') && !entry.split(/[\\/]/).includes('..'), 'must be a relative path inside the plugin folder'),
  /** How many sandboxed instances to run. */
  instances: z.number().int().min(1).max(32).default(1),
  limits: z
    .strictObject({
      memoryMb: z.number().int().min(16).max(65_536).optional(),
      timeoutMs: z.number().int().min(1).max(3_600_000).optional()
    })
    .prefault({}),
  /** What the plugin asks for; denied unless the operator's config grants it. */
  permissions: z
    .strictObject({
      networkHosts: z.array(z.string().min(1)).default([])
    })
    .prefault({}),
  /** Defaults passed to the plugin's `initialize(config)`, merged under the operator's settings. */
  config: z.record(z.string(), z.unknown()).default({})
})
export type PluginManifest = z.infer<typeof PluginManifestSchema>
