/** One platform's breaker: state and since when, failure rate vs threshold, last cause, next probe, history, actions. */
import { useState } from 'react'
import { Badge } from '../../components/Badge.tsx'
import { ReasonDialog } from '../../components/ReasonDialog.tsx'
import { Since, Until } from '../../components/Since.tsx'
import { formatClock, formatPercent } from '../../lib/format.ts'
import { useApp } from '../../store/use-app.ts'

export function BreakerPanel({ platform }: { platform: string }): React.JSX.Element | null {
  const breaker = useApp((s) => s.live.breakers[platform])
  const resetBreaker = useApp((s) => s.resetBreaker)
  const forceOpenBreaker = useApp((s) => s.forceOpenBreaker)
  const [dialog, setDialog] = useState<'reset' | 'force' | null>(null)
  if (!breaker) return <div className="breaker muted">No breaker data</div>
  const last = breaker.transitions.slice(-5).reverse()
  return (
    <div className={`breaker breaker-${breaker.state}`} data-testid={`breaker-${platform}`}>
      <div className="breaker-head">
        <Badge state={breaker.state} />
        <span className="muted">since <Since atMs={breaker.sinceMs} /></span>
        {breaker.nextProbeAtMs !== null ? <span className="muted">next probe <Until atMs={breaker.nextProbeAtMs} /></span> : null}
        <span className="spacer" />
        {breaker.state === 'closed' ? (
          <button type="button" className="small" onClick={() => setDialog('force')}>Force open…</button>
        ) : (
          <button type="button" className="small" onClick={() => setDialog('reset')}>Reset…</button>
        )}
      </div>
      <dl className="kv">
        <dt>Failures</dt>
        <dd>
          {breaker.consecutiveFailures}/{breaker.consecutiveThreshold} consecutive · {formatPercent(breaker.failureRate)} of {breaker.callsInWindow} calls vs {formatPercent(breaker.failureRateThreshold)} over {Math.round(breaker.windowMs / 1000)}s
        </dd>
        <dt>Last cause</dt>
        <dd className="cause">{breaker.lastFailure ? breaker.lastFailure.cause : '—'}</dd>
        {breaker.lastProbe ? (
          <>
            <dt>Last probe</dt>
            <dd>{breaker.lastProbe.ok ? 'succeeded' : `failed${breaker.lastProbe.cause ? `: ${breaker.lastProbe.cause}` : ''}`} at {formatClock(breaker.lastProbe.atMs)}</dd>
          </>
        ) : null}
      </dl>
      {last.length ? (
        <details className="transitions">
          <summary>Last {last.length} transitions</summary>
          <ol>
            {last.map((t) => (
              <li key={`${t.atMs}-${t.to}`}>
                <span className="mono">{formatClock(t.atMs)}</span> {t.from} → <Badge state={t.to} /> {t.manual ? <em>manual</em> : null} {t.cause}
              </li>
            ))}
          </ol>
        </details>
      ) : null}
      {dialog ? (
        <ReasonDialog
          title={dialog === 'reset' ? `Reset the ${platform} breaker` : `Force the ${platform} breaker open`}
          message={dialog === 'reset' ? 'Requests flow to the platform again at once.' : 'Every request to this platform is rejected until the breaker is reset.'}
          confirmLabel={dialog === 'reset' ? 'Reset breaker' : 'Force open'}
          danger={dialog === 'force'}
          onCancel={() => setDialog(null)}
          onConfirm={(reason) => {
            setDialog(null)
            void (dialog === 'reset' ? resetBreaker(platform, reason) : forceOpenBreaker(platform, reason))
          }}
        />
      ) : null}
    </div>
  )
}
