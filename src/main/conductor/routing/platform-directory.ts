/**
 * What the router needs from the plugin manager: which platforms exist and their instances right now.
 * `PluginManager` implements it; tests use a plain fake.
 */
import type { InstanceSnapshot } from '../../../shared/routing.ts'

export interface PlatformInstanceView {
  instanceId: string
  state: InstanceSnapshot['state']
  /** False after a failed health check, until one succeeds again. */
  healthy: boolean
}

export interface PlatformDirectory {
  /** The instances of a platform, or undefined when no plugin serves it. */
  instancesOf(platform: string): readonly PlatformInstanceView[] | undefined
  /** Every platform served (optional): lets the router show a breaker for each before its first request. */
  listPlatforms?(): string[]
}
