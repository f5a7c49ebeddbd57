/** The designed empty / loading / error states every view uses, so nothing is ever just blank. */
import type { ConductorError } from '../../../shared/errors.ts'
import { describeError } from '../lib/describe-error.ts'

export function Empty({ title, children }: { title: string; children?: React.ReactNode }): React.JSX.Element {
  return (
    <div className="state-box" role="status">
      <strong>{title}</strong>
      {children ? <p>{children}</p> : null}
    </div>
  )
}

export function Loading({ what }: { what: string }): React.JSX.Element {
  return (
    <div className="state-box loading" role="status" aria-busy="true">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </div>
  )
}

export function ErrorBox({ error, retry }: { error: ConductorError; retry?: () => void }): React.JSX.Element {
  return (
    <div className="state-box error" role="alert">
      <strong>{describeError(error)}</strong>
      {retry ? <button type="button" onClick={retry}>Try again</button> : null}
    </div>
  )
}

export function NoticeBar({ notice, onClose }: { notice: { kind: 'ok' | 'error'; text: string } | null; onClose: () => void }): React.JSX.Element | null {
  if (!notice) return null
  return (
    <div className={`notice notice-${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'}>
      <span>{notice.text}</span>
      <button type="button" className="link" onClick={onClose} aria-label="Dismiss">×</button>
    </div>
  )
}
