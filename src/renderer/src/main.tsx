import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App.tsx'
import { pickTransport } from './lib/pick-transport.ts'
import { RpcClient } from './lib/rpc-client.ts'
import { createAppStore } from './store/app-store.ts'
import { StoreContext } from './store/use-app.ts'
import './styles.css'

const root = document.getElementById('root')
if (!root) throw new Error('index.html has no #root element')
const store = createAppStore(new RpcClient(pickTransport()))
createRoot(root).render(
  <StrictMode>
    <StoreContext.Provider value={store}>
      <App />
    </StoreContext.Provider>
  </StrictMode>
)
