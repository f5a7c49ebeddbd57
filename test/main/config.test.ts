import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/main/config.ts'

describe('loadConfig', () => {
  it('fills every section with its defaults when given nothing', () => {
    const config = loadConfig()
    expect(config.sandbox.memoryMb).toBe(512)
    expect(config.sandbox.timeoutMs).toBe(30_000)
    expect(config.router.timeoutMs).toBe(5_000)
  })

  it('names the offending field of a bad value', () => {
    expect(() => loadConfig({ sandbox: { memoryMb: -1 } })).toThrow(/sandbox\.memoryMb/)
  })

  it("accepts the README's configuration example as written", () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8')
    const example = /## Configuration[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(example).toBeDefined()
    const config = loadConfig(JSON.parse(example!))
    expect(config.sandbox.landlock).toBe('fallback')
    expect(config.router.rules[0]?.id).toBe('support')
  })
})
