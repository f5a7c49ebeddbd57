/** Failures grouped by normalised signature, with one-click actions: show, canary retry, retry when healthy. */
import { Since } from '../../components/Since.tsx'
import { useActions, useApp } from '../../store/use-app.ts'

export function ErrorGroups(): React.JSX.Element {
  const groups = useApp((s) => s.dlq.groups)
  const filter = useApp((s) => s.dlq.filter)
  const breakers = useApp((s) => s.live.breakers)
  const { setDlqFilter, canaryRetry, retryWhenHealthy } = useActions()
  return (
    <section className="card groups" aria-labelledby="groups-title">
      <header className="card-head"><h2 id="groups-title">Error groups</h2></header>
      {groups === null ? <p className="muted">Loading groups…</p> : groups.length === 0 ? <p className="muted">No open failures to group.</p> : (
        <ul className="group-list">
          {groups.map((g) => (
            <li key={g.signature} className="group" data-testid="error-group">
              <div className="group-head">
                <strong className="group-count">{g.count}×</strong> <span className="code">{g.code}</span> <span className="muted">{g.platform ?? 'unrouted'}</span>
              </div>
              <div className="group-pattern" title={g.sampleMessage}>{g.pattern || g.sampleMessage}</div>
              <div className="muted small">first <Since atMs={g.firstSeenMs} /> · last <Since atMs={g.lastSeenMs} /></div>
              <div className="group-actions">
                <button type="button" className="small" onClick={() => void setDlqFilter({ ...filter, signature: g.signature })}>Show</button>
                <button type="button" className="small" onClick={() => void canaryRetry(g.signature, Math.min(2, g.count))} title="Retry 1–2 first; retry the rest only if they succeed">Canary retry</button>
                {g.platform ? (
                  <button type="button" className="small" onClick={() => void retryWhenHealthy(g.platform!, g.signature)} title={`Starts when the ${g.platform} breaker is closed, ramps up, pauses if it opens`}>
                    Retry when healthy{breakers[g.platform] && breakers[g.platform]!.state !== 'closed' ? ` (${breakers[g.platform]!.state})` : ''}
                  </button>
                ) : null}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

export function RedriveJobs(): React.JSX.Element | null {
  const jobs = useApp((s) => s.live.jobs)
  if (jobs.length === 0) return null
  return (
    <section className="card" aria-labelledby="jobs-title">
      <header className="card-head"><h2 id="jobs-title">Redrives</h2></header>
      <ul className="job-list">
        {jobs.slice(-6).reverse().map((j) => (
          <li key={j.jobId} data-testid="redrive-job" data-status={j.status}>
            <span className={`badge tone-${j.status === 'done' ? 'ok' : j.status === 'aborted' ? 'bad' : j.status === 'paused' ? 'warn' : 'info'}`}>{j.status}</span>{' '}
            <strong>{j.kind === 'canary' ? 'Canary' : 'When healthy'}</strong> {j.retried}/{j.total} · <span className="muted">{j.detail}</span>
          </li>
        ))}
      </ul>
    </section>
  )
}
