/**
 * CPU % and RSS of one sandbox process over the last 5 minutes, with the memory cap drawn as a line and every
 * kill/crash marked where it happened. Animations are off: a 1 Hz redraw must be cheap at 50 processes.
 */
import { memo, useDeferredValue, useMemo } from 'react'
import { CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, XAxis, YAxis } from 'recharts'
import { Badge } from '../../components/Badge.tsx'
import { formatClock, formatMiB } from '../../lib/format.ts'
import { RESOURCE_WINDOW_MS } from '../../store/app-store.ts'
import { useInView } from '../../hooks/use-in-view.ts'
import { useApp } from '../../store/use-app.ts'

const MiB = 1048576
const noSamples: never[] = []
/** At most this many points per line: 5 minutes at 1 Hz is 300; every other one is plenty at this width. */
const MAX_POINTS = 150


export const ProcessChart = memo(function ProcessChart({ instanceId }: { instanceId: string }): React.JSX.Element | null {
  const [ref, inView] = useInView<HTMLElement>('0px')
  const process = useApp((s) => s.live.processes[instanceId])
  const samples = useApp((s) => s.samples[instanceId] ?? noSamples)
  const exits = useApp((s) => s.exits[instanceId] ?? noSamples)
  // Off screen, the card ignores the clock so a tick does not re-render it.
  const liveNowMs = useApp((s) => (inView ? s.live.atMs : 0))
  // The chart redraws in a deferred (interruptible) render, so a tick never blocks frames; the header is live.
  const chartSamples = useDeferredValue(samples)
  const nowMs = useDeferredValue(liveNowMs)
  const data = useMemo(() => {
    if (!inView) return []
    const step = Math.ceil(chartSamples.length / MAX_POINTS)
    const picked = step > 1 ? chartSamples.filter((_, i) => (chartSamples.length - 1 - i) % step === 0) : chartSamples
    return picked.map((x) => ({ t: x.atMs, cpu: Math.round(x.cpuPercent * 10) / 10, rss: Math.round((x.rssBytes / MiB) * 10) / 10 }))
  }, [chartSamples, inView])
  if (!process) return null
  const capMiB = process.memoryCapBytes / MiB
  const last = samples.at(-1)
  const peak = samples.reduce((max, x) => Math.max(max, x.rssBytes), 0)
  const lastCharted = chartSamples.at(-1)
  const xDomain = [Math.max(nowMs, lastCharted?.atMs ?? 0) - RESOURCE_WINDOW_MS, Math.max(nowMs, lastCharted?.atMs ?? 0)]
  return (
    <section ref={ref} className="card process-card" aria-label={`Resources of ${instanceId}`} data-testid={`process-${instanceId}`} data-points={samples.length}>
      <header className="card-head">
        <h3 className="mono">{instanceId}</h3>
        <Badge state={process.state} />
        <span className="muted">{process.platform} · pid {process.pid ?? '—'}</span>
        <span className="spacer" />
        <span className="stat"><span className="swatch cpu" />CPU {last ? `${last.cpuPercent.toFixed(0)}%` : '—'}</span>
        <span className="stat"><span className="swatch rss" />RSS {last ? formatMiB(last.rssBytes) : '—'}</span>
        <span className="stat muted">peak {peak ? formatMiB(peak) : '—'} / cap {formatMiB(process.memoryCapBytes)}</span>
      </header>
      {!inView ? (
        <div className="chart-empty" aria-hidden="true" />
      ) : data.length === 0 ? (
        <p className="chart-empty muted">No samples yet — the runner samples each live process once a second.</p>
      ) : (
        <div className="chart">
        <ResponsiveContainer width="100%" height={150} initialDimension={{ width: 480, height: 150 }}>
        <LineChart data={data} margin={{ top: 8, right: 4, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="var(--grid)" strokeDasharray="2 4" />
          <XAxis dataKey="t" type="number" domain={xDomain} tickFormatter={formatClock} tick={{ fontSize: 10 }} tickCount={6} allowDataOverflow />
          <YAxis yAxisId="cpu" domain={[0, 100]} tick={{ fontSize: 10 }} width={46} unit="%" />
          <YAxis yAxisId="rss" orientation="right" domain={[0, Math.ceil(capMiB * 1.15)]} tick={{ fontSize: 10 }} width={44} unit="M" />
          <ReferenceLine yAxisId="rss" y={capMiB} stroke="var(--bad)" strokeDasharray="6 3" label={{ value: `cap ${Math.round(capMiB)} MiB`, position: 'insideTopRight', fontSize: 10, fill: 'var(--bad)' }} />
          {exits.map((exit) => (
            <ReferenceLine key={`${exit.atMs}-${exit.reason}`} yAxisId="cpu" x={exit.atMs} stroke="var(--critical)" strokeWidth={2} label={{ value: `✖ ${exit.reason.replace('_', ' ')}`, position: 'insideTopLeft', fontSize: 10, fill: 'var(--critical)' }} />
          ))}
          <Line yAxisId="cpu" dataKey="cpu" name="CPU %" stroke="var(--cpu)" dot={false} strokeWidth={1.5} isAnimationActive={false} />
          <Line yAxisId="rss" dataKey="rss" name="RSS MiB" stroke="var(--rss)" dot={false} strokeWidth={1.5} isAnimationActive={false} />
        </LineChart>
        </ResponsiveContainer>
        </div>
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
