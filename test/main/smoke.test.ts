import { describe, expect, it } from 'vitest'

describe('test runner', () => {
  it('runs on a Node with node:sqlite and the permission model', async () => {
    const [major] = process.versions.node.split('.').map(Number)
    expect(major).toBeGreaterThanOrEqual(22)
    const sqlite = await import('node:sqlite')
    expect(typeof sqlite.DatabaseSync).toBe('function')
  })
})
