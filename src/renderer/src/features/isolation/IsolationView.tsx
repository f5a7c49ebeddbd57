/**
 * Isolation per plugin: every layer with its status, mechanism and evidence, the weakest layer highlighted.
 * "Weakest" is the lowest status (unavailable < advisory < enforced-by-polling < enforced) among the layers.
 * Below, the launchers the host keeps started ahead of time: idle processes an operator would otherwise find
 * in `ps` with no explanation, and what they hold in memory.
 */
import type { SpareLauncher } from '../../../../shared/panel.ts'
import type { IsolationLayer, IsolationStatus } from '../../../../shared/sandbox.ts'
import { Badge } from '../../components/Badge.tsx'
import { Empty } from '../../components/States.tsx'
import { formatMiB } from '../../lib/format.ts'
import { useApp } from '../../store/use-app.ts'

const strength: Record<IsolationStatus, number> = { unavailable: 0, advisory: 1, 'enforced-by-polling': 2, enforced: 3 }

export function weakestLayer(layers: IsolationLayer[]): IsolationLayer | null {
  return layers.reduce<IsolationLayer | null>((weakest, layer) => (!weakest || strength[layer.status] < strength[weakest.status] ? layer : weakest), null)
}

const SPARE_KINDS: Record<SpareLauncher['kind'], string> = {
  chain: 'namespaces entered, memory cgroup joined; a shell waits',
  rooted: "inside one plugin's private root, capabilities dropped; a shell waits",
  landlock: 'a Node launcher waits to apply Landlock and exec the sandbox'
}

function SpareLaunchers({ spares }: { spares: SpareLauncher[] }): React.JSX.Element {
  const total = spares.reduce((sum, spare) => sum + (spare.rssBytes ?? 0), 0)
  return (
    <section className="card" aria-labelledby="spares-title" data-testid="spare-launchers">
      <header className="card-head">
        <h2 id="spares-title">Pre-started launchers</h2>
        <span className="muted">{spares.length} idle · {formatMiB(total)} resident (as of the last refresh)</span>
      </header>
      <p className="muted">Kept ready so a sandbox starts without waiting for this part of its launch; none runs plugin code. Set <code>sandbox.spareLaunchers</code> to 0 to keep none.</p>
      {spares.length === 0 ? null : (
        <table className="table compact">
          <thead><tr><th>Kind</th><th>PID</th><th>Resident</th><th>What waits</th></tr></thead>
          <tbody>
            {spares.map((spare, index) => (
              <tr key={spare.pid ?? `spare-${index}`}>
                <td className="mono">{spare.kind}</td>
                <td className="mono">{spare.pid ?? '—'}</td>
                <td>{spare.rssBytes === null ? '—' : formatMiB(spare.rssBytes)}</td>
                <td>{SPARE_KINDS[spare.kind]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

export function IsolationView(): React.JSX.Element {
  const plugins = useApp((s) => s.live.isolation)
  const spares = useApp((s) => s.live.spares)
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
      <SpareLaunchers spares={spares} />
    </div>
  )
}
