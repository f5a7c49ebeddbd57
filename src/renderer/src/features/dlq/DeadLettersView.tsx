/** Dead letters: live counts, filters, the paged table with actions, the detail, error groups and redrives. */
import { NoticeBar } from '../../components/States.tsx'
import { useApp, useAppStore } from '../../store/use-app.ts'
import { DlqActions } from './DlqActions.tsx'
import { DlqCounts } from './DlqCounts.tsx'
import { DlqDetail } from './DlqDetail.tsx'
import { DlqFilters } from './DlqFilters.tsx'
import { DlqTable } from './DlqTable.tsx'
import { ErrorGroups, RedriveJobs } from './ErrorGroups.tsx'

export function DeadLettersView(): React.JSX.Element {
  const notice = useApp((s) => s.dlq.notice)
  const hasDetail = useApp((s) => s.dlq.detail !== null)
  const store = useAppStore()
  return (
    <div className="view">
      <DlqCounts />
      <NoticeBar notice={notice} onClose={() => store.setState({ dlq: { ...store.getState().dlq, notice: null } })} />
      <div className={hasDetail ? 'dlq-layout with-detail' : 'dlq-layout'}>
        <div className="dlq-main">
          <DlqFilters />
          <DlqActions />
          <DlqTable />
        </div>
        <div className="dlq-side">
          {hasDetail ? <DlqDetail /> : (<><ErrorGroups /><RedriveJobs /></>)}
        </div>
      </div>
    </div>
  )
}
