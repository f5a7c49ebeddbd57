/**
 * What the sandbox reports about itself: limits, policies, results, isolation layers and resource samples.
 * Shared because the panel renders all of it and the router consumes results. Additive changes only.
 */
import { z } from 'zod'

/** Resource limits of one sandbox. Every field is overridable per plugin and per call. */
export const SandboxLimitsSchema = z.object({
  /** Memory budget for the whole process tree (RSS), in MiB. The V8 heap cap is set below it. */
  memoryMb: z.number().int().min(16).max(65_536),
  /** Per-request deadline in ms; on expiry the process tree is killed. */
  timeoutMs: z.number().int().min(1).max(3_600_000),
  /** Captured stdout/stderr per stream, in bytes; beyond it output is dropped and flagged `truncated`. */
  outputBytes: z.number().int().min(1024).max(16 * 1024 * 1024)
})
export type SandboxLimits = z.infer<typeof SandboxLimitsSchema>
export const SandboxLimitsOverrideSchema = SandboxLimitsSchema.partial()
export type SandboxLimitsOverride = z.infer<typeof SandboxLimitsOverrideSchema>

/** What a plugin may do beyond pure computation. Everything not granted is denied. */
export const SandboxPolicySchema = z.object({
  /** Hosts the plugin may connect to (`host:port` or `host`). Empty = no network at all. */
  networkHosts: z.array(z.string()).default([]),
  /** Extra absolute paths the plugin may read, beyond its own folder and the runtime. */
  readPaths: z.array(z.string()).default([]),
  childProcesses: z.boolean().default(false),
  workers: z.boolean().default(false),
  nativeAddons: z.boolean().default(false),
  /**
   * Trusted built-in plugins only: no filesystem confinement (reads and writes anything the host user can).
   * The only policy the Electron utility host can run, since it cannot restrict files.
   */
  unrestrictedFilesystem: z.boolean().optional()
})
export type SandboxPolicy = z.infer<typeof SandboxPolicySchema>

export const IsolationLayerNameSchema = z.enum([
  'process',
  'time',
  'heap',
  'rss-watchdog',
  'cgroup-memory',
  'network',
  'filesystem-read',
  'filesystem-write',
  'child-processes',
  'workers',
  'native-code',
  'signals',
  'environment'
])
export type IsolationLayerName = z.infer<typeof IsolationLayerNameSchema>

/**
 * `enforced` only when the host checked it (a read-back, a self-test before plugin code loaded, the host's own
 * listener); `advisory` for mechanisms known to have gaps (Node's permission model); never from a flag alone.
 */
export const IsolationStatusSchema = z.enum(['enforced', 'enforced-by-polling', 'advisory', 'unavailable'])
export type IsolationStatus = z.infer<typeof IsolationStatusSchema>

export const IsolationLayerSchema = z.object({
  layer: IsolationLayerNameSchema,
  status: IsolationStatusSchema,
  mechanism: z.string(),
  evidence: z.string()
})
export type IsolationLayer = z.infer<typeof IsolationLayerSchema>

export const SandboxStatusSchema = z.enum(['ok', 'error', 'timeout', 'memory_limit', 'crashed', 'denied'])
export type SandboxStatus = z.infer<typeof SandboxStatusSchema>

export const SandboxErrorInfoSchema = z.object({
  message: z.string(),
  /** The plugin's own stack, where it threw one. */
  stack: z.string().optional(),
  /** A Node error code such as ERR_ACCESS_DENIED, when the plugin's error carried one. */
  code: z.string().optional()
})
export type SandboxErrorInfo = z.infer<typeof SandboxErrorInfoSchema>

const resultCommon = {
  instanceId: z.string(),
  stdout: z.string(),
  stderr: z.string(),
  stdoutTruncated: z.boolean(),
  stderrTruncated: z.boolean(),
  exitCode: z.number().nullable(),
  signal: z.string().nullable(),
  durationMs: z.number(),
  peakRssBytes: z.number(),
  cpuMs: z.number(),
  /** Why the host killed the process, in words ("exceeded 64 MiB RSS (71 MiB sampled)"), when it did. */
  killedBecause: z.string().optional()
}

/** The outcome of one request in a sandbox. A plugin's fault is a status here, never an exception. */
export const SandboxResultSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('ok'), output: z.unknown(), ...resultCommon }),
  z.object({ status: z.literal('error'), error: SandboxErrorInfoSchema, ...resultCommon }),
  z.object({ status: z.literal('timeout'), error: SandboxErrorInfoSchema, timeoutMs: z.number(), ...resultCommon }),
  z.object({ status: z.literal('memory_limit'), error: SandboxErrorInfoSchema, limitBytes: z.number(), ...resultCommon }),
  z.object({ status: z.literal('crashed'), error: SandboxErrorInfoSchema, ...resultCommon }),
  z.object({ status: z.literal('denied'), error: SandboxErrorInfoSchema, ...resultCommon })
])
export type SandboxResult = z.infer<typeof SandboxResultSchema>

export const InstanceStateSchema = z.enum(['starting', 'ready', 'restarting', 'down', 'stopped'])
export type InstanceState = z.infer<typeof InstanceStateSchema>

/** One CPU/RSS sample of a live sandbox process tree. */
export const ResourceSampleSchema = z.object({
  instanceId: z.string(),
  pid: z.number(),
  atMs: z.number(),
  cpuPercent: z.number(),
  rssBytes: z.number()
})
export type ResourceSample = z.infer<typeof ResourceSampleSchema>

/** A process the host killed or lost, for the resource graph and the incident timeline. */
export const SandboxExitSchema = z.object({
  instanceId: z.string(),
  pid: z.number().nullable(),
  atMs: z.number(),
  reason: z.enum(['stopped', 'timeout', 'memory_limit', 'crashed', 'protocol', 'killed']),
  detail: z.string(),
  exitCode: z.number().nullable(),
  signal: z.string().nullable()
})
export type SandboxExit = z.infer<typeof SandboxExitSchema>
