/**
 * Samples a sandbox's whole process tree with pidusage: fast (busyIntervalMs) while requests are in flight, to
 * catch runaway memory before it hurts the host; slow (sampleIntervalMs, 1 Hz by default) otherwise. Every
 * sample updates the peak and is checked against the RSS cap; samples are published at the slow cadence only.
 */
import pidusage from 'pidusage'

export interface TreeSample {
  atMs: number
  cpuPercent: number
  rssBytes: number
  /** Total CPU time (user + system) of the tree's live processes, in ms. */
  cpuMs: number
}

export interface ResourceMonitorOptions {
  busyIntervalMs: number
  sampleIntervalMs: number
  limitBytes: number
  isBusy: () => boolean
  pids: () => number[]
  now: () => number
  onSample: (sample: TreeSample) => void
  onOverLimit: (sample: TreeSample) => void
}

export class ResourceMonitor {
  private readonly options: ResourceMonitorOptions
  private timer: ReturnType<typeof setTimeout> | undefined
  private running = false
  private scheduledBusy = false
  private lastPublishedMs = -Infinity
  peakRssBytes = 0
  last: TreeSample | undefined

  constructor(options: ResourceMonitorOptions) {
    this.options = options
  }

  start(): void {
    this.running = true
    // The first sample right after the caller's turn, not inside it: listing the tree reads /proc synchronously,
    // and `start` sits on a sandbox's path to ready.
    setImmediate(() => void this.tick())
  }

  /**
   * A request started: switch to fast sampling instead of waiting out the current slow interval. Cheap when
   * already sampling fast, so calling it on every request does not add a sample per request.
   */
  wake(): void {
    if (!this.running || this.timer === undefined || this.scheduledBusy) return
    clearTimeout(this.timer)
    const sinceLastMs = this.last ? this.options.now() - this.last.atMs : Infinity
    this.arm(Math.max(0, this.options.busyIntervalMs - sinceLastMs), true)
  }

  private arm(delayMs: number, busy: boolean): void {
    this.scheduledBusy = busy
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.tick()
    }, delayMs)
    this.timer.unref()
  }

  stop(): void {
    this.running = false
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  private schedule(): void {
    if (!this.running) return
    const busy = this.options.isBusy()
    this.arm(busy ? this.options.busyIntervalMs : this.options.sampleIntervalMs, busy)
  }

  /** Takes one sample now (also used by the instance right before it builds a result). */
  async sample(): Promise<TreeSample | undefined> {
    const pids = this.options.pids()
    if (pids.length === 0) return undefined
    let stats: Record<string, { cpu: number; memory: number; ctime: number }>
    try {
      stats = await pidusage(pids)
    } catch {
      return undefined // a process of the tree ended between listing and sampling; the next tick retries
    }
    let rssBytes = 0
    let cpuPercent = 0
    let cpuMs = 0
    for (const stat of Object.values(stats)) {
      if (!stat) continue
      rssBytes += stat.memory
      cpuPercent += stat.cpu
      cpuMs += stat.ctime
    }
    const sample = { atMs: this.options.now(), cpuPercent, rssBytes, cpuMs }
    this.last = sample
    if (rssBytes > this.peakRssBytes) this.peakRssBytes = rssBytes
    return sample
  }

  private async tick(): Promise<void> {
    if (!this.running) return
    const sample = await this.sample()
    if (!this.running) return
    if (sample) {
      if (sample.rssBytes > this.options.limitBytes) {
        this.options.onOverLimit(sample)
        return
      }
      if (sample.atMs - this.lastPublishedMs >= this.options.sampleIntervalMs) {
        this.lastPublishedMs = sample.atMs
        this.options.onSample(sample)
      }
    }
    this.schedule()
  }
}
