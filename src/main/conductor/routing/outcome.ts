/** Maps a sandbox result to the router's vocabulary: a success, or a `ConductorError` with a short cause. */
import type { ConductorError } from '../../../shared/errors.ts'
import type { SandboxResult } from '../../../shared/sandbox.ts'

const STDERR_TAIL_CHARS = 2_000

/** The error a failed sandbox result stands for; null for `ok`. */
export function errorOf(result: SandboxResult, platform: string): ConductorError | null {
  switch (result.status) {
    case 'ok':
      return null
    case 'error':
      return { code: 'PLUGIN_ERROR', message: result.error.message, instanceId: result.instanceId, ...(result.error.stack !== undefined ? { stack: result.error.stack } : {}) }
    case 'timeout':
      return { code: 'PLUGIN_TIMEOUT', message: result.error.message, platform, instanceId: result.instanceId, timeoutMs: result.timeoutMs }
    case 'memory_limit':
      return { code: 'PLUGIN_MEMORY', message: result.error.message, instanceId: result.instanceId, limitBytes: result.limitBytes, peakRssBytes: result.peakRssBytes }
    case 'crashed':
      return {
        code: 'PLUGIN_CRASHED',
        message: result.error.message,
        instanceId: result.instanceId,
        exitCode: result.exitCode,
        signal: result.signal,
        stderrTail: result.stderr.slice(-STDERR_TAIL_CHARS)
      }
    case 'denied':
      return { code: 'DENIED', message: result.error.message, ...(result.error.code !== undefined ? { permission: result.error.code } : {}) }
  }
}

/** One line for breaker causes and logs, e.g. `PLUGIN_TIMEOUT: exceeded 50 ms`. */
export function causeOf(error: ConductorError): string {
  return `${error.code}: ${error.message}`
}
