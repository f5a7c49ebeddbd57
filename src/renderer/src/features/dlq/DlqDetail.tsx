/** One dead letter: the original (and edited) request, every attempt, every operator action, and actions. */
import { useState } from 'react'
import { Badge } from '../../components/Badge.tsx'
import { ReasonDialog } from '../../components/ReasonDialog.tsx'
import { ErrorBox, Loading } from '../../components/States.tsx'
import { formatClock, formatMs } from '../../lib/format.ts'
import { useActions, useApp } from '../../store/use-app.ts'

export function DlqDetail(): React.JSX.Element | null {
  const detail = useApp((s) => s.dlq.detail)
  const { closeDetail, retryEntries, discardEntries, openDetail } = useActions()
  const [discarding, setDiscarding] = useState(false)
  if (!detail) return null
  return (
    <aside className="card detail" aria-label={`Dead letter ${detail.id}`} data-testid="dlq-detail">
      <header className="card-head">
        <h2 className="mono">{detail.id}</h2>
        {detail.data ? <Badge state={detail.data.entry.state} /> : null}
        <span className="spacer" />
        <button type="button" className="link" onClick={closeDetail} aria-label="Close detail">×</button>
      </header>
      {detail.error ? <ErrorBox error={detail.error} retry={() => void openDetail(detail.id)} /> : null}
      {!detail.data && !detail.error ? <Loading what="entry" /> : null}
      {detail.data ? (() => {
        const { entry, attempts, actions } = detail.data
        const open = entry.state === 'pending' || entry.state === 'dead' || entry.state === 'retrying'
        return (
          <>
            <div className="actions-bar">
              <button type="button" className="primary" disabled={!open} onClick={() => void retryEntries([entry.id])}>Retry</button>
              <button type="button" className="danger" disabled={!open} onClick={() => setDiscarding(true)}>Discard…</button>
            </div>
            <dl className="kv">
              <dt>Route</dt><dd>{entry.platform ?? 'unrouted'} · rule {entry.ruleId ?? '—'}</dd>
              <dt>Attempts</dt><dd>{entry.attemptCount}/{entry.maxAttempts} (round {entry.round})</dd>
              <dt>Signature</dt><dd className="mono small">{entry.signature}</dd>
              {entry.deadReason ? <><dt>Dead because</dt><dd>{entry.deadReason}</dd></> : null}
              {entry.discard ? <><dt>Discarded</dt><dd>{formatClock(entry.discard.atMs)}: {entry.discard.reason}</dd></> : null}
            </dl>
            <h3>Request{entry.originalRequest ? ' (edited)' : ''}</h3>
            <pre className="json" data-testid="dlq-request">{JSON.stringify(entry.request, null, 2)}</pre>
            {entry.originalRequest ? (<><h3>Original request</h3><pre className="json">{JSON.stringify(entry.originalRequest, null, 2)}</pre></>) : null}
            <h3>Attempts ({attempts.length})</h3>
            <ol className="attempts">
              {attempts.map((a, i) => (
                <li key={`${a.atMs}-${i}`} className={`attempt attempt-${a.outcome}`}>
                  <span className="mono">{formatClock(a.atMs)}</span> <Badge state={a.outcome === 'delivered' ? 'resolved' : a.outcome === 'deferred' ? 'pending' : 'failed'} label={a.outcome} />
                  <span className="muted"> {a.origin}{a.n !== null ? ` #${a.n}` : ''} · {formatMs(a.durationMs)}{a.instanceId ? ` · ${a.instanceId}` : ''}</span>
                  {a.error ? <div className="cause"><span className="code">{a.error.code}</span> {a.error.message}</div> : null}
                  {a.note ? <div className="muted">{a.note}</div> : null}
                </li>
              ))}
            </ol>
            {actions.length ? (
              <>
                <h3>Operator actions</h3>
                <ul className="actions-log">{actions.map((a) => <li key={a.id}><span className="mono">{formatClock(a.atMs)}</span> {a.kind}{a.reason ? `: ${a.reason}` : ''}</li>)}</ul>
              </>
            ) : null}
            {discarding ? (
              <ReasonDialog title={`Discard ${entry.id}`} message="The entry is kept with your reason and can be restored." confirmLabel="Discard" danger onCancel={() => setDiscarding(false)} onConfirm={(reason) => { setDiscarding(false); void discardEntries([entry.id], reason) }} />
            ) : null}
          </>
        )
      })() : null}
    </aside>
  )
}
