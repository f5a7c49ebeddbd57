/** One dead letter: the original (and edited) request, every attempt, every operator action, and actions. */
import { useEffect, useRef, useState } from 'react'
import { Badge } from '../../components/Badge.tsx'
import { ReasonDialog } from '../../components/ReasonDialog.tsx'
import { ErrorBox, Loading } from '../../components/States.tsx'
import { useUsableFocus } from '../../hooks/use-usable-focus.ts'
import { formatClock, formatMs } from '../../lib/format.ts'
import { useActions, useApp } from '../../store/use-app.ts'

/** Edits the payload the next retry sends; the queue keeps the original beside it. */
function PayloadEditor({ id, request, onDone }: { id: string; request: Record<string, unknown>; onDone: () => void }): React.JSX.Element {
  const editPayload = useActions().editPayload
  const [text, setText] = useState(() => JSON.stringify(request, null, 2))
  const [problem, setProblem] = useState<string | null>(null)
  const save = async (): Promise<void> => {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (cause) {
      setProblem(`Not JSON: ${cause instanceof Error ? cause.message : String(cause)}`)
      return
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      setProblem('The payload must be a JSON object')
      return
    }
    if (await editPayload(id, parsed as Record<string, unknown>, 'edited in the panel')) onDone()
  }
  return (
    <div className="editor">
      <label className="field">
        <span>Payload for the next retry (the original is kept)</span>
        <textarea className="mono" rows={10} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} aria-label="Edited payload" />
      </label>
      {problem ? <div className="notice notice-error" role="alert">{problem}</div> : null}
      <div className="actions-bar">
        <button type="button" className="primary" onClick={() => void save()}>Save payload</button>
        <button type="button" onClick={onDone}>Cancel</button>
      </div>
    </div>
  )
}

export function DlqDetail(): React.JSX.Element | null {
  const detail = useApp((s) => s.dlq.detail)
  const { closeDetail, retryEntries, discardEntries, openDetail, undoDiscard } = useActions()
  const [discarding, setDiscarding] = useState(false)
  const [editing, setEditing] = useState(false)
  const heading = useRef<HTMLHeadingElement>(null)
  const aside = useUsableFocus<HTMLElement>()
  const id = detail?.id
  // Opening an entry (click or Enter on its row) moves focus into the detail; closing gives it back to the row.
  useEffect(() => {
    if (id !== undefined) heading.current?.focus()
  }, [id])
  if (!detail) return null
  const close = (): void => {
    const row = [...document.querySelectorAll<HTMLElement>('tr[data-testid^="dlq-row-"]')].find((r) => r.dataset['testid'] === `dlq-row-${detail.id}`)
    closeDetail()
    row?.focus()
  }
  return (
    <aside
      ref={aside}
      className="card detail"
      aria-label={`Dead letter ${detail.id}`}
      data-testid="dlq-detail"
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !discarding && !editing) close()
      }}
    >
      <header className="card-head">
        <h2 className="mono" ref={heading} tabIndex={-1}>{detail.id}</h2>
        {detail.data ? <Badge state={detail.data.entry.state} /> : null}
        <span className="spacer" />
        <button type="button" className="link" onClick={close} aria-label="Close detail" title="Close (Esc)">×</button>
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
              <button type="button" disabled={!open || editing} onClick={() => setEditing(true)}>Edit payload…</button>
              {entry.state === 'discarded' ? <button type="button" onClick={() => void undoDiscard([entry.id])}>Undo discard</button> : null}
            </div>
            {editing ? <PayloadEditor id={entry.id} request={entry.request} onDone={() => setEditing(false)} /> : null}
            <dl className="kv">
              <dt>Route</dt><dd>{entry.platform ?? 'unrouted'} · rule {entry.ruleId ?? '—'}</dd>
              <dt>Attempts</dt><dd>{entry.attemptCount} of {entry.maxAttempts}{entry.round > 0 ? ` in manual round ${entry.round}` : ''}</dd>
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
