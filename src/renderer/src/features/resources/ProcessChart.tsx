/**
 * One sandbox process on the Resources view: a live header (state, pid, CPU, RSS, peak against the cap) and
 * its last 5 minutes as a chart, with every kill/crash listed under it. The header follows every tick; the
 * chart is drawn only while the card is on screen, redraws when its turn comes (one chart per animation
 * frame across the page, see use-paced.ts), and being memoised it is skipped by the header's renders.
 */
import { memo, useRef } from 'react'
import { Badge } from '../../components/Badge.tsx'
import { formatClock, formatMiB } from '../../lib/format.ts'
import { RESOURCE_WINDOW_MS } from '../../store/app-store.ts'
import { useInView } from '../../hooks/use-in-view.ts'
import { usePaced } from '../../hooks/use-paced.ts'
import { useApp } from '../../store/use-app.ts'
import { ResourceChart } from './ResourceChart.tsx'

const MiB = 1048576
const noSamples: never[] = []
/**
 * The chart moves in steps of this much: at 5 minutes across ~420 px one second is ~1.4 px, so redrawing
 * every 2 s halves the cost and looks the same. The header's numbers still follow every tick.
 */
export const CHART_STEP_MS = 2000

export const ProcessChart = memo(function ProcessChart({ instanceId }: { instanceId: string }): React.JSX.Element | null {
  const [ref, inView] = useInView<HTMLElement>('0px')
  const process = useApp((s) => s.live.processes[instanceId])
  const samples = useApp((s) => s.samples[instanceId] ?? noSamples)
  const exits = useApp((s) => s.exits[instanceId] ?? noSamples)
  // Off screen, the card ignores the clock so a tick does not re-render it.
  const liveNowMs = useApp((s) => (inView ? s.live.atMs : 0))
  // The chart takes the samples as of its last 2 s step (or the first ones at once), then waits for its turn
  // (one chart per frame across the page); the header above is live.
  const stepNowMs = Math.floor(liveNowMs / CHART_STEP_MS) * CHART_STEP_MS
  const step = useRef({ atMs: stepNowMs, samples })
  if (step.current.atMs !== stepNowMs || (step.current.samples.length === 0 && samples.length > 0)) step.current = { atMs: stepNowMs, samples }
  const [chartSamples, nowMs] = usePaced(`chart:${instanceId}`, [step.current.samples, liveNowMs === 0 ? 0 : step.current.atMs] as const)
  if (!process) return null
  const last = samples.at(-1)
  const peak = samples.reduce((max, x) => Math.max(max, x.rssBytes), 0)
  const nearCap = last !== undefined && last.rssBytes >= process.memoryCapBytes * 0.8
  return (
    <section ref={ref} className="card process-card" aria-label={`Resources of ${instanceId}`} data-testid={`process-${instanceId}`} data-points={samples.length}>
      <header className="card-head">
        <h3 className="mono">{instanceId}</h3>
        <Badge state={process.state} />
        <span className="muted">{process.platform} · pid {process.pid ?? '—'}</span>
      </header>
      <div className="process-stats">
        <span className="stat"><span className="swatch cpu" />CPU <strong>{last ? `${last.cpuPercent.toFixed(0)}%` : '—'}</strong></span>
        <span className={nearCap ? 'stat near-cap' : 'stat'} title={nearCap ? 'Above 80% of the memory cap' : undefined}><span className="swatch rss" />RSS <strong>{last ? formatMiB(last.rssBytes) : '—'}</strong></span>
        <span className="stat muted">peak {peak ? formatMiB(peak) : '—'}</span>
        <span className="stat muted"><span className="swatch cap" />cap {formatMiB(process.memoryCapBytes)}</span>
      </div>
      {!inView ? (
        <div className="chart-empty" aria-hidden="true" />
      ) : chartSamples.length === 0 ? (
        <p className="chart-empty muted">No samples yet — the runner samples each live process once a second.</p>
      ) : (
        <ResourceChart samples={chartSamples} exits={exits} nowMs={nowMs} windowMs={RESOURCE_WINDOW_MS} capMiB={process.memoryCapBytes / MiB} />
      )}
      {exits.length ? (
        <ul className="exit-list">
          {exits.slice(-3).map((exit) => (
            <li key={`${exit.atMs}-${exit.reason}`}><Badge state="failed" label={exit.reason.replace('_', ' ')} /> {formatClock(exit.atMs)} {exit.detail}</li>
          ))}
        </ul>
      ) : null}
    </section>
  )
})
