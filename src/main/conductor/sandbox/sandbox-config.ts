/** Sandbox defaults (owned by the sandbox work; extend additively). */
import { z } from 'zod'

export const SandboxConfigSchema = z.object({
  memoryMb: z.number().int().min(16).default(512),
  timeoutMs: z.number().int().min(1).default(30_000),
  outputBytes: z.number().int().min(1024).default(64 * 1024),
  sampleIntervalMs: z.number().int().min(50).default(1000),
  /** RSS watchdog period while requests are in flight (the idle period is `sampleIntervalMs`). */
  busySampleMs: z.number().int().min(20).max(1000).default(100),
  /** How long a child gets to acknowledge a cancel before it is considered stuck and its tree is killed. */
  cancelGraceMs: z.number().int().min(10).default(500),
  /** Between SIGTERM and SIGKILL when a tree is killed, and for a graceful `stop`. */
  killGraceMs: z.number().int().min(10).default(1000),
  /** Samples kept per instance in the ring buffer (at 1 Hz: 10 minutes). */
  sampleBufferSize: z.number().int().min(1).default(600),
  /** Which process host runs plugins when both exist (the utility host only inside Electron). */
  host: z.enum(['hardened', 'utility']).default('hardened'),
  /** A policy the chosen host cannot enforce: run it on the hardened host instead, or refuse to start it. */
  onUnenforceablePolicy: z.enum(['use-hardened', 'refuse']).default('use-hardened'),
  /** Largest single message a sandbox may send the host; a bigger one gets the sandbox killed. */
  maxMessageBytes: z.number().int().min(64 * 1024).default(16 * 1024 * 1024),
  /**
   * Hardened host: run each sandbox in a private read-only root (mount namespace, capabilities dropped) where
   * the machine allows it. Off, or where mounts are not allowed, files are guarded only by Node's permission
   * model and reported `advisory`.
   */
  mountNamespace: z.boolean().default(true),
  /**
   * Hardened host, Landlock (Linux ≥ 5.13, Node ≥ 26.1 with `node:ffi`): `fallback` starts a sandbox that gets no
   * private root under Landlock, so the kernel still confines its files; `always` stacks it on the namespaces
   * too; `off` never. The launcher (one more Node start) is kept started ahead of time like the rest of the chain,
   * so a cold start pays ~2-4 ms for it; a waiting launcher holds ~45 MiB (a waiting shell ~3 MiB).
   */
  landlock: z.enum(['fallback', 'always', 'off']).default('fallback'),
  /**
   * Hardened host: launch chains started ahead of time (namespaces entered, memory cgroup joined, no plugin
   * yet), per chain shape; a cold start takes one instead of waiting for that set-up. 0 = none.
   */
  spareLaunchers: z.number().int().min(0).max(8).default(1),
  /**
   * Hardened host: the Node binary that runs sandboxes (default: the host's own Node; in the desktop app,
   * Electron's binary run as Node). A Node ≥ 26.1 brings a permission model that denies network and, with
   * `node:ffi`, Landlock, which Electron's bundled Node lacks.
   */
  nodePath: z.string().min(1).optional(),
  /** Override of the child entry script (default: built `sandbox-host.mjs`, else the source file). */
  hostScriptPath: z.string().optional()
})
export type SandboxConfig = z.infer<typeof SandboxConfigSchema>
export type SandboxConfigInput = z.input<typeof SandboxConfigSchema>
