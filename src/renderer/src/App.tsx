/**
 * The panel shell: a sidebar of views (keyboard reachable: arrow keys, Home and End move between them), a connection
 * banner, and the active view. Only the active view is mounted, so a tick re-renders only what it shows.
 */
import { useEffect, useRef } from 'react'
import { Badge } from './components/Badge.tsx'
import { ErrorBox, Loading } from './components/States.tsx'
import { DeadLettersView } from './features/dlq/DeadLettersView.tsx'
import { IsolationView } from './features/isolation/IsolationView.tsx'
import { OverviewView } from './features/overview/OverviewView.tsx'
import { ResourcesView } from './features/resources/ResourcesView.tsx'
import { TestRoutingView } from './features/routing/TestRoutingView.tsx'
import { TimelineView } from './features/timeline/TimelineView.tsx'
import type { ViewName } from './store/app-store.ts'
import { useActions, useApp } from './store/use-app.ts'

const views: { id: ViewName; label: string; render: () => React.JSX.Element }[] = [
  { id: 'overview', label: 'Overview', render: () => <OverviewView /> },
  { id: 'resources', label: 'Resources', render: () => <ResourcesView /> },
  { id: 'dlq', label: 'Dead letters', render: () => <DeadLettersView /> },
  { id: 'routing', label: 'Test routing', render: () => <TestRoutingView /> },
  { id: 'isolation', label: 'Isolation', render: () => <IsolationView /> },
  { id: 'timeline', label: 'Incidents', render: () => <TimelineView /> }
]

function NavBadge({ view }: { view: ViewName }): React.JSX.Element | null {
  const open = useApp((s) => (view === 'overview' ? Object.values(s.live.breakers).filter((b) => b.state !== 'closed').length : view === 'dlq' ? (s.live.dlqCounts ? s.live.dlqCounts.pending + s.live.dlqCounts.dead : 0) : 0))
  if (!open) return null
  return <span className="nav-count" aria-label={view === 'overview' ? `${open} breakers not closed` : `${open} dead letters need attention`}>{open}</span>
}

function ConnectionBanner(): React.JSX.Element | null {
  const { status, kind, error, missedUpdates } = useApp((s) => s.connection)
  const { loadSnapshot } = useActions()
  if (status === 'open' && !error) return missedUpdates ? <div className="banner warn" role="status">{missedUpdates} update(s) were missed; the view may lag by a tick.</div> : null
  if (error) return <div className="banner bad" role="alert">Could not load the engine state. <ErrorBox error={error} retry={() => void loadSnapshot()} /></div>
  return <div className="banner warn" role="status">{status === 'connecting' ? `Connecting to the engine (${kind})…` : `Disconnected from the engine (${kind}); reconnecting…`}</div>
}

export function App(): React.JSX.Element {
  const view = useApp((s) => s.view)
  const loaded = useApp((s) => s.snapshotLoaded)
  const status = useApp((s) => s.connection.status)
  const kind = useApp((s) => s.connection.kind)
  const { setView, start } = useActions()
  const nav = useRef<HTMLElement>(null)
  useEffect(() => start(), [start])
  const active = views.find((v) => v.id === view)!
  return (
    <div className="shell">
      <nav ref={nav} className="sidebar" aria-label="Views">
        <div className="brand">Conductor<span className="muted small"> control panel</span></div>
        <ul role="tablist" aria-orientation="vertical">
          {views.map((v, i) => (
            <li key={v.id}>
              <button
                type="button"
                role="tab"
                id={`tab-${v.id}`}
                aria-selected={v.id === view}
                aria-controls="view-panel"
                tabIndex={v.id === view ? 0 : -1}
                className={v.id === view ? 'nav-item active' : 'nav-item'}
                onClick={() => setView(v.id)}
                onKeyDown={(e) => {
                  const index = e.key === 'ArrowDown' ? (i + 1) % views.length : e.key === 'ArrowUp' ? (i + views.length - 1) % views.length : e.key === 'Home' ? 0 : e.key === 'End' ? views.length - 1 : null
                  if (index === null) return
                  e.preventDefault()
                  const next = views[index]!
                  setView(next.id)
                  nav.current?.querySelector<HTMLButtonElement>(`#tab-${next.id}`)?.focus()
                }}
              >
                {v.label} <NavBadge view={v.id} />
              </button>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot small">
          <Badge state={status === 'open' ? 'ok' : status === 'connecting' ? 'starting' : 'down'} label={status === 'open' ? 'connected' : status} /> <span className="muted">via {kind}</span>
        </div>
      </nav>
      <main className="content" id="view-panel" role="tabpanel" aria-labelledby={`tab-${view}`}>
        <header className="content-head"><h1>{active.label}</h1></header>
        <ConnectionBanner />
        {loaded ? active.render() : status === 'open' ? <Loading what="the engine state" /> : null}
      </main>
    </div>
  )
}
