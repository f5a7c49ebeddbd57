import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createRedriveFileStore } from '../../../src/main/transport/redrive-file-store.ts'
import { RedriveCoordinator } from '../../../src/main/transport/redrive.ts'
import { FakeEngine } from './fake-engine.ts'

async function failMany(engine: FakeEngine, platform: string, n: number): Promise<void> {
  engine.setFailing(platform, true)
  for (let i = 0; i < n; i++) await engine.testRoute({ type: platform, content: `GET /api/item/${i}` }, true)
}

async function signatureOf(engine: FakeEngine): Promise<string> {
  const groups = await engine.dlq.groups()
  if (!groups.ok) throw new Error('groups failed')
  return groups.value.find((g) => g.code === 'PLUGIN_ERROR')!.signature
}

describe('RedriveCoordinator', () => {
  it('retries the canaries first and the rest only once every canary resolved', async () => {
    const engine = new FakeEngine()
    await failMany(engine, 'android', 3)
    const signature = await signatureOf(engine)
    engine.resetBreaker('android', 'test')
    engine.setFailing('android', false)
    const redrive = new RedriveCoordinator(engine)
    const job = await redrive.startCanary(signature, 1)
    expect(job).toMatchObject({ ok: true, value: { status: 'canary', total: 3, retried: 1 } })
    expect(engine.dlq.counts()).toMatchObject({ resolved: 1, pending: 2 })
    await redrive.step()
    expect(redrive.jobs()[0]).toMatchObject({ status: 'done', retried: 3 })
    expect(engine.dlq.counts()).toMatchObject({ resolved: 3, pending: 0 })
  })

  it('aborts when a canary fails again and leaves the rest untouched', async () => {
    const engine = new FakeEngine()
    await failMany(engine, 'android', 3)
    const signature = await signatureOf(engine)
    engine.resetBreaker('android', 'test')
    const redrive = new RedriveCoordinator(engine)
    await redrive.startCanary(signature, 1)
    await redrive.step()
    expect(redrive.jobs()[0]).toMatchObject({ status: 'aborted', retried: 1, detail: expect.stringContaining('2 left untouched') })
  })

  it('waits while the breaker is open, then ramps up 1, 2, 4 per tick', async () => {
    const engine = new FakeEngine()
    await failMany(engine, 'android', 3)
    engine.setFailing('android', false)
    const redrive = new RedriveCoordinator(engine)
    // 3 failures opened the breaker; the next 5 requests are CIRCUIT_OPEN dead letters too
    for (let i = 0; i < 5; i++) await engine.testRoute({ type: 'android', content: 'GET /api/x' }, true)
    const job = await redrive.startWhenHealthy('android')
    expect(job).toMatchObject({ ok: true, value: { status: 'waiting', total: 8, retried: 0 } })
    engine.resetBreaker('android', 'fixed upstream')
    const retried: number[] = []
    for (let i = 0; i < 4; i++) {
      await redrive.step()
      retried.push(redrive.jobs()[0]!.retried)
    }
    expect(retried).toEqual([1, 3, 7, 8])
    expect(redrive.jobs()[0]!.status).toBe('done')
  })

  it('pauses a running redrive when the breaker opens again', async () => {
    const engine = new FakeEngine()
    await failMany(engine, 'android', 3)
    for (let i = 0; i < 5; i++) await engine.testRoute({ type: 'android', content: 'GET /api/x' }, true)
    engine.resetBreaker('android', 'try')
    const redrive = new RedriveCoordinator(engine)
    await redrive.startWhenHealthy('android')
    expect(redrive.jobs()[0]!.status).toBe('running')
    engine.forceOpenBreaker('android', 'still broken')
    await redrive.step()
    expect(redrive.jobs()[0]).toMatchObject({ status: 'paused', detail: expect.stringContaining('forced-open') })
  })
})

describe('RedriveCoordinator across restarts', () => {
  const dirs: string[] = []
  const statePath = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'conductor-redrive-'))
    dirs.push(dir)
    return join(dir, 'redrive.json')
  }
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  it('says a job is lost on restart when it has no state file', async () => {
    const engine = new FakeEngine()
    await failMany(engine, 'android', 3)
    const job = await new RedriveCoordinator(engine).startWhenHealthy('android')
    expect(job.ok && job.value.survivesRestart).toBe(false)
  })

  it('resumes a waiting retry-when-healthy after a restart and finishes it once the breaker closes', async () => {
    const engine = new FakeEngine()
    const path = statePath()
    await failMany(engine, 'android', 3)
    engine.setFailing('android', false)
    const before = new RedriveCoordinator(engine, { store: createRedriveFileStore(path) })
    const started = await before.startWhenHealthy('android')
    expect(started).toMatchObject({ ok: true, value: { status: 'waiting', total: 3, survivesRestart: true } })
    expect(existsSync(path)).toBe(true)

    const after = new RedriveCoordinator(engine, { store: createRedriveFileStore(path) })
    expect(after.loadProblem).toBeNull()
    expect(after.jobs()).toEqual([expect.objectContaining({ jobId: started.ok ? started.value.jobId : '', status: 'waiting', detail: expect.stringContaining('resumed after a restart') })])
    engine.resetBreaker('android', 'fixed')
    for (let i = 0; i < 3; i++) await after.step()
    expect(after.jobs()[0]).toMatchObject({ status: 'done', retried: 3 })
    expect(engine.dlq.counts()).toMatchObject({ resolved: 3, pending: 0 })
    // The next job after the restart gets a fresh id, and the finished state is what the file now holds.
    await failMany(engine, 'android', 3)
    const next = await after.startWhenHealthy('android')
    expect(next.ok && next.value.jobId).not.toBe(started.ok && started.value.jobId)
    const saved = JSON.parse(readFileSync(path, 'utf8')) as { jobs: { view: { status: string } }[] }
    expect(saved.jobs.map((j) => j.view.status)).toEqual(['done', 'waiting'])
  })

  it('moves a damaged state file aside and starts empty', () => {
    const path = statePath()
    writeFileSync(path, '{"v":1,"jobs":[')
    const redrive = new RedriveCoordinator(new FakeEngine(), { store: createRedriveFileStore(path) })
    expect(redrive.jobs()).toEqual([])
    expect(redrive.loadProblem).toContain('could not read')
    expect(readFileSync(`${path}.damaged`, 'utf8')).toBe('{"v":1,"jobs":[')
    expect(existsSync(path)).toBe(false)
  })
})
