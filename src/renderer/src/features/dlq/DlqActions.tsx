/**
 * Actions on the selection and on everything matching the filter. A filter-scoped action first asks for a
 * preview ("N match as of T") and then acts on exactly that set; a discard always asks for a reason.
 */
import { useState } from 'react'
import { ReasonDialog } from '../../components/ReasonDialog.tsx'
import { useUsableFocus } from '../../hooks/use-usable-focus.ts'
import { formatClock } from '../../lib/format.ts'
import { useActions, useApp } from '../../store/use-app.ts'

export function DlqActions(): React.JSX.Element {
  const selected = useApp((s) => s.dlq.selected)
  const preview = useApp((s) => s.dlq.preview)
  const total = useApp((s) => s.dlq.page?.total ?? 0)
  const { retryEntries, discardEntries, previewBulk, applyBulk, cancelBulk } = useActions()
  const [discarding, setDiscarding] = useState(false)
  const toolbar = useUsableFocus<HTMLDivElement>()
  return (
    <div ref={toolbar} className="actions-bar" role="toolbar" aria-label="Dead-letter actions">
      <span className="muted">{selected.length} selected</span>
      <button type="button" className="small primary" disabled={selected.length === 0} onClick={() => void retryEntries(selected)}>Retry selected</button>
      <button type="button" className="small danger" disabled={selected.length === 0} onClick={() => setDiscarding(true)}>Discard selected…</button>
      <span className="spacer" />
      <button type="button" className="small" disabled={total === 0} onClick={() => void previewBulk('retry')}>Retry all matching…</button>
      <button type="button" className="small" disabled={total === 0} onClick={() => void previewBulk('discard')}>Discard all matching…</button>
      {discarding ? (
        <ReasonDialog
          title={`Discard ${selected.length} dead letter${selected.length === 1 ? '' : 's'}`}
          message="Discarded entries are kept with your reason and can be restored."
          confirmLabel="Discard"
          danger
          onCancel={() => setDiscarding(false)}
          onConfirm={(reason) => {
            setDiscarding(false)
            void discardEntries(selected, reason)
          }}
        />
      ) : null}
      {preview ? (
        <ReasonDialog
          title={`${preview.action === 'retry' ? 'Retry' : 'Discard'} ${preview.count} matching entr${preview.count === 1 ? 'y' : 'ies'}`}
          message={`${preview.count} match as of ${formatClock(preview.asOfMs)}. Exactly these are ${preview.action === 'retry' ? 'retried' : 'discarded'}; entries arriving later are not touched.${preview.sampleIds.length ? ` First: ${preview.sampleIds.join(', ')}` : ''}`}
          confirmLabel={preview.action === 'retry' ? `Retry ${preview.count}` : `Discard ${preview.count}`}
          needsReason={preview.action === 'discard'}
          danger={preview.action === 'discard'}
          onCancel={cancelBulk}
          onConfirm={(reason) => void applyBulk(preview.action === 'discard' ? reason : undefined)}
        />
      ) : null}
    </div>
  )
}
