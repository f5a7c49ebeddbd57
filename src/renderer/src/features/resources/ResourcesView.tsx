/** Live CPU % and RSS per sandbox process, grouped by platform. */
import { useShallow } from 'zustand/react/shallow'
import { Empty } from '../../components/States.tsx'
import { useApp } from '../../store/use-app.ts'
import { ProcessChart } from './ProcessChart.tsx'

const collator = new Intl.Collator(undefined, { numeric: true })
const naturalOrder = (a: string, b: string): number => collator.compare(a, b)

export function ResourcesView(): React.JSX.Element {
  const ids = useApp(useShallow((s) => Object.keys(s.live.processes).sort(naturalOrder)))
  if (ids.length === 0) return <div className="view"><Empty title="No sandbox processes">Processes appear here as soon as a plugin instance starts.</Empty></div>
  return (
    <div className="view">
      <p className="muted legend"><span className="swatch cpu" /> CPU % (left axis) <span className="swatch rss" /> RSS MiB (right axis) <span className="swatch cap" /> memory cap <span className="swatch kill" /> kill / crash · last 5 minutes</p>
      <div className="process-grid">{ids.map((id) => <ProcessChart key={id} instanceId={id} />)}</div>
    </div>
  )
}
