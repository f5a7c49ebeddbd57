/** Counts by state, live, with size against capacity (warning before it fills, loud when full). */
import { Badge } from '../../components/Badge.tsx'
import { useApp } from '../../store/use-app.ts'

const states = ['pending', 'retrying', 'dead', 'resolved', 'discarded'] as const

export function DlqCounts(): React.JSX.Element {
  const counts = useApp((s) => s.live.dlqCounts)
  if (!counts) return <div className="dlq-counts muted">Counts unavailable</div>
  const level = counts.full ? 'bad' : counts.live >= counts.warningAt ? 'warn' : 'ok'
  return (
    <div className="dlq-counts" data-testid="dlq-counts" aria-label="Dead letters by state">
      {states.map((state) => (
        <span key={state} className="count" data-testid={`count-${state}`}>
          <Badge state={state} /> <strong>{counts[state]}</strong>
        </span>
      ))}
      <span className={`capacity capacity-${level}`} title={`Open entries against the queue's capacity; warns from ${counts.warningAt.toLocaleString()}`}>
        {counts.full ? 'FULL — new failures are refused: ' : ''}{counts.live.toLocaleString()} / {counts.capacity.toLocaleString()} held
        <span className="capacity-bar" aria-hidden="true"><span style={{ width: `${Math.min(100, (counts.live / Math.max(1, counts.capacity)) * 100)}%` }} /></span>
      </span>
    </div>
  )
}
