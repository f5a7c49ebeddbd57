/** Sandbox defaults (owned by the sandbox work; extend additively). */
import { z } from 'zod'

export const SandboxConfigSchema = z.object({
  memoryMb: z.number().int().min(16).default(512),
  timeoutMs: z.number().int().min(1).default(30_000),
  outputBytes: z.number().int().min(1024).default(64 * 1024),
  sampleIntervalMs: z.number().int().min(50).default(1000)
})
export type SandboxConfig = z.infer<typeof SandboxConfigSchema>
