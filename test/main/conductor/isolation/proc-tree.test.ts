/**
 * Reaping a killed tree: `killAndReap` returns only once every referenced process is gone, even one that
 * ignores SIGTERM, and never signals a pid that now belongs to another process (its start time differs).
 */
import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { isAlive, killAndReap, refsOf } from '../../../../src/main/conductor/sandbox/proc-tree.ts'

function sleeper(): number {
  // A shell that ignores SIGTERM, so only a SIGKILL ends it.
  const child = spawn('/bin/sh', ['-c', "trap '' TERM; sleep 30"], { stdio: 'ignore', detached: true })
  child.unref()
  return child.pid!
}

describe('killAndReap', () => {
  it('kills what is left and resolves only once it is gone', async () => {
    const pid = sleeper()
    await new Promise((resolve) => setTimeout(resolve, 50))
    const refs = refsOf([pid])
    expect(refs).toHaveLength(1)
    process.kill(pid, 'SIGTERM') // ignored
    await killAndReap(refs)
    expect(isAlive(pid)).toBe(false)
  })

  it('leaves alone a pid whose start time is not the one recorded (a reused pid)', async () => {
    const pid = sleeper()
    await new Promise((resolve) => setTimeout(resolve, 50))
    const [ref] = refsOf([pid])
    await killAndReap([{ pid, startTime: `${Number(ref!.startTime) + 1}` }], 50)
    expect(isAlive(pid)).toBe(true)
    await killAndReap([ref!])
    expect(isAlive(pid)).toBe(false)
  })
})
