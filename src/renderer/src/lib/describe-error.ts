/** Words for every error code; the switch is exhaustive, so a new code fails the typecheck until it has words. */
import type { ConductorError } from '../../../shared/errors.ts'

export function describeError(error: ConductorError): string {
  switch (error.code) {
    case 'BAD_REQUEST': {
      // The router's message already names its first issue; list only what it does not say yet.
      const unsaid = error.issues.filter((i) => !error.message.includes(i.message))
      return unsaid.length ? `${error.message}: ${unsaid.map((i) => `${i.path || '(request)'} ${i.message}`).join('; ')}` : error.message
    }
    case 'ROUTE_NOT_FOUND':
      return `No route: ${error.message}`
    case 'NO_INSTANCE':
      return `No healthy ${error.platform} instance: ${error.message}`
    case 'OVERLOADED':
      return `${error.platform} overloaded (${error.reason === 'queue_full' ? 'waiting line full' : error.reason === 'wait_timeout' ? `no free instance within ${Math.round(error.waitedMs)} ms` : 'cancelled while waiting'}): ${error.message}`
    case 'CIRCUIT_OPEN':
      return `Breaker open for ${error.platform}${error.retryAtMs ? ` (next probe ${new Date(error.retryAtMs).toLocaleTimeString()})` : ''}`
    case 'PLUGIN_TIMEOUT':
      return `Timed out after ${error.timeoutMs} ms: ${error.message}`
    case 'PLUGIN_MEMORY':
      return `Killed for memory (limit ${Math.round(error.limitBytes / 1048576)} MiB): ${error.message}`
    case 'PLUGIN_CRASHED':
      return `Plugin crashed (exit ${error.exitCode ?? error.signal ?? '?'}): ${error.message}`
    case 'PLUGIN_ERROR':
      return `Plugin error: ${error.message}`
    case 'DENIED':
      return `Denied: ${error.message}`
    case 'DLQ_UNAVAILABLE':
      return `Dead-letter queue unavailable: ${error.message}`
    case 'DLQ_FULL':
      return `Dead-letter queue full (${error.capacity}): ${error.message}`
    case 'NOT_FOUND':
      return `Not found: ${error.message}`
    case 'INTERNAL':
      return `Internal error: ${error.message}`
  }
}
