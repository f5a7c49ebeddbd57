/** Plugin module paths shared by the router and plugin-manager tests. */
import { resolve } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '../../../..')
export const BUILTIN_DIR = resolve(ROOT, 'resources/plugins')
export const DISCORD = resolve(BUILTIN_DIR, 'discord/index.mjs')
export const ANDROID = resolve(BUILTIN_DIR, 'android/index.mjs')
export const USER_DIR = resolve(ROOT, 'test/fixtures/plugins/user')
export const FLAKY = resolve(USER_DIR, 'flaky/index.mjs')
export const BROKEN_DIR = resolve(ROOT, 'test/fixtures/plugins/broken')
