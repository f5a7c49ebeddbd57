/** A coloured state label. The tone maps states to the panel's one palette (see styles.css). */
export type Tone = 'ok' | 'warn' | 'bad' | 'critical' | 'muted' | 'info'

const tones: Record<string, Tone> = {
  closed: 'ok',
  ready: 'ok',
  resolved: 'ok',
  enforced: 'ok',
  ok: 'ok',
  'half-open': 'warn',
  starting: 'info',
  restarting: 'warn',
  pending: 'warn',
  retrying: 'info',
  'enforced-by-polling': 'info',
  advisory: 'warn',
  partial: 'warn',
  open: 'bad',
  down: 'bad',
  failed: 'bad',
  dead: 'bad',
  rejected: 'bad',
  unavailable: 'bad',
  'forced-open': 'critical',
  stopped: 'muted',
  discarded: 'muted'
}

export function toneOf(state: string): Tone {
  return tones[state] ?? 'muted'
}

export function Badge({ state, label }: { state: string; label?: string }): React.JSX.Element {
  return <span className={`badge tone-${toneOf(state)}`} data-state={state}>{label ?? state}</span>
}
