/** Every platform with its breaker, rates, latencies and instances; plugin load errors on top. */
import { Empty, NoticeBar } from '../../components/States.tsx'
import { useAppStore, useApp } from '../../store/use-app.ts'
import { PlatformCard } from './PlatformCard.tsx'

export function OverviewView(): React.JSX.Element {
  const platforms = useApp((s) => s.live.platforms)
  const loadErrors = useApp((s) => s.live.loadErrors)
  const notice = useApp((s) => s.opsNotice)
  const store = useAppStore()
  return (
    <div className="view">
      <NoticeBar notice={notice} onClose={() => store.setState({ opsNotice: null })} />
      {loadErrors.length ? (
        <div className="notice notice-error" role="alert">
          <strong>{loadErrors.length} plugin{loadErrors.length === 1 ? '' : 's'} failed to load:</strong>
          <ul>{loadErrors.map((e) => <li key={e.file}><span className="mono">{e.file}</span>: {e.reason}</li>)}</ul>
        </div>
      ) : null}
      {platforms.length === 0 ? (
        <Empty title="No platforms yet">No plugin is loaded. Built-in plugins live in resources/plugins; add user plugins in the configured folder.</Empty>
      ) : (
        <div className="platform-grid">{platforms.map((p) => <PlatformCard key={p} platform={p} />)}</div>
      )}
    </div>
  )
}
