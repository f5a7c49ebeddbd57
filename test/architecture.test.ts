/**
 * The layer rules of the house style, checked on the source: the engine never imports electron, the shared
 * contract imports only zod, and the renderer never imports Node built-ins.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..')

function sourceFiles(dir: string): string[] {
  const abs = join(root, dir)
  return readdirSync(abs).flatMap((name) => {
    const path = join(abs, name)
    if (statSync(path).isDirectory()) return sourceFiles(relative(root, path))
    return /\.(ts|tsx|mts|js|mjs)$/.test(name) ? [path] : []
  })
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const specifiers: string[] = []
  for (const match of text.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm)) {
    specifiers.push(match[1] ?? match[2] ?? match[3] ?? match[4] ?? '')
  }
  return specifiers
}

const nodeBuiltins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]))

describe('layering', () => {
  it('keeps electron out of the engine (conductor and plugins)', () => {
    const offenders = [...sourceFiles('src/main/conductor'), ...sourceFiles('src/main/plugins')].filter((file) =>
      importsOf(file).some((spec) => spec === 'electron' || spec.startsWith('electron/'))
    )
    expect(offenders.map((file) => relative(root, file))).toEqual([])
  })

  it('lets the shared contract import only zod and itself', () => {
    const offenders = sourceFiles('src/shared').flatMap((file) =>
      importsOf(file)
        .filter((spec) => spec !== 'zod' && !spec.startsWith('./') && !spec.startsWith('../'))
        .map((spec) => `${relative(root, file)} -> ${spec}`)
    )
    expect(offenders).toEqual([])
  })

  it('keeps Node built-ins out of the renderer', () => {
    const offenders = sourceFiles('src/renderer/src').flatMap((file) =>
      importsOf(file)
        .filter((spec) => nodeBuiltins.has(spec) || spec === 'electron')
        .map((spec) => `${relative(root, file)} -> ${spec}`)
    )
    expect(offenders).toEqual([])
  })

  it('detects an electron import when one is present (the check itself can fail)', () => {
    const specs = importsOf(join(root, 'src/main/index.ts'))
    expect(specs).toContain('electron')
  })
})
