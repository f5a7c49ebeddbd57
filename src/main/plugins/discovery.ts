/**
 * Finds plugins: every folder under the given roots that holds a `manifest.json`. Each problem (unreadable or
 * invalid manifest, missing entry module, duplicate name or platform) is reported with its file and reason;
 * the other plugins are still returned.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve, sep } from 'node:path'
import { describeFieldIssues, fieldIssuesOf } from '../../shared/errors.ts'
import type { PluginLoadError } from '../../shared/routing.ts'
import { PluginManifestSchema, type PluginManifest } from './manifest.ts'

export interface DiscoveredPlugin {
  manifest: PluginManifest
  dir: string
  /** Absolute path of the entry module. */
  modulePath: string
  source: 'builtin' | 'user'
}

export interface PluginRoot {
  dir: string
  source: DiscoveredPlugin['source']
}

export function discoverPlugins(roots: readonly PluginRoot[], now: () => number = Date.now): { plugins: DiscoveredPlugin[]; errors: PluginLoadError[] } {
  const plugins: DiscoveredPlugin[] = []
  const errors: PluginLoadError[] = []
  const fail = (file: string, reason: string): void => {
    errors.push({ file, reason, atMs: now() })
  }
  for (const root of roots) {
    if (!existsSync(root.dir)) {
      if (root.source === 'user') fail(root.dir, 'user plugins folder does not exist')
      continue
    }
    for (const name of readdirSync(root.dir).sort()) {
      const dir = resolve(root.dir, name)
      if (!statSync(dir).isDirectory()) continue
      const manifestFile = join(dir, 'manifest.json')
      if (!existsSync(manifestFile)) {
        fail(manifestFile, 'missing manifest.json')
        continue
      }
      let raw: unknown
      try {
        raw = JSON.parse(readFileSync(manifestFile, 'utf8'))
      } catch (cause) {
        fail(manifestFile, `manifest is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`)
        continue
      }
      const parsed = PluginManifestSchema.safeParse(raw)
      if (!parsed.success) {
        fail(manifestFile, describeFieldIssues(fieldIssuesOf(parsed.error)))
        continue
      }
      const manifest = parsed.data
      const modulePath = resolve(dir, manifest.entry)
      if (!modulePath.startsWith(dir + sep)) {
        fail(manifestFile, `entry "${manifest.entry}" leaves the plugin folder`)
        continue
      }
      if (!existsSync(modulePath)) {
        fail(modulePath, `entry module "${manifest.entry}" does not exist`)
        continue
      }
      const clash = plugins.find((p) => p.manifest.name === manifest.name || p.manifest.platform === manifest.platform)
      if (clash !== undefined) {
        fail(manifestFile, `plugin "${manifest.name}" (platform ${manifest.platform}) clashes with ${clash.dir}`)
        continue
      }
      plugins.push({ manifest, dir, modulePath, source: root.source })
    }
  }
  return { plugins, errors }
}
