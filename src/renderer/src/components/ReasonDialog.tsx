/**
 * A small modal asking for a reason (discard, breaker reset/force-open) or a confirmation (restart). Focus
 * goes to the field; Escape cancels; the confirm button stays disabled until a required reason is given.
 */
import { useEffect, useId, useRef, useState } from 'react'

export interface ReasonDialogProps {
  title: string
  /** Explains what will happen. */
  message: string
  confirmLabel: string
  /** false = a plain confirmation with no reason field. */
  needsReason?: boolean
  danger?: boolean
  onConfirm: (reason: string) => void
  onCancel: () => void
}

export function ReasonDialog({ title, message, confirmLabel, needsReason = true, danger = false, onConfirm, onCancel }: ReasonDialogProps): React.JSX.Element {
  const [reason, setReason] = useState('')
  const id = useId()
  const field = useRef<HTMLInputElement>(null)
  const confirm = useRef<HTMLButtonElement>(null)
  useEffect(() => {
    ;(needsReason ? field.current : confirm.current)?.focus()
  }, [needsReason])
  const ready = !needsReason || reason.trim().length > 0
  return (
    <div
      className="dialog-backdrop"
      onKeyDown={(e) => {
        if (e.key === 'Escape') onCancel()
        if (e.key !== 'Tab') return
        // Keep Tab inside the dialog while it is open.
        const focusable = [...e.currentTarget.querySelectorAll<HTMLElement>('input, button:not([disabled])')]
        const first = focusable[0]
        const last = focusable.at(-1)
        if (e.shiftKey && document.activeElement === first) {
          e.preventDefault()
          last?.focus()
        } else if (!e.shiftKey && document.activeElement === last) {
          e.preventDefault()
          first?.focus()
        }
      }}
    >
      <form
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={`${id}-title`}
        onSubmit={(e) => {
          e.preventDefault()
          if (ready) onConfirm(reason.trim())
        }}
      >
        <h2 id={`${id}-title`}>{title}</h2>
        <p>{message}</p>
        {needsReason ? (
          <label className="field">
            <span>Reason (kept with the action)</span>
            <input ref={field} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} required aria-label="Reason" />
          </label>
        ) : null}
        <div className="dialog-actions">
          <button type="button" onClick={onCancel}>Cancel</button>
          <button ref={confirm} type="submit" className={danger ? 'danger' : 'primary'} disabled={!ready}>{confirmLabel}</button>
        </div>
      </form>
    </div>
  )
}
