/**
 * A small modal asking for a reason (discard, breaker reset/force-open) or a confirmation (restart). Focus
 * goes to the field; Tab stays inside; Escape cancels; the confirm button stays disabled until a required
 * reason is given. On close, focus returns to the control that opened it (or, if the action removed or
 * disabled that control, to the first usable control next to it).
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

/** Where focus goes when the opener is gone or disabled after the action: the first usable control near it. */
const focusScopes = '[role=toolbar], .actions-bar, .breaker-head, tr, .card-head, section, aside'
const usableControls = 'button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex="0"]'

function returnFocus(opener: HTMLElement | null, scope: HTMLElement | null): void {
  if (opener?.isConnected && !opener.matches(':disabled')) opener.focus()
  else if (scope?.isConnected) scope.querySelector<HTMLElement>(usableControls)?.focus()
}

export function ReasonDialog({ title, message, confirmLabel, needsReason = true, danger = false, onConfirm, onCancel }: ReasonDialogProps): React.JSX.Element {
  const [reason, setReason] = useState('')
  const id = useId()
  const field = useRef<HTMLInputElement>(null)
  const confirm = useRef<HTMLButtonElement>(null)
  // Remember what had focus (the control that opened the dialog) before moving focus into the dialog, and
  // give it back on close. Declared first: effects run in order.
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement && document.activeElement !== document.body ? document.activeElement : null
    const scope = opener?.closest<HTMLElement>(focusScopes) ?? null
    return () => returnFocus(opener, scope)
  }, [])
  useEffect(() => {
    ;(needsReason ? field.current : confirm.current)?.focus()
  }, [needsReason])
  const ready = !needsReason || reason.trim().length > 0
  return (
    <div
      className="dialog-backdrop"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          // The dialog may sit inside a view that closes on Escape too (the dead-letter detail): only the dialog closes.
          e.stopPropagation()
          onCancel()
        }
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
