/** The rules that turn a sandbox's end into an exit reason and a result, without processes. */
import { describe, expect, it } from 'vitest'
import { classifyExit, failureResult } from '../../../../src/main/conductor/sandbox/outcomes.ts'

const base = { oomKilled: false, stderr: '', memoryMb: 64, exitCode: 1, signal: null }

describe('classifyExit', () => {
  it('keeps the reason of a host kill for a limit', () => {
    expect(classifyExit({ ...base, kill: { reason: 'timeout', detail: 'deadline' } })).toEqual({ reason: 'timeout', detail: 'deadline' })
  })

  it('reports a cgroup OOM kill as memory_limit, even during a graceful stop', () => {
    const exit = classifyExit({ ...base, kill: { reason: 'stopped', detail: 'stop' }, oomKilled: true, exitCode: null, signal: 'SIGKILL' })
    expect(exit.reason).toBe('memory_limit')
  })

  it('recognises a V8 heap OOM on stderr as memory_limit', () => {
    const exit = classifyExit({ ...base, kill: undefined, stderr: 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory', exitCode: null, signal: 'SIGABRT' })
    expect(exit.reason).toBe('memory_limit')
  })

  it('calls any other unrequested exit a crash, with code and signal', () => {
    expect(classifyExit({ ...base, kill: undefined, exitCode: 3 })).toEqual({ reason: 'crashed', detail: 'exited unexpectedly (code 3, signal null)' })
  })
})

describe('failureResult', () => {
  it('carries the exit, the stderr tail and why the host killed the process', () => {
    const result = failureResult({
      status: 'memory_limit',
      error: { message: 'too big' },
      base: { instanceId: 'i', durationMs: 5, peakRssBytes: 70e6, cpuMs: 1 },
      timeoutMs: 100,
      limitBytes: 64 * 1024 * 1024,
      exit: { instanceId: 'i', pid: 1, atMs: 0, reason: 'memory_limit', detail: 'x', exitCode: null, signal: 'SIGKILL' },
      stderrTail: 'tail',
      stderrTruncated: false,
      killedBecause: 'exceeded 64 MiB RSS'
    })
    expect(result).toMatchObject({ status: 'memory_limit', limitBytes: 64 * 1024 * 1024, signal: 'SIGKILL', stderr: 'tail', killedBecause: 'exceeded 64 MiB RSS' })
  })
})
