/**
 * `npm run bench`: runs every `*.bench.ts` in this folder in turn (or those named on the command line).
 * Each bench module default-exports an async function that measures its own raw baseline in the same run and
 * prints ratios against it. Benchmarks never assert; they report.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const dir = import.meta.dirname
const wanted = process.argv.slice(2)
const files = readdirSync(dir)
  .filter((name) => name.endsWith('.bench.ts'))
  .filter((name) => wanted.length === 0 || wanted.some((w) => name.startsWith(w)))
  .sort()

console.log(`Conductor benchmarks on Node ${process.version}, ${process.platform}/${process.arch}\n`)
for (const name of files) {
  const mod = (await import(pathToFileURL(join(dir, name)).href)) as { default: () => Promise<void> }
  console.log(`=== ${name} ===`)
  await mod.default()
  console.log('')
}
