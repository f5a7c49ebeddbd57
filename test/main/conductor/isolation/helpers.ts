/** Shared helpers of the sandbox tests: fixture paths, request builder, and the no-orphan check. */
import { existsSync } from 'node:fs'
import { release } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'
import type { IsolatedPluginRunner } from '../../../../src/main/conductor/isolation.ts'
import type { HardenedProcessHost } from '../../../../src/main/conductor/sandbox/hardened-host.ts'
import type { PluginRequest } from '../../../../src/shared/request.ts'
import type { SandboxExit } from '../../../../src/shared/sandbox.ts'
import { isAlive, namespaceOf, pidsInNamespace } from '../../../../src/main/conductor/sandbox/proc-tree.ts'

export const fixtures = join(import.meta.dirname, '../../../fixtures/sandbox')

/**
 * Facts about this machine that decide which layers the tests must see, checked directly (not through the
 * host's own probes, so a probe that breaks on such a machine still fails the tests). True on the CI image.
 * The private root needs root and util-linux's unshare, mount and setpriv; Landlock needs Linux ≥ 5.13 and,
 * for its launcher, Node ≥ 26.1 (`node:ffi`).
 */
export const privateRootExpected = process.getuid?.() === 0 && ['unshare', 'mount', 'setpriv'].every((tool) => existsSync(`/usr/bin/${tool}`))
const [kernelMajor = 0, kernelMinor = 0] = release().split('.').map(Number)
const [nodeMajor = 0, nodeMinor = 0] = process.versions.node.split('.').map(Number)
export const landlockExpected =
  process.platform === 'linux' && (kernelMajor > 5 || (kernelMajor === 5 && kernelMinor >= 13)) && (nodeMajor > 26 || (nodeMajor === 26 && nodeMinor >= 1))
export const landlockSkipReason = `kernel ${release()}, Node ${process.versions.node} (Landlock needs Linux ≥ 5.13 and Node ≥ 26.1)`
export const hostilePlugin = join(fixtures, 'hostile-plugin.mjs')

let counter = 0
export function request(type: string, metadata: Record<string, unknown> = {}, content = ''): PluginRequest {
  return { id: `req-${++counter}`, type, content, metadata }
}

export type SpareView = ReturnType<HardenedProcessHost['spareLaunchers']>[number]

/** Resolves with the first spare launcher of `host` that `fits`, once the pool has made one (pools refill in the background). */
export async function waitForSpare(host: HardenedProcessHost, fits: (spare: SpareView) => boolean): Promise<SpareView> {
  for (;;) {
    const spare = host.spareLaunchers().find(fits)
    if (spare) return spare
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/** What identifies a sandbox's processes, captured while it is alive. */
export interface TreeSnapshot {
  pids: number[]
  pidNamespace: string | null
}

export function snapshot(pids: number[]): TreeSnapshot {
  expect(pids.length).toBeGreaterThan(0)
  const pidNamespace = namespaceOf(pids[0]!, 'pid')
  return { pids, pidNamespace: pidNamespace === namespaceOf('self', 'pid') ? null : pidNamespace }
}

/** Asserts nothing of the sandbox survives: none of its pids, and no process left in its PID namespace. */
export function expectNoSurvivors(tree: TreeSnapshot): void {
  expect(tree.pids.filter((pid) => isAlive(pid))).toEqual([])
  if (tree.pidNamespace) expect(pidsInNamespace('pid', tree.pidNamespace)).toEqual([])
}

/** Records a runner's exit events; `exited(id)` resolves with an instance's exit, already seen or still to come. */
export function watchExits(runner: IsolatedPluginRunner): { exitOf(id: string): SandboxExit | undefined; exited(id: string): Promise<SandboxExit> } {
  const exits: SandboxExit[] = []
  const waiting = new Map<string, Array<(exit: SandboxExit) => void>>()
  runner.on('exit', (exit) => {
    exits.push(exit)
    for (const resolve of waiting.get(exit.instanceId) ?? []) resolve(exit)
    waiting.delete(exit.instanceId)
  })
  const exitOf = (id: string): SandboxExit | undefined => exits.find((exit) => exit.instanceId === id)
  return {
    exitOf,
    exited: (id) => {
      const seen = exitOf(id)
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve) => waiting.set(id, [...(waiting.get(id) ?? []), resolve]))
    }
  }
}
