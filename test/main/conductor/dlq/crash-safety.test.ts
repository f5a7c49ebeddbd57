import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { openQueue, tempDir } from './helpers.ts'

const fixture = join(import.meta.dirname, '../../../fixtures/dlq/enqueue-until-killed.ts')

describe('DLQ crash safety', () => {
  let cleanup = (): void => {}
  afterEach(() => cleanup())

  it('keeps every acknowledged entry when the process is SIGKILLed mid-stream', async () => {
    const temp = tempDir()
    cleanup = temp.cleanup
    const path = join(temp.dir, 'dlq.sqlite')
    const child = spawn(process.execPath, [fixture, path], { stdio: ['ignore', 'pipe', 'pipe'] })
    const acked: string[] = []
    let stderr = ''
    let buffered = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString()
        const lines = buffered.split('\n')
        buffered = lines.pop() ?? ''
        for (const line of lines) if (line.startsWith('req-')) acked.push(line)
        // Kill well into the stream, while enqueues are certainly in flight.
        if (acked.length >= 1_500 && child.exitCode === null && !child.killed) {
          child.kill('SIGKILL')
          resolve()
        }
      })
      child.on('exit', () => reject(new Error(`fixture exited on its own: ${stderr}`)))
    }).catch((cause: unknown) => {
      if (!child.killed) throw cause
    })
    expect(await exited).toBe('SIGKILL')

    const db = new DatabaseSync(path)
    expect((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check).toBe('ok')
    db.close()
    expect(acked.length).toBeGreaterThanOrEqual(1_500)

    const queue = openQueue(path)
    const missing = acked.filter((id) => !queue.get(id).ok)
    expect(missing).toEqual([])
    expect(queue.counts().pending).toBeGreaterThanOrEqual(acked.length)
    await queue.close()
  })
})
