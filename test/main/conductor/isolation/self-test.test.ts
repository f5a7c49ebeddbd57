/**
 * The child's process probes outside any sandbox (this test process runs without --permission): with no
 * permission model to ask, the self-test makes the real attempts, so a missing gate shows as a spawn that ran.
 */
import { describe, expect, it } from 'vitest'
import { processProbes } from '../../../../src/main/conductor/sandbox/child/self-test.ts'
import type { InitMessage } from '../../../../src/main/conductor/sandbox/protocol.ts'

const init = (grants: InitMessage['grants'], probePort?: number): InitMessage => ({
  t: 'init',
  instanceId: 'self-test',
  modulePath: null,
  outputBytes: 4096,
  probeReadPath: '/etc/passwd',
  probeWritePath: '/nonexistent/probe',
  hostPid: process.pid,
  grants,
  ...(probePort === undefined ? {} : { probePort })
})

describe('process probes', () => {
  it('attempts a spawn and a Worker where Node has no permission model, and reports that they ran', () => {
    expect((process as { permission?: unknown }).permission).toBeUndefined()
    expect(processProbes(init({ network: false, childProcesses: false, workers: false }))).toEqual({ childProcess: 'spawned', worker: 'started' })
  })

  it('does not probe what the policy grants', () => {
    expect(processProbes(init({ network: false, childProcesses: true, workers: true }, 9))).toEqual({ childProcess: 'granted', worker: 'granted' })
  })
})
