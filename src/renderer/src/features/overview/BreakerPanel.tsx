/** One platform's breaker: state and since when, failure rate vs threshold, last cause, next probe, history, actions. */
import { useState } from 'react'
import { Badge } from '../../components/Badge.tsx'
import { ReasonDialog } from '../../components/ReasonDialog.tsx'
import { Since, Until } from '../../components/Since.tsx'
import { formatClock, formatPercent } from '../../lib/format.ts'
import type { BreakerSnapshot } from '../../../../shared/routing.ts'
import { useApp } from '../../store/use-app.ts'

/** "rate 40% of 5 calls in 30 s (opens at 50%)", or why there is no rate yet. */
function failureRateText(b: BreakerSnapshot): string {
  const window = `${Math.round(b.windowMs / 1000)} s`
  const opensAt = `opens at ${formatPercent(b.failureRateThreshold)}`
  if (b.failureRate === null) {
    return b.callsInWindow === 0 ? `no calls in the last ${window} (rate ${opensAt} from ${b.minimumCalls} calls)` : `${b.callsInWindow} of ${b.minimumCalls} calls needed for a rate in ${window} (${opensAt})`
  }
  return `rate ${formatPercent(b.failureRate)} of ${b.callsInWindow} call${b.callsInWindow === 1 ? '' : 's'} in ${window} (${opensAt})`
}

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
        <dd data-testid={`breaker-failures-${platform}`}>
          {breaker.consecutiveFailures} of {breaker.consecutiveThreshold} in a row · {failureRateText(breaker)}
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
          <summary>{last.length === 1 ? 'Last transition' : `Last ${last.length} transitions`}</summary>
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
