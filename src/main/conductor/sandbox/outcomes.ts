/**
 * How a sandbox's end is classified and reported: the exit reason (host kill, cgroup OOM, V8 heap OOM,
 * crash), the error a failed start returns, and the shape of a result for a request the process never
 * answered. Pure functions, so the rules are readable in one place and testable without processes.
 */
import type { ConductorError } from '../../../shared/errors.ts'
import type { SandboxErrorInfo, SandboxExit, SandboxResult } from '../../../shared/sandbox.ts'

export type ExitReason = SandboxExit['reason']

export interface HostKill {
  reason: ExitReason
  detail: string
}

/** Why a sandbox process ended. A host kill for a limit wins; a graceful stop loses to evidence of a crash. */
export function classifyExit(input: {
  kill: HostKill | undefined
  oomKilled: boolean
  stderr: string
  memoryMb: number
  exitCode: number | null
  signal: string | null
}): HostKill {
  const { kill } = input
  if (kill && kill.reason !== 'stopped') return kill
  if (input.oomKilled) return { reason: 'memory_limit', detail: `the kernel killed the tree at the ${input.memoryMb} MiB cgroup limit` }
  if (input.stderr.includes('JavaScript heap out of memory')) {
    return { reason: 'memory_limit', detail: 'V8 heap limit reached (JavaScript heap out of memory)' }
  }
  if (kill) return kill
  return { reason: 'crashed', detail: `exited unexpectedly (code ${input.exitCode}, signal ${input.signal})` }
}

/** The error `start()` returns when the process ended before it was ready. */
export function startFailure(input: {
  detail: string
  exit: SandboxExit | undefined
  instanceId: string
  memoryMb: number
  timeoutMs: number
  stderrTail: string
}): ConductorError {
  const { exit, instanceId } = input
  if (exit?.reason === 'memory_limit') {
    return { code: 'PLUGIN_MEMORY', message: input.detail, instanceId, limitBytes: input.memoryMb * 1024 * 1024 }
  }
  if (exit?.reason === 'timeout') return { code: 'PLUGIN_TIMEOUT', message: input.detail, instanceId, timeoutMs: input.timeoutMs }
  return { code: 'PLUGIN_CRASHED', message: input.detail, instanceId, exitCode: exit?.exitCode ?? null, signal: exit?.signal ?? null, stderrTail: input.stderrTail }
}

export interface ResultBase {
  instanceId: string
  durationMs: number
  peakRssBytes: number
  cpuMs: number
}

/** A result for a request the sandbox did not answer: deadline, memory limit, crash or kill. */
export function failureResult(input: {
  status: 'timeout' | 'memory_limit' | 'crashed'
  error: SandboxErrorInfo
  base: ResultBase
  timeoutMs: number
  limitBytes: number
  exit: SandboxExit | undefined
  stderrTail: string
  stderrTruncated: boolean
  killedBecause: string | undefined
}): SandboxResult {
  const { status, error, exit } = input
  const common = {
    ...input.base,
    stdout: '',
    stdoutTruncated: false,
    stderr: exit ? input.stderrTail : '',
    stderrTruncated: exit ? input.stderrTruncated : false,
    exitCode: exit?.exitCode ?? null,
    signal: exit?.signal ?? null,
    ...(input.killedBecause ? { killedBecause: input.killedBecause } : {})
  }
  if (status === 'timeout') return { status, error, timeoutMs: input.timeoutMs, ...common }
  if (status === 'memory_limit') return { status, error, limitBytes: input.limitBytes, ...common }
  return { status, error, ...common }
}
