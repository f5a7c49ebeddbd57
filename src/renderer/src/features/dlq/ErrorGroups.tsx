/** Failures grouped by normalised signature, with one-click actions: show, canary retry, retry when healthy. */
import type { RedriveJob } from '../../../../shared/panel.ts'
import { Since } from '../../components/Since.tsx'
import { ErrorBox } from '../../components/States.tsx'
import { useActions, useApp } from '../../store/use-app.ts'

export function ErrorGroups(): React.JSX.Element {
  const groups = useApp((s) => s.dlq.groups)
  const filter = useApp((s) => s.dlq.filter)
  const breakers = useApp((s) => s.live.breakers)
  const groupsError = useApp((s) => s.dlq.groupsError)
  const { setDlqFilter, canaryRetry, retryWhenHealthy, loadGroups } = useActions()
  return (
    <section className="card groups" aria-labelledby="groups-title">
      <header className="card-head"><h2 id="groups-title">Error groups</h2></header>
      {groups === null && groupsError ? <ErrorBox error={groupsError} retry={() => void loadGroups()} /> : groups === null ? <p className="muted" role="status">Loading groups…</p> : groups.length === 0 ? <p className="muted">No open failures to group.</p> : (
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

const jobTone = (status: RedriveJob['status']): string => (status === 'done' ? 'ok' : status === 'aborted' ? 'bad' : status === 'paused' ? 'warn' : 'info')

/** Redrives started from the error groups: status, progress, why, and whether they survive a restart. */
export function RedriveJobs(): React.JSX.Element {
  const jobs = useApp((s) => s.live.jobs)
  const inMemory = jobs.some((j) => j.survivesRestart === false && j.status !== 'done' && j.status !== 'aborted')
  return (
    <section className="card" aria-labelledby="jobs-title" data-testid="redrive-jobs">
      <header className="card-head"><h2 id="jobs-title">Redrives</h2></header>
      {jobs.length === 0 ? (
        <p className="muted small">None yet. “Canary retry” and “Retry when healthy” on an error group start one here.</p>
      ) : (
        <ul className="job-list">
          {jobs.slice(-6).reverse().map((j) => (
            <li key={j.jobId} data-testid="redrive-job" data-status={j.status}>
              <div>
                <span className={`badge tone-${jobTone(j.status)}`}>{j.status}</span>{' '}
                <strong>{j.kind === 'canary' ? 'Canary' : 'When healthy'}</strong>{j.platform ? <span className="muted"> · {j.platform}</span> : null}
                <span className="muted"> · started <Since atMs={j.createdAtMs} /></span>
                {j.survivesRestart === false && j.status !== 'done' && j.status !== 'aborted' ? <span className="badge tone-warn job-memory" title="Held in the engine host's memory: a restart stops this redrive. Entries not yet retried stay in the queue.">lost on restart</span> : null}
              </div>
              <div className="job-progress" aria-label={`${j.retried} of ${j.total} retried`}>
                <span className="capacity-bar" aria-hidden="true"><span style={{ width: `${j.total ? Math.min(100, (j.retried / j.total) * 100) : 0}%` }} /></span>
                <span>{j.retried}/{j.total} retried</span>
              </div>
              <div className="muted">{j.detail}</div>
            </li>
          ))}
        </ul>
      )}
      {inMemory ? <p className="muted small" role="note">Redrives run in the engine host's memory: restarting the app stops them. Nothing is lost from the queue — entries not yet retried stay there and can be redriven again.</p> : null}
    </section>
  )
}
