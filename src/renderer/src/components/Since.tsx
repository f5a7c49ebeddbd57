/** "3m 12s ago", against the server clock of the latest tick; only this span re-renders each tick. */
import { formatAgo, formatIn } from '../lib/format.ts'
import { useApp } from '../store/use-app.ts'

export function Since({ atMs, suffix = ' ago' }: { atMs: number; suffix?: string }): React.JSX.Element {
  const nowMs = useApp((s) => s.live.atMs)
  return <time dateTime={new Date(atMs).toISOString()} title={new Date(atMs).toLocaleString()}>{formatAgo(atMs, Math.max(nowMs, atMs))}{suffix}</time>
}

export function Until({ atMs }: { atMs: number }): React.JSX.Element {
  const nowMs = useApp((s) => s.live.atMs)
  return <time dateTime={new Date(atMs).toISOString()} title={new Date(atMs).toLocaleString()}>{formatIn(atMs, nowMs)}</time>
}
