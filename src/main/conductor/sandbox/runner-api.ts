/**
 * The sandbox as the rest of the engine sees it. `IsolatedPluginRunner` (isolation.ts) implements it; the
 * plugin manager and router depend only on this, so they can be tested against a fake.
 */
import type { SpareLauncher } from '../../../shared/panel.ts'
import type { EventEmitter } from 'node:events'
import type { ConductorError } from '../../../shared/errors.ts'
import type { PluginRequest } from '../../../shared/request.ts'
import type { Result } from '../../../shared/result.ts'
import type {
  InstanceState,
  IsolationLayer,
  ResourceSample,
  SandboxExit,
  SandboxLimitsOverride,
  SandboxPolicy,
  SandboxResult
} from '../../../shared/sandbox.ts'

export interface StartOptions {
  /** Per-plugin overrides of the configured limits. */
  limits?: SandboxLimitsOverride
  /** What the plugin may do; anything not granted is denied. */
  policy?: Partial<SandboxPolicy>
  /** Passed to the plugin's `initialize(config)`; must be JSON-serialisable. */
  pluginConfig?: unknown
}

export interface ExecuteOptions {
  /** Deadline for this request (ms), overriding the instance's limit. */
  timeoutMs?: number
  /** Cancels the request from the caller's side (the result is then `timeout` with the abort reason). */
  signal?: AbortSignal
}

export interface SandboxInstanceInfo {
  instanceId: string
  modulePath: string
  pid: number | null
  state: InstanceState
  startedAtMs: number
  inFlight: number
  /** The effective, fully-resolved limits. */
  limits: { memoryMb: number; timeoutMs: number; outputBytes: number }
  /** Which isolation layers are in force for this instance, with evidence. */
  isolation: IsolationLayer[]
}

export interface SandboxRunnerEvents {
  /** An instance changed state (starting → ready → down …). */
  state: [{ instanceId: string; state: InstanceState; atMs: number }]
  /** A sandbox process ended: stopped on purpose, killed for a limit, or crashed. */
  exit: [SandboxExit]
  /** A CPU/RSS sample of a live sandbox (1 Hz by default). */
  sample: [ResourceSample]
}

export interface SandboxRunner extends EventEmitter<SandboxRunnerEvents> {
  /** Starts a long-lived plugin instance; resolves once the plugin's `initialize` finished, or with why not. */
  start(modulePath: string, instanceId: string, options?: StartOptions): Promise<Result<SandboxInstanceInfo, ConductorError>>
  /** Runs one request on a live instance. Never rejects for the plugin's fault; the outcome is in the result. */
  execute(instanceId: string, request: PluginRequest, options?: ExecuteOptions): Promise<SandboxResult>
  /** Calls the plugin's `healthCheck()` (a cheap round trip when it has none). */
  healthCheck(instanceId: string, options?: ExecuteOptions): Promise<SandboxResult>
  /** Stops an instance (plugin `shutdown()`, then the process), removes its scratch dir. Idempotent. */
  stop(instanceId: string): Promise<void>
  /** Runs an ad-hoc code string (an async function body with `payload` in scope) in a fresh sandbox. */
  executeRequest(code: string, payload: unknown, limits?: SandboxLimitsOverride): Promise<SandboxResult>
  /** Live instances. */
  instances(): SandboxInstanceInfo[]
  /** Recent samples from the bounded ring buffer, oldest first. */
  samples(instanceId?: string): ResourceSample[]
  /** Launchers kept started ahead of time, with their memory now (reads /proc). */
  spareLaunchers?(): SpareLauncher[]
  /** What this host can enforce at all, with evidence from its own probes. */
  capabilities(): Promise<IsolationLayer[]>
  /** Stops everything. */
  close(): Promise<void>
}
