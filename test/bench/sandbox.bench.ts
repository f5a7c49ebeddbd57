/**
 * Sandbox bench: cold start-to-ready of a hardened sandbox vs a raw `node -e 0` spawn, and warm request
 * round trips through `execute` vs a raw fork IPC ping-pong, all measured in this run. The child host is
 * measured twice: as run from source (what the tests use) and bundled into one file (what ships once the
 * build bundles zod into `sandbox-host.js`; see the report).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { IsolatedPluginRunner } from '../../src/main/conductor/isolation.ts'
import { measureRawIpcRoundTrip, measureRawSpawnMs, median } from './baselines.ts'

const plugin = join(import.meta.dirname, '../fixtures/sandbox/hostile-plugin.mjs')
const root = join(import.meta.dirname, '../..')

async function bundleChildHost(dir: string): Promise<string | null> {
  try {
    const { build } = (await import('rolldown' as string)) as { build: (options: unknown) => Promise<unknown> }
    const file = join(dir, 'sandbox-host.mjs')
    await build({
      input: join(root, 'src/main/conductor/sandbox/child/sandbox-host.ts'),
      platform: 'node',
      logLevel: 'silent',
      output: { file, format: 'esm' }
    })
    return file
  } catch (cause) {
    console.log(`  (bundled child skipped: ${(cause as Error).message})`)
    return null
  }
}

async function coldStartMs(runner: IsolatedPluginRunner, label: string, runs = 12): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const id = `${label}-${i}`
    const started = performance.now()
    const result = await runner.start(plugin, id)
    times.push(performance.now() - started)
    if (!result.ok) throw new Error(`start failed: ${result.error.message}`)
    await runner.stop(id)
  }
  return median(times)
}

async function warm(runner: IsolatedPluginRunner, messages = 2000, window = 32) {
  const id = 'warm'
  const started = await runner.start(plugin, id)
  if (!started.ok) throw new Error(started.error.message)
  const req = (n: number) => ({ id: `r${n}`, type: 'echo', content: 'x', metadata: {} })
  for (let i = 0; i < 200; i++) await runner.execute(id, req(i))
  let t0 = performance.now()
  for (let i = 0; i < messages; i++) await runner.execute(id, req(i))
  const sequentialMs = performance.now() - t0
  t0 = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: window }, async () => {
      while (next < messages) await runner.execute(id, req(next++))
    })
  )
  const pipelinedMs = performance.now() - t0
  await runner.stop(id)
  return { roundTripUs: (sequentialMs * 1000) / messages, perSecond: messages / (sequentialMs / 1000), pipelinedPerSecond: messages / (pipelinedMs / 1000) }
}

export default async function sandboxBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'conductor-bench-'))
  try {
    const bundled = await bundleChildHost(dir)
    const sourceRunner = new IsolatedPluginRunner()
    const layers = await sourceRunner.capabilities()
    console.log(`  layers: ${layers.map((l) => `${l.layer}=${l.status}`).join(', ')}`)

    const rawSpawn = await measureRawSpawnMs()
    const coldSource = await coldStartMs(sourceRunner, 'src')
    console.log(`  raw node -e 0 spawn:                 ${rawSpawn.toFixed(1)} ms (median)`)
    console.log(`  cold start-to-ready, source child:   ${coldSource.toFixed(1)} ms  ratio ${(coldSource / rawSpawn).toFixed(2)}x (target <= 1.3x)`)
    let bundledRunner: IsolatedPluginRunner | undefined
    if (bundled) {
      bundledRunner = new IsolatedPluginRunner({ hostScriptPath: bundled })
      const coldBundled = await coldStartMs(bundledRunner, 'bundle')
      const rawAgain = await measureRawSpawnMs()
      console.log(`  cold start-to-ready, bundled child:  ${coldBundled.toFixed(1)} ms  ratio ${(coldBundled / rawAgain).toFixed(2)}x (raw re-measured ${rawAgain.toFixed(1)} ms)`)
    }

    const raw = await measureRawIpcRoundTrip()
    const ours = await warm(bundledRunner ?? sourceRunner)
    console.log(`  raw fork IPC:  ${raw.roundTripUs.toFixed(1)} µs/round trip, ${raw.perSecond.toFixed(0)} req/s sequential, ${raw.pipelinedPerSecond.toFixed(0)} msg/s pipelined`)
    console.log(`  execute():     ${ours.roundTripUs.toFixed(1)} µs/round trip, ${ours.perSecond.toFixed(0)} req/s sequential, ${ours.pipelinedPerSecond.toFixed(0)} req/s pipelined`)
    console.log(`  warm throughput ratio: sequential ${(ours.perSecond / raw.perSecond).toFixed(2)}x, pipelined ${(ours.pipelinedPerSecond / raw.pipelinedPerSecond).toFixed(2)}x (target >= 0.7x)`)
    await sourceRunner.close()
    await bundledRunner?.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
