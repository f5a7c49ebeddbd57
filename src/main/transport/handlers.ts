/**
 * The contract's handlers over an `EnginePort`. Kept apart from the server so the mapping from method to
 * engine call reads in one place; the `Handlers` type makes a missing method a compile error.
 */
import { ok } from '../../shared/result.ts'
import type { EnginePort } from './engine-port.ts'
import type { IncidentLog } from './incident-log.ts'
import type { RedriveCoordinator } from './redrive.ts'
import type { Handlers } from './rpc-server.ts'

export interface HandlerDeps {
  engine: EnginePort
  incidents: IncidentLog
  redrive: RedriveCoordinator
}

export function createHandlers({ engine, incidents, redrive }: HandlerDeps): Handlers {
  return {
    'panel.snapshot': () =>
      ok({
        atMs: engine.now(),
        ...engine.live(),
        jobs: redrive.jobs(),
        isolation: engine.isolation(),
        spares: engine.spares(),
        samples: engine.recentSamples(),
        exits: engine.recentExits(),
        incidents: incidents.all()
      }),
    'route.test': async ({ request, execute }) => ok(await engine.testRoute(request, execute)),
    'dlq.list': (request) => engine.dlq.list(request),
    'dlq.get': ({ id }) => engine.dlq.get(id),
    'dlq.retry': ({ ids }) => engine.dlq.retry(ids),
    'dlq.discard': ({ ids, reason }) => engine.dlq.discard(ids, reason),
    'dlq.undoDiscard': ({ ids, reason }) => engine.dlq.undoDiscard(ids, reason),
    'dlq.editPayload': ({ id, request, reason }) => engine.dlq.editPayload(id, request, reason),
    'dlq.bulkPreview': ({ filter, action }) => engine.dlq.bulkPreview(filter, action),
    'dlq.bulkApply': ({ token, reason }) => engine.dlq.bulkApply(token, reason),
    'dlq.groups': () => engine.dlq.groups(),
    'dlq.canaryRetry': ({ signature, canaryCount }) => redrive.startCanary(signature, canaryCount),
    'dlq.retryWhenHealthy': ({ platform, signature }) => redrive.startWhenHealthy(platform, signature),
    'plugins.restart': ({ instanceId }) => engine.restartInstance(instanceId),
    'breakers.reset': ({ platform, reason }) => engine.resetBreaker(platform, reason),
    'breakers.forceOpen': ({ platform, reason }) => engine.forceOpenBreaker(platform, reason)
  }
}
