/** A platform: its rates and latencies, its breaker, and its instances. */
import { useShallow } from 'zustand/react/shallow'
import { formatMs, formatRate } from '../../lib/format.ts'
import { useApp } from '../../store/use-app.ts'
import { BreakerPanel } from './BreakerPanel.tsx'
import { InstanceRow } from './InstanceRow.tsx'

function Metrics({ platform }: { platform: string }): React.JSX.Element {
  const m = useApp((s) => s.live.metrics[platform])
  const errorRate = m && m.requestsPerSec > 0 ? m.errorsPerSec / m.requestsPerSec : 0
  return (
    <div className="metrics">
      <div className="metric"><span className="metric-value">{m ? formatRate(m.requestsPerSec) : '—'}</span><span className="metric-label">req/s</span></div>
      <div className={`metric${errorRate > 0.05 ? ' metric-bad' : ''}`}><span className="metric-value">{m ? formatRate(m.errorsPerSec) : '—'}</span><span className="metric-label">errors/s</span></div>
      <div className="metric"><span className="metric-value">{m ? formatMs(m.p50Ms) : '—'}</span><span className="metric-label">p50</span></div>
      <div className="metric"><span className="metric-value">{m ? formatMs(m.p95Ms) : '—'}</span><span className="metric-label">p95</span></div>
      <div className="metric"><span className="metric-value">{m ? m.inFlight : '—'}</span><span className="metric-label">in flight</span></div>
      <div className={`metric${m && m.queued > 0 ? ' metric-bad' : ''}`}><span className="metric-value">{m ? m.queued : '—'}</span><span className="metric-label">waiting</span></div>
    </div>
  )
}

export function PlatformCard({ platform }: { platform: string }): React.JSX.Element {
  const instanceIds = useApp(useShallow((s) => s.live.plugins[platform]?.instances.map((i) => i.instanceId) ?? []))
  const version = useApp((s) => s.live.plugins[platform]?.version)
  return (
    <section className="card platform-card" aria-labelledby={`platform-${platform}`} data-testid={`platform-${platform}`}>
      <header className="card-head">
        <h2 id={`platform-${platform}`}>{platform}</h2>
        {version ? <span className="muted">v{version}</span> : null}
        <span className="muted">{instanceIds.length} instance{instanceIds.length === 1 ? '' : 's'}</span>
      </header>
      <Metrics platform={platform} />
      <BreakerPanel platform={platform} />
      {instanceIds.length ? (
        <table className="table compact">
          <thead>
            <tr><th>Instance</th><th>State</th><th className="num">PID</th><th className="num">In flight</th><th className="num">Restarts</th><th>Uptime</th><th>Last exit</th><th><span className="sr-only">Actions</span></th></tr>
          </thead>
          <tbody>
            {instanceIds.map((id) => <InstanceRow key={id} platform={platform} instanceId={id} />)}
          </tbody>
        </table>
      ) : (
        <p className="muted">No instances are running for this platform.</p>
      )}
    </section>
  )
}
