/**
 * Conductor's configuration: one zod schema composed from each area's own section, so every default lives
 * next to the code that uses it. Note for zod 4: `.prefault({})` (not `.default({})`) makes an absent
 * section parse through its own defaults.
 */
import { z } from 'zod'
import { describeFieldIssues, fieldIssuesOf } from '../shared/errors.ts'
import { SandboxConfigSchema } from './conductor/sandbox/sandbox-config.ts'
import { RouterConfigSchema } from './conductor/routing/router-config.ts'
import { DlqConfigSchema } from './conductor/dlq/dlq-config.ts'
import { PluginsConfigSchema } from './plugins/plugins-config.ts'

export const ConductorConfigSchema = z.object({
  sandbox: SandboxConfigSchema.prefault({}),
  router: RouterConfigSchema.prefault({}),
  dlq: DlqConfigSchema.prefault({}),
  plugins: PluginsConfigSchema.prefault({})
})
export type ConductorConfig = z.infer<typeof ConductorConfigSchema>
export type ConductorConfigInput = z.input<typeof ConductorConfigSchema>

/** Parses a user-supplied config; a bad value names its field. Throws only on the caller's own bad input. */
export function loadConfig(input: unknown = {}): ConductorConfig {
  const parsed = ConductorConfigSchema.safeParse(input)
  if (!parsed.success) {
    throw new Error(`Invalid Conductor config:\n  ${describeFieldIssues(fieldIssuesOf(parsed.error), '\n  ')}`)
  }
  return parsed.data
}
