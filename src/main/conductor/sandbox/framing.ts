/**
 * Newline-delimited JSON framing for the host↔sandbox channel (a socketpair on fd 3), used instead of Node's
 * built-in `process.send` IPC: that parser throws an uncaught exception IN THE HOST when a child writes
 * non-JSON to its channel fd, and buffers a line of any size. Here a bad frame or one over `maxBytes` is
 * reported to the caller (who kills the sandbox), and the host never buffers more than `maxBytes`.
 * Imports nothing, so the child can use it too.
 */

/** One frame: the JSON text and a newline. Throws (synchronously) for values JSON cannot represent. */
export function encodeFrame(message: unknown): string {
  const text = JSON.stringify(message)
  if (text === undefined) throw new TypeError('message is not JSON-serialisable')
  return `${text}\n`
}

export class FrameDecoder {
  private pending: Buffer[] = []
  private pendingBytes = 0
  private failed = false
  private readonly maxBytes: number
  private readonly onMessage: (message: unknown) => void
  private readonly onViolation: (why: string) => void

  constructor(maxBytes: number, onMessage: (message: unknown) => void, onViolation: (why: string) => void) {
    this.maxBytes = maxBytes
    this.onMessage = onMessage
    this.onViolation = onViolation
  }

  push(chunk: Buffer): void {
    let start = 0
    while (!this.failed) {
      const newline = chunk.indexOf(10, start)
      if (newline === -1) {
        this.pendingBytes += chunk.length - start
        if (this.pendingBytes > this.maxBytes) return this.fail(`a message exceeds ${this.maxBytes} bytes`)
        if (start < chunk.length) this.pending.push(chunk.subarray(start))
        return
      }
      const piece = chunk.subarray(start, newline)
      start = newline + 1
      if (this.pendingBytes + piece.length > this.maxBytes) return this.fail(`a message exceeds ${this.maxBytes} bytes`)
      const line = this.pending.length === 0 ? piece : Buffer.concat([...this.pending, piece])
      this.pending = []
      this.pendingBytes = 0
      let message: unknown
      try {
        message = JSON.parse(line.toString('utf8'))
      } catch {
        return this.fail(`not JSON: ${JSON.stringify(line.subarray(0, 80).toString('utf8'))}`)
      }
      this.onMessage(message)
    }
  }

  private fail(why: string): void {
    this.failed = true
    this.pending = []
    this.onViolation(why)
  }
}
