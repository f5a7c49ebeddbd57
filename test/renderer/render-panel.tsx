/**
 * Renders the whole panel against the fake engine through the real RPC server and an in-memory transport
 * (frames JSON round-tripped), so component tests exercise the same contract as the wire. Ticks are manual.
 */
import { act, render } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { App } from '../../src/renderer/src/App.tsx'
import { RpcClient } from '../../src/renderer/src/lib/rpc-client.ts'
import { createAppStore, type ViewName } from '../../src/renderer/src/store/app-store.ts'
import { StoreContext } from '../../src/renderer/src/store/use-app.ts'
import { createPanelServer } from '../../src/main/transport/create-panel-server.ts'
import { FakeEngine, type FakePlatformOptions } from '../main/transport/fake-engine.ts'
import { createMemoryTransport } from '../main/transport/memory-transport.ts'

export interface RenderPanelOptions {
  platforms?: FakePlatformOptions[]
  view?: ViewName
  /** Prepares the engine before the panel loads its snapshot. */
  before?: (engine: FakeEngine) => Promise<void> | void
}

export async function renderPanel(options: RenderPanelOptions = {}) {
  const engine = new FakeEngine(options.platforms)
  await options.before?.(engine)
  const panel = createPanelServer(engine, { setInterval: () => 0, clearInterval: () => undefined })
  const transport = createMemoryTransport(panel.server)
  const store = createAppStore(new RpcClient(transport, { onInvalid: () => undefined }))
  const user = userEvent.setup()
  const view = render(
    <StoreContext.Provider value={store}>
      <App />
    </StoreContext.Provider>
  )
  /** Runs one batched update through the transport and lets React apply it. */
  const tick = async (advanceMs = 1000): Promise<void> => {
    engine.advance(advanceMs)
    await act(async () => {
      await panel.batcher.tick()
    })
  }
  const settle = () => act(async () => { await new Promise((resolve) => setTimeout(resolve, 0)) })
  await settle()
  if (options.view) await act(async () => store.getState().setView(options.view!))
  await settle()
  return { engine, panel, store, transport, user, tick, settle, ...view }
}
