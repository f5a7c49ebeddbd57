/**
 * Where the redrive jobs are kept across restarts: one JSON file, replaced whole (temp file + rename) so a
 * crash mid-write leaves the previous version. Kept apart from redrive.ts so the panel server (which the
 * renderer's tests also compile) needs no Node built-in; a composition root passes it in.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import type { RedriveStateStore } from './redrive.ts'

export function createRedriveFileStore(path: string): RedriveStateStore {
  return {
    where: path,
    read: () => (existsSync(path) ? readFileSync(path, 'utf8') : null),
    write(text) {
      const temp = `${path}.tmp`
      writeFileSync(temp, text)
      renameSync(temp, path)
    },
    moveAside() {
      if (existsSync(path)) renameSync(path, `${path}.damaged`)
    }
  }
}
