/** One instance: state, pid, in-flight, restarts, uptime, last exit, and a restart with confirmation. */
import { useState } from 'react'
import { Badge } from '../../components/Badge.tsx'
import { ReasonDialog } from '../../components/ReasonDialog.tsx'
import { Since } from '../../components/Since.tsx'
import { useApp } from '../../store/use-app.ts'

export function InstanceRow({ platform, instanceId }: { platform: string; instanceId: string }): React.JSX.Element | null {
  const instance = useApp((s) => s.live.plugins[platform]?.instances.find((i) => i.instanceId === instanceId))
  const pid = useApp((s) => s.live.processes[instanceId]?.pid ?? null)
  const restartInstance = useApp((s) => s.restartInstance)
  const [confirming, setConfirming] = useState(false)
  if (!instance) return null
  return (
    <tr data-testid={`instance-${instanceId}`}>
      <td className="mono">{instanceId}</td>
      <td><Badge state={instance.state} /></td>
      <td className="num mono">{pid ?? '—'}</td>
      <td className="num">{instance.inFlight}</td>
      <td className="num">{instance.restarts}</td>
      <td>{instance.startedAtMs !== null && instance.state === 'ready' ? <Since atMs={instance.startedAtMs} suffix="" /> : '—'}</td>
      <td className="cause">{instance.lastExit ? `${instance.lastExit.reason}: ${instance.lastExit.detail}` : '—'}</td>
      <td>
        <button type="button" className="small icon" onClick={() => setConfirming(true)} aria-label={`Restart ${instanceId}`} title="Restart">↻</button>
        {confirming ? (
          <ReasonDialog
            title={`Restart ${instanceId}?`}
            message="Requests in flight on this instance fail and are handed to the dead-letter queue."
            confirmLabel="Restart"
            needsReason={false}
            danger
            onCancel={() => setConfirming(false)}
            onConfirm={() => {
              setConfirming(false)
              void restartInstance(instanceId)
            }}
          />
        ) : null}
      </td>
    </tr>
  )
}
