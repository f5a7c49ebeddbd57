/**
 * The sandbox child's side of the handshake, driven over a bare channel (no host, no limits): `init` must come
 * first and is the only schema the child builds before it is ready; what follows is validated by the rest.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeFrame, FrameDecoder } from '../../../../src/main/conductor/sandbox/framing.ts'
import { resolveHostScript } from '../../../../src/main/conductor/sandbox/host-script.ts'

const children: ChildProcess[] = []
const dirs: string[] = []

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** The child host on fd 3, and what it sends back, decoded. */
function startChild() {
  const child = spawn(process.execPath, [resolveHostScript().scriptPath], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] })
  children.push(child)
  const channel = child.stdio[3] as Duplex
  const received: unknown[] = []
  const decoder = new FrameDecoder(1 << 20, (message) => received.push(message), () => {})
  channel.on('data', (chunk: Buffer) => decoder.push(chunk))
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { send: (message: unknown) => channel.write(encodeFrame(message)), received, stderr: () => stderr, exited }
}

function init() {
  const scratch = mkdtempSync(join(tmpdir(), 'conductor-handshake-'))
  dirs.push(scratch)
  return {
    t: 'init',
    instanceId: 'handshake',
    modulePath: null,
    outputBytes: 4096,
    probeReadPath: '/etc/passwd',
    probeWritePath: join(scratch, 'write-probe'),
    hostPid: process.pid,
    grants: { network: false, childProcesses: false, workers: false }
  }
}

async function until<T>(read: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = read()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('sandbox child handshake', () => {
  it('refuses a first message that is not init, with the reason, and exits 70', async () => {
    const child = startChild()
    child.send({ t: 'req', id: 'r1', kind: 'eval', code: 'return 1', deadlineMs: Date.now() + 5_000 })
    expect(await child.exited).toBe(70)
    expect(child.stderr()).toContain('malformed message from host (expected init first)')
    expect(child.received).toEqual([])
  })

  it('answers init with ready, then validates and serves what follows', async () => {
    const child = startChild()
    child.send(init())
    await until(() => child.received.find((m) => (m as { t: string }).t === 'ready'))
    child.send({ t: 'req', id: 'r1', kind: 'eval', input: { n: 20 }, code: 'return payload.n + 1', deadlineMs: Date.now() + 5_000 })
    const result = await until(() => child.received.find((m) => (m as { t: string }).t === 'res') as { output?: unknown } | undefined)
    expect(result.output).toBe(21)
    // A message the later schemas refuse ends the child just the same.
    child.send({ t: 'req', id: 'r2', kind: 'rm -rf', deadlineMs: 1 })
    expect(await child.exited).toBe(70)
    expect(child.stderr()).toMatch(/malformed message from host: /)
  })
})
