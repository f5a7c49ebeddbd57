/**
 * Runs one detection command (launch-probe, mount-probe, landlock) to its end. A command that cannot be
 * started answers with the spawn error ("spawn /opt/node ENOENT"), so the evidence says why.
 */
import { spawn } from 'node:child_process'

/** `out` is stdout and stderr together, trimmed; `code` is null when the command could not run. */
export function runProbe(command: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.on('error', (cause) => done({ code: null, out: cause.message }))
    child.on('close', (code) => done({ code, out: out.trim() }))
  })
}
