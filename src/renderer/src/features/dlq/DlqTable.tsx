/** The paged dead-letter table with row selection; a row opens its detail (click or Enter). */
import { Badge } from '../../components/Badge.tsx'
import { Since, Until } from '../../components/Since.tsx'
import { Empty, ErrorBox, Loading } from '../../components/States.tsx'
import { DLQ_PAGE_SIZE } from '../../store/dlq-slice.ts'
import { useActions, useApp } from '../../store/use-app.ts'

export function DlqTable(): React.JSX.Element {
  const page = useApp((s) => s.dlq.page)
  const loading = useApp((s) => s.dlq.loading)
  const error = useApp((s) => s.dlq.error)
  const selected = useApp((s) => s.dlq.selected)
  const openId = useApp((s) => s.dlq.detail?.id)
  const back = useApp((s) => s.dlq.back.length)
  const { toggleSelected, setSelected, openDetail, nextDlqPage, prevDlqPage, loadDlqPage } = useActions()
  if (error) return <ErrorBox error={error} retry={() => void loadDlqPage(undefined)} />
  if (!page) return <Loading what="dead letters" />
  if (page.entries.length === 0) return <Empty title="No dead letters match">Nothing failed that matches these filters. Failed requests appear here as soon as the router hands them over.</Empty>
  const ids = page.entries.map((e) => e.id)
  const allSelected = ids.every((id) => selected.includes(id))
  const first = back * DLQ_PAGE_SIZE + 1
  return (
    <div className={loading ? 'table-wrap is-loading' : 'table-wrap'}>
      <table className="table dlq-table" aria-label="Dead letters">
        <thead>
          <tr>
            <th><input type="checkbox" aria-label="Select all on this page" checked={allSelected} onChange={() => setSelected(allSelected ? [] : ids)} /></th>
            <th>State</th><th>Platform</th><th>Error</th><th className="num">Attempts</th><th>Next retry</th><th>Age</th>
          </tr>
        </thead>
        <tbody>
          {page.entries.map((entry) => (
            <tr
              key={entry.id}
              className={entry.id === openId ? 'selected-row' : undefined}
              data-testid={`dlq-row-${entry.id}`}
              tabIndex={0}
              onClick={() => void openDetail(entry.id)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && e.target === e.currentTarget) void openDetail(entry.id)
              }}
            >
              <td onClick={(e) => e.stopPropagation()}>
                <input type="checkbox" aria-label={`Select ${entry.id}`} checked={selected.includes(entry.id)} onChange={() => toggleSelected(entry.id)} />
              </td>
              <td><Badge state={entry.state} /></td>
              <td>{entry.platform ?? <span className="muted">unrouted</span>}</td>
              <td className="error-cell"><span className="code">{entry.lastError?.code ?? '—'}</span> {entry.lastError?.message ?? entry.deadReason ?? ''}</td>
              <td className="num">{entry.attemptCount}/{entry.maxAttempts}</td>
              <td>{entry.nextAttemptAtMs !== null && (entry.state === 'pending' || entry.state === 'retrying') ? <Until atMs={entry.nextAttemptAtMs} /> : '—'}</td>
              <td><Since atMs={entry.createdAtMs} suffix="" /></td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="pager">
        <span className="muted">{first}–{first + page.entries.length - 1} of {page.total}</span>
        <button type="button" className="small" onClick={() => void prevDlqPage()} disabled={back === 0}>‹ Newer</button>
        <button type="button" className="small" onClick={() => void nextDlqPage()} disabled={!page.nextCursor}>Older ›</button>
      </div>
    </div>
  )
}
