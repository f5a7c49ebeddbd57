/** Overlapping requests on several instances come back complete, each with its own output, never mixed. */
import { afterAll, describe, expect, it } from 'vitest'
import { IsolatedPluginRunner } from '../../../../src/main/conductor/isolation.ts'
import { hostilePlugin, request } from './helpers.ts'

const runner = new IsolatedPluginRunner({ killGraceMs: 300 })
const smallFrames = new IsolatedPluginRunner({ killGraceMs: 300, maxMessageBytes: 256 * 1024 })

afterAll(async () => {
  await runner.close()
  await smallFrames.close()
})

describe('concurrency', () => {
  it('serves 4 instances x 50 overlapping requests with correct, unmixed results', async () => {
    const ids = ['c0', 'c1', 'c2', 'c3']
    const started = await Promise.all(ids.map((id) => runner.start(hostilePlugin, id)))
    expect(started.every((s) => s.ok)).toBe(true)
    const calls = ids.flatMap((id) =>
      Array.from({ length: 50 }, (_, n) => {
        const content = `${id}:${n}`
        // Half the requests wait between their two console writes, so they overlap and finish out of order.
        const req = n % 2 === 0 ? request('log', { delayMs: (n * 7) % 23 }, content) : request('echo', {}, content)
        return runner.execute(id, req).then((result) => ({ id, n, content, req, result }))
      })
    )
    const results = await Promise.all(calls)
    expect(results).toHaveLength(200)
    for (const { id, content, req, result } of results) {
      expect(result.status).toBe('ok')
      expect(result.instanceId).toBe(id)
      if (req.type === 'log') {
        expect(result.stdout).toBe(`${content}\n`)
        expect(result.stderr).toBe(`err:${content}\n`)
      } else {
        expect(result.status === 'ok' && result.output).toMatchObject({ id: req.id, content, instanceId: id })
      }
    }
  })

  it('keeps per-request deadlines independent on one instance', async () => {
    const [slow, fast] = await Promise.all([
      runner.execute('c0', request('sleep', { ms: 5_000 }), { timeoutMs: 150 }),
      runner.execute('c0', request('sleep', { ms: 20 }), { timeoutMs: 5_000 })
    ])
    expect(slow.status).toBe('timeout')
    expect(fast.status === 'ok' && fast.output).toEqual({ cancelled: false })
  })

  it('cancels a request through the caller signal', async () => {
    const controller = new AbortController()
    const pending = runner.execute('c1', request('sleep', { ms: 5_000 }), { signal: controller.signal })
    controller.abort(new Error('caller gave up'))
    const result = await pending
    expect(result.status).toBe('timeout')
    if (result.status === 'timeout') expect(result.error.message).toContain('caller gave up')
    const after = await runner.execute('c1', request('echo', {}, 'ok'))
    expect(after.status).toBe('ok')
  })

  it('splits a burst of large replies into frames under the limit, and refuses an output over it', async () => {
    const started = await smallFrames.start(hostilePlugin, 'frames')
    expect(started.ok).toBe(true)
    const burst = await Promise.all(Array.from({ length: 16 }, () => smallFrames.execute('frames', request('big-output', { bytes: 100_000 }))))
    expect(burst.map((r) => r.status === 'ok' && (r.output as string).length)).toEqual(Array(16).fill(100_000))
    const tooBig = await smallFrames.execute('frames', request('big-output', { bytes: 300_000 }))
    expect(tooBig.status).toBe('error')
    if (tooBig.status === 'error') expect(tooBig.error.message).toMatch(/larger than the 262144 B message limit/)
    const after = await smallFrames.execute('frames', request('echo', {}, 'still alive'))
    expect(after.status).toBe('ok')
  })
})
