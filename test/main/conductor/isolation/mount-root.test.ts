/** The private root's skeleton and fstab (no namespace needed), and the sweep of skeletons left by dead hosts. */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { prepareMountRoot, sweepStaleSkeletons, type MountTools } from '../../../../src/main/conductor/sandbox/mount-root.ts'

const work = mkdtempSync(join(tmpdir(), 'conductor-mount-test-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

const tools: MountTools = { mountPath: '/usr/bin/mount', unsharePath: '/usr/bin/unshare', setprivPath: '/usr/bin/setpriv', runtimeFiles: [process.execPath], runtimeDirs: [] }

describe('private root skeleton', () => {
  it('binds read paths read-only, the scratch dir writable, a fresh read-only /proc, and escapes spaces', () => {
    const plugin = join(work, 'my plugin')
    const scratch = join(work, 'scratch')
    mkdirSync(plugin)
    mkdirSync(scratch)
    const root = prepareMountRoot({ tools, readPaths: [plugin, scratch, join(work, 'missing')], writePaths: [scratch], systemRuntime: false })
    try {
      const lines = readFileSync(root.fstabPath, 'utf8').trim().split('\n')
      const entry = (source: string) => lines.find((line) => line.startsWith(`${source} `))
      expect(lines[0]).toBe(`${root.rootDir} ${root.rootDir} none bind,ro,nosuid,nodev 0 0`)
      expect(entry(plugin.replace(/ /g, '\\040'))).toContain(' none bind,ro,nosuid,nodev ')
      expect(entry(scratch)).toBe(`${scratch} ${root.rootDir}${scratch} none bind,nosuid,nodev 0 0`)
      expect(entry(process.execPath)).toContain('bind,ro')
      expect(lines.at(-1)).toBe(`proc ${root.rootDir}/proc proc ro,nosuid,nodev,noexec 0 0`)
      expect(lines.some((line) => line.includes('missing'))).toBe(false)
      expect(existsSync(join(root.rootDir, plugin))).toBe(true)
      expect(existsSync(join(root.rootDir, '/etc'))).toBe(false)
    } finally {
      root.remove()
    }
    expect(existsSync(root.rootDir)).toBe(false)
  })
})

describe('stale skeleton sweep', () => {
  it('removes the empty skeleton of a dead host, keeps a live host\'s, and never deletes a non-empty file', () => {
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' })
    const deadPid = Number(dead.stdout.trim())
    const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir()
    const stale = join(base, `conductor-root-${deadPid}-test01`)
    const staleWithData = join(base, `conductor-root-${deadPid}-test02`)
    const live = join(base, `conductor-root-${process.pid}-test03`)
    for (const dir of [stale, staleWithData, live]) {
      mkdirSync(join(dir, 'root/usr/bin'), { recursive: true })
      writeFileSync(join(dir, 'root/usr/bin/node'), '')
      writeFileSync(join(dir, 'fstab'), 'x')
    }
    writeFileSync(join(staleWithData, 'root/usr/bin/data'), 'not a placeholder')
    try {
      sweepStaleSkeletons()
      expect(existsSync(stale)).toBe(false)
      expect(readFileSync(join(staleWithData, 'root/usr/bin/data'), 'utf8')).toBe('not a placeholder')
      expect(existsSync(join(live, 'root/usr/bin/node'))).toBe(true)
    } finally {
      for (const dir of [stale, staleWithData, live]) rmSync(dir, { recursive: true, force: true })
    }
  })
})
