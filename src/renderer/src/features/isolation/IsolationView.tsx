/**
 * Isolation per plugin: every layer with its status, mechanism and evidence, the weakest layer highlighted.
 * "Weakest" is the lowest status (unavailable < advisory < enforced-by-polling < enforced) among the layers.
 */
import type { IsolationLayer, IsolationStatus } from '../../../../shared/sandbox.ts'
import { Badge } from '../../components/Badge.tsx'
import { Empty } from '../../components/States.tsx'
import { useApp } from '../../store/use-app.ts'

const strength: Record<IsolationStatus, number> = { unavailable: 0, advisory: 1, 'enforced-by-polling': 2, enforced: 3 }

export function weakestLayer(layers: IsolationLayer[]): IsolationLayer | null {
  return layers.reduce<IsolationLayer | null>((weakest, layer) => (!weakest || strength[layer.status] < strength[weakest.status] ? layer : weakest), null)
}

export function IsolationView(): React.JSX.Element {
  const plugins = useApp((s) => s.live.isolation)
  if (plugins.length === 0) return <div className="view"><Empty title="No isolation report yet">Each plugin's sandbox reports its layers once its first instance has started.</Empty></div>
  return (
    <div className="view isolation-grid">
      {plugins.map((p) => {
        const weakest = weakestLayer(p.layers)
        return (
          <section key={p.plugin} className="card" aria-labelledby={`iso-${p.plugin}`} data-testid={`isolation-${p.plugin}`}>
            <header className="card-head">
              <h2 id={`iso-${p.plugin}`}>{p.plugin}</h2>
              <span className="muted">{p.platform}</span>
              <span className="spacer" />
              {weakest ? <span>weakest: <Badge state={weakest.status} label={`${weakest.layer} · ${weakest.status}`} /></span> : null}
            </header>
            <table className="table compact">
              <thead><tr><th>Layer</th><th>Status</th><th>Mechanism</th><th>Evidence</th></tr></thead>
              <tbody>
                {[...p.layers].sort((a, b) => strength[a.status] - strength[b.status]).map((layer) => (
                  <tr key={layer.layer} className={layer === weakest ? 'weakest' : undefined} data-weakest={layer === weakest ? 'true' : undefined}>
                    <td className="mono">{layer.layer}</td>
                    <td><Badge state={layer.status} /></td>
                    <td>{layer.mechanism}</td>
                    <td className="evidence">{layer.evidence}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        )
      })}
    </div>
  )
}
