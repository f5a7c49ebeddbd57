/** Structured filters (state, platform) and full-text search over error text and payload. */
import { useState } from 'react'
import type { DlqState } from '../../../../shared/dlq.ts'
import { useApp } from '../../store/use-app.ts'

const stateOptions: { label: string; states: DlqState[] | undefined }[] = [
  { label: 'Open (pending, retrying, dead)', states: ['pending', 'retrying', 'dead'] },
  { label: 'All states', states: undefined },
  { label: 'Pending', states: ['pending'] },
  { label: 'Retrying', states: ['retrying'] },
  { label: 'Dead', states: ['dead'] },
  { label: 'Resolved', states: ['resolved'] },
  { label: 'Discarded', states: ['discarded'] }
]

export function DlqFilters(): React.JSX.Element {
  const filter = useApp((s) => s.dlq.filter)
  const platforms = useApp((s) => s.live.platforms)
  const total = useApp((s) => s.dlq.page?.total)
  const setDlqFilter = useApp((s) => s.setDlqFilter)
  const [text, setText] = useState(filter.text ?? '')
  const stateIndex = Math.max(0, stateOptions.findIndex((o) => JSON.stringify(o.states) === JSON.stringify(filter.states)))
  return (
    <form
      className="filters"
      role="search"
      onSubmit={(e) => {
        e.preventDefault()
        const { text: _old, ...rest } = filter
        void setDlqFilter(text.trim() ? { ...rest, text: text.trim() } : rest)
      }}
    >
      <label className="field inline">
        <span>State</span>
        <select
          value={stateIndex}
          onChange={(e) => {
            const { states: _old, ...rest } = filter
            const states = stateOptions[Number(e.target.value)]!.states
            void setDlqFilter(states ? { ...rest, states } : rest)
          }}
        >
          {stateOptions.map((o, i) => <option key={o.label} value={i}>{o.label}</option>)}
        </select>
      </label>
      <label className="field inline">
        <span>Platform</span>
        <select
          value={filter.platforms?.[0] ?? ''}
          onChange={(e) => {
            const { platforms: _old, ...rest } = filter
            void setDlqFilter(e.target.value ? { ...rest, platforms: [e.target.value] } : rest)
          }}
        >
          <option value="">All platforms</option>
          {platforms.map((p) => <option key={p} value={p}>{p}</option>)}
        </select>
      </label>
      <label className="field inline grow">
        <span>Search</span>
        <input type="search" value={text} placeholder="error text or payload" onChange={(e) => setText(e.target.value)} maxLength={500} />
      </label>
      <button type="submit">Search</button>
      {filter.signature ? (
        <button type="button" className="chip" onClick={() => { const { signature: _s, ...rest } = filter; void setDlqFilter(rest) }} title="Remove the error-group filter">
          group: {filter.signature.slice(0, 40)} ×
        </button>
      ) : null}
      <span className="muted match-count" aria-live="polite">{total === undefined ? '' : `${total} match${total === 1 ? '' : 'es'}`}</span>
    </form>
  )
}
