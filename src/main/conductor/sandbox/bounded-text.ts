/**
 * A byte-bounded text sink for a child's raw stdout/stderr pipes. It keeps the LAST `capBytes` (the tail is
 * what explains a crash) and counts what it dropped, so a flood costs the host a fixed amount of memory.
 */
export class BoundedTail {
  private chunks: Buffer[] = []
  private bytes = 0
  private readonly capBytes: number
  /** Bytes received but no longer kept. */
  droppedBytes = 0

  constructor(capBytes: number) {
    this.capBytes = capBytes
  }

  push(chunk: Buffer): void {
    if (chunk.length >= this.capBytes) {
      this.droppedBytes += this.bytes + chunk.length - this.capBytes
      this.chunks = [Buffer.from(chunk.subarray(chunk.length - this.capBytes))]
      this.bytes = this.capBytes
      return
    }
    this.chunks.push(chunk)
    this.bytes += chunk.length
    while (this.bytes > this.capBytes) {
      const first = this.chunks[0]!
      const excess = this.bytes - this.capBytes
      if (first.length <= excess) {
        this.chunks.shift()
        this.bytes -= first.length
        this.droppedBytes += first.length
      } else {
        this.chunks[0] = first.subarray(excess)
        this.bytes -= excess
        this.droppedBytes += excess
      }
    }
  }

  get truncated(): boolean {
    return this.droppedBytes > 0
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8')
  }

  /** The last `maxChars` characters, for a crash report. */
  tail(maxChars: number): string {
    const text = this.text()
    return text.length > maxChars ? text.slice(text.length - maxChars) : text
  }

  clear(): void {
    this.chunks = []
    this.bytes = 0
    this.droppedBytes = 0
  }
}
