/**
 * The recharts drawing of one process: CPU % (left axis) and RSS MiB (right axis) against time relative to
 * the latest sample ("-5m" … "now"), the memory cap as a dashed line, kills and crashes as vertical marks. Memoised on primitive or store-stable props, so the live
 * header above it re-renders on a tick without touching the chart; every object handed to recharts is either
 * a module constant or memoised, so recharts' own store sees no spurious changes; animation is off.
 */
import { memo, useMemo } from 'react'
import { CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, XAxis, YAxis } from 'recharts'
import type { ResourceSample, SandboxExit } from '../../../../shared/sandbox.ts'
import { downsample, formatRelative, relativeTicks, rssAxis, spanSeconds } from './chart-data.ts'

export interface ResourceChartProps {
  samples: readonly ResourceSample[]
  exits: readonly SandboxExit[]
  /** Right edge of the time axis (server clock of the latest tick). */
  nowMs: number
  windowMs: number
  capMiB: number
}

/** About one point per 3 px of a ~420 px plot: more is invisible and only costs path length. */
export const MAX_CHART_POINTS = 140
/** A fresh process's chart spans at least this much, so a few samples do not fill the whole width. */
const MIN_SPAN_MS = 60_000
const HEIGHT = 150
const margin = { top: 8, right: 4, bottom: 0, left: 0 }
const tickStyle = { fontSize: 10 }
const cpuDomain = [0, 100]
const cpuTicks = [0, 25, 50, 75, 100]
const initialDimension = { width: 480, height: HEIGHT }
/** A kill/crash mark's label sits on the side of its line that has room (left of a recent mark). */
const exitLabel = (reason: string, recent: boolean) => ({ value: `✖ ${reason.replace('_', ' ')}`, position: recent ? ('insideTopRight' as const) : ('insideTopLeft' as const), fontSize: 10, fill: 'var(--critical)' })

export const ResourceChart = memo(function ResourceChart({ samples, exits, nowMs, windowMs, capMiB }: ResourceChartProps): React.JSX.Element {
  const endMs = Math.max(nowMs, samples.at(-1)?.atMs ?? 0)
  const spanS = spanSeconds(samples[0]?.atMs, endMs, windowMs, MIN_SPAN_MS)
  const startMs = endMs - spanS * 1000
  // Relative axis: its props change only when the span does, so recharts re-registers nothing per redraw.
  const x = useMemo(() => ({ domain: [-spanS, 0], ticks: relativeTicks(spanS) }), [spanS])
  const data = useMemo(() => downsample(samples, startMs, endMs, MAX_CHART_POINTS), [samples, startMs, endMs])
  const rss = useMemo(() => rssAxis(capMiB), [capMiB])
  // On the left, where a young process has no line yet and an old one has its oldest samples.
  const capLabel = useMemo(() => ({ value: `cap ${Math.round(capMiB)} MiB`, position: 'insideTopLeft' as const, fontSize: 10, fill: 'var(--bad)' }), [capMiB])
  const marks = exits.filter((e) => e.atMs >= startMs)
  return (
    <div className="chart" data-chart-points={data.length}>
      <ResponsiveContainer width="100%" height={HEIGHT} initialDimension={initialDimension}>
        <LineChart data={data} margin={margin}>
          <CartesianGrid stroke="var(--grid)" strokeDasharray="2 4" vertical={false} />
          <XAxis dataKey="ago" type="number" domain={x.domain} ticks={x.ticks} tickFormatter={formatRelative} tick={tickStyle} allowDataOverflow />
          <YAxis yAxisId="cpu" domain={cpuDomain} ticks={cpuTicks} tick={tickStyle} width={42} unit="%" />
          <YAxis yAxisId="rss" orientation="right" domain={rss.domain} ticks={rss.ticks} tick={tickStyle} width={44} unit="M" />
          <ReferenceLine yAxisId="rss" y={capMiB} stroke="var(--bad)" strokeDasharray="6 3" label={capLabel} />
          {marks.map((exit) => (
            <ReferenceLine key={`${exit.atMs}-${exit.reason}`} yAxisId="cpu" x={Math.round((exit.atMs - endMs) / 100) / 10} stroke="var(--critical)" strokeWidth={2} label={exitLabel(exit.reason, exit.atMs - endMs > (-spanS * 1000) / 2)} />
          ))}
          <Line yAxisId="cpu" dataKey="cpu" name="CPU %" stroke="var(--cpu)" dot={false} strokeWidth={1.5} isAnimationActive={false} />
          <Line yAxisId="rss" dataKey="rss" name="RSS MiB" stroke="var(--rss)" dot={false} strokeWidth={1.5} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  )
})
