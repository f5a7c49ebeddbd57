/**
 * Test routing: pick a sample or write JSON, ask "where would it go" (determineRoute, nothing executes) or
 * "send it" (routeRequest); shows the decision, the rule, the response or error, and the timing.
 */
import { useState } from 'react'
import { Badge } from '../../components/Badge.tsx'
import { useShallow } from 'zustand/react/shallow'
import { Empty, ErrorBox } from '../../components/States.tsx'
import { describeError } from '../../lib/describe-error.ts'
import { formatMs } from '../../lib/format.ts'
import { useApp } from '../../store/use-app.ts'
import { sampleRequests } from './samples.ts'

function RouteResult(): React.JSX.Element | null {
  const { result, error, pending, run } = useApp(useShallow((s) => s.routing))
  if (pending) return <div className="state-box loading" role="status" aria-busy="true"><span className="spinner" aria-hidden="true" /> Routing…</div>
  if (error) return <ErrorBox error={error} />
  if (!result) return <Empty title="Nothing routed yet">Pick a sample or write a request, then ask where it would go (nothing runs) or send it (a plugin answers).</Empty>
  const { decision, response } = result
  return (
    <div className="route-result" data-testid="route-result" data-run={run} aria-live="polite">
      <section>
        <h3>Decision {decision.ok ? <Badge state="ok" label="routed" /> : <Badge state="rejected" />}</h3>
        {decision.ok ? (
          <dl className="kv">
            <dt>Platform{decision.platforms.length > 1 ? 's (fan-out)' : ''}</dt><dd data-testid="decision-platforms">{decision.platforms.join(', ')}</dd>
            <dt>Rule</dt><dd className="mono" data-testid="decision-rule">{decision.ruleId}</dd>
            <dt>Instance</dt><dd className="mono">{Object.entries(decision.instances).map(([p, i]) => `${p} → ${i}`).join(', ')}</dd>
            <dt>Why</dt><dd>{decision.reason}</dd>
            <dt>Timeout</dt><dd>{formatMs(decision.timeoutMs)}</dd>
          </dl>
        ) : (
          <div className="cause" data-testid="decision-error">{describeError(decision.error)}{decision.ruleId ? ` (rule ${decision.ruleId})` : ''}</div>
        )}
      </section>
      {response ? (
        <section>
          <h3>Response <Badge state={response.status} /></h3>
          {response.error ? <div className="cause" data-testid="response-error">{describeError(response.error)}</div> : null}
          {response.dlqId ? <p data-testid="response-dlq">Handed to the dead-letter queue as <span className="mono">{response.dlqId}</span>.</p> : null}
          {response.results.map((r) => (
            <div key={r.platform} className="outcome">
              <div><strong>{r.platform}</strong> {r.ok ? <Badge state="ok" /> : <Badge state="failed" />} <span className="muted">{r.instanceId ?? 'no instance'} · {formatMs(r.durationMs)}</span></div>
              <pre className="json" data-testid={`response-${r.platform}`}>{r.ok ? JSON.stringify(r.output, null, 2) : describeError(r.error)}</pre>
            </div>
          ))}
        </section>
      ) : null}
      <section>
        <h3>Timing</h3>
        <dl className="kv" data-testid="route-timing">
          <dt>Decision</dt><dd>{formatMs(result.routeMs)} <span className="muted">determineRoute</span></dd>
          {result.executed ? <><dt>Delivery</dt><dd>{formatMs(Math.max(0, result.totalMs - result.routeMs))} <span className="muted">routeRequest, plugin answer included</span></dd></> : null}
          <dt>Total</dt><dd><strong>{formatMs(result.totalMs)}</strong>{result.executed ? '' : <span className="muted"> · nothing was executed</span>}</dd>
        </dl>
      </section>
    </div>
  )
}

export function TestRoutingView(): React.JSX.Element {
  const testRoute = useApp((s) => s.testRoute)
  const pending = useApp((s) => s.routing.pending)
  const [text, setText] = useState(() => JSON.stringify(sampleRequests[0]!.request, null, 2))
  const [parseError, setParseError] = useState<string | null>(null)
  const run = (execute: boolean): void => {
    let request: unknown
    try {
      request = JSON.parse(text)
    } catch (cause) {
      setParseError(`Not JSON: ${cause instanceof Error ? cause.message : String(cause)}`)
      return
    }
    setParseError(null)
    void testRoute(request, execute)
  }
  return (
    <div className="view routing-layout">
      <section className="card" aria-labelledby="route-form-title">
        <header className="card-head"><h2 id="route-form-title">Request</h2></header>
        <div className="samples" role="group" aria-label="Sample requests">
          {sampleRequests.map((s) => (
            <button key={s.id} type="button" className="chip" onClick={() => setText(JSON.stringify(s.request, null, 2))}>{s.label}</button>
          ))}
        </div>
        <label className="field">
          <span>Request JSON</span>
          <textarea className="mono" rows={14} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} aria-label="Request JSON" />
        </label>
        {parseError ? <div className="notice notice-error" role="alert">{parseError}</div> : null}
        <div className="actions-bar">
          <button type="button" onClick={() => run(false)} disabled={pending}>Where would it go?</button>
          <button type="button" className="primary" onClick={() => run(true)} disabled={pending}>Send it</button>
        </div>
      </section>
      <section className="card" aria-labelledby="route-result-title">
        <header className="card-head"><h2 id="route-result-title">Result</h2></header>
        <RouteResult />
      </section>
    </div>
  )
}
