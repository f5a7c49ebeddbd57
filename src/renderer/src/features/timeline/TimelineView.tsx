/**
 * One incident timeline per platform: breaker transitions, dead-letter inflow, restarts and kills on one
 * time axis (the last 15 minutes), with the list of incidents below.
 */
import { useMemo } from 'react'
import type { Incident } from '../../../../shared/panel.ts'
import { Empty } from '../../components/States.tsx'
import { formatClock } from '../../lib/format.ts'
import { useApp } from '../../store/use-app.ts'

/** The axis spans from the oldest incident (at least 2 minutes, at most an hour) to now. */
const MIN_WINDOW_MS = 2 * 60_000
const MAX_WINDOW_MS = 60 * 60_000
const kinds: Incident['kind'][] = ['breaker', 'dlq', 'restart', 'kill', 'exit']

function Lane({ platform, incidents, nowMs, windowMs }: { platform: string; incidents: Incident[]; nowMs: number; windowMs: number }): React.JSX.Element {
  const start = nowMs - windowMs
  const x = (atMs: number): number => ((atMs - start) / windowMs) * 100
  const visible = incidents.filter((i) => i.atMs >= start)
  return (
    <section className="card lane" aria-labelledby={`lane-${platform}`} data-testid={`timeline-${platform}`}>
      <header className="card-head">
        <h2 id={`lane-${platform}`}>{platform}</h2>
        <span className="muted">{visible.length} incident{visible.length === 1 ? '' : 's'} in {Math.round(windowMs / 60_000)} min</span>
      </header>
      {visible.length === 0 ? <p className="muted small lane-empty">Quiet: no breaker changes, dead letters, restarts or kills in this window.</p> : null}
      {visible.length === 0 ? null : (<>
      <svg className="lane-axis" viewBox="0 0 100 30" preserveAspectRatio="none" role="img" aria-label={`${platform} incidents on a time axis`}>
        <line x1="0" x2="100" y1="24" y2="24" className="axis" />
        {[0, 1, 2, 3].map((i) => <line key={i} x1={i * 33.33} x2={i * 33.33} y1="20" y2="28" className="axis" />)}
        {visible.map((i, n) => (
          <rect key={`${i.atMs}-${n}`} x={x(i.atMs) - 0.3} y={4 + kinds.indexOf(i.kind) * 3.4} width="0.6" height="3" className={`mark mark-${i.kind}`}>
            <title>{`${formatClock(i.atMs)} ${i.title}`}</title>
          </rect>
        ))}
      </svg>
      <div className="axis-labels muted small"><span>{formatClock(start)}</span><span>{formatClock(start + windowMs / 3)}</span><span>{formatClock(start + (2 * windowMs) / 3)}</span><span>{formatClock(nowMs)}</span></div>
      <ol className="incident-list">
        {visible.slice(-8).reverse().map((i, n) => (
          <li key={`${i.atMs}-${n}`}><span className={`dot mark-${i.kind}`} aria-hidden="true" /> <span className="mono">{formatClock(i.atMs)}</span> <strong>{i.title}</strong> <span className="muted">{i.detail}</span></li>
        ))}
      </ol>
      </>)}
    </section>
  )
}

export function TimelineView(): React.JSX.Element {
  const incidents = useApp((s) => s.incidents)
  const platforms = useApp((s) => s.live.platforms)
  const nowMs = useApp((s) => s.live.atMs)
  const byPlatform = useMemo(() => {
    const map = new Map<string, Incident[]>()
    for (const p of platforms) map.set(p, [])
    for (const i of incidents) map.set(i.platform, [...(map.get(i.platform) ?? []), i])
    return map
  }, [incidents, platforms])
  const oldest = incidents[0]?.atMs ?? nowMs
  const windowMs = Math.min(MAX_WINDOW_MS, Math.max(MIN_WINDOW_MS, Math.ceil(((nowMs - oldest) * 1.1) / 60_000) * 60_000))
  if (platforms.length === 0) return <div className="view"><Empty title="No platforms yet">The timeline fills as breakers change, requests fail, and processes restart.</Empty></div>
  return (
    <div className="view">
      <p className="muted legend">
        {kinds.map((k) => <span key={k}><span className={`dot mark-${k}`} aria-hidden="true" /> {k} </span>)}
      </p>
      {[...byPlatform].map(([platform, list]) => <Lane key={platform} platform={platform} incidents={list} nowMs={nowMs} windowMs={windowMs} />)}
    </div>
  )
}
