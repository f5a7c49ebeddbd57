import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createServer } from 'node:net'
import { parseCliArgs, runHeadless, startHeadless } from '../../../src/main/headless.ts'
import { FakeEngine } from './fake-engine.ts'

describe('headless host', () => {
  it('reads port and config from argv before the environment', () => {
    expect(parseCliArgs(['--port', '8765', '--config', 'a.json'], { CONDUCTOR_PORT: '1', CONDUCTOR_CONFIG: 'b.json' })).toEqual({ port: 8765, configPath: 'a.json' })
    expect(parseCliArgs(['--port=9000'], {})).toEqual({ port: 9000, configPath: null })
    expect(parseCliArgs([], { CONDUCTOR_PORT: '7000', CONDUCTOR_CONFIG: 'c.json' })).toEqual({ port: 7000, configPath: 'c.json' })
    expect(parseCliArgs([], {})).toEqual({ port: 0, configPath: null })
  })

  it('refuses a port that is not a port', () => {
    expect(() => parseCliArgs(['--port', 'eighty'], {})).toThrow('Invalid port "eighty"')
    expect(() => parseCliArgs(['--port', '70000'], {})).toThrow('Invalid port')
  })

  it('serves the panel for the engine it is given and stops on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conductor-headless-'))
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>conductor</title>')
    const host = await startHeadless({ engine: new FakeEngine(), rendererDir: dir, setInterval: () => 0, clearInterval: () => undefined })
    try {
      expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/)
      expect(await (await fetch(host.url)).text()).toContain('<title>conductor</title>')
    } finally {
      await host.close()
      rmSync(dir, { recursive: true, force: true })
    }
    await expect(fetch(host.url)).rejects.toThrow()
  })

  it('closes the engine it created when the panel cannot start (port taken), and reports why', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as { port: number }).port
    let closed = 0
    const engine = Object.assign(new FakeEngine(), { close: async () => void closed++ })
    try {
      await expect(runHeadless(async () => engine, ['--port', String(port)], {}, { setInterval: () => 0, clearInterval: () => undefined })).rejects.toThrow(/EADDRINUSE/)
      expect(closed).toBe(1)
    } finally {
      blocker.close()
    }
  })
})
