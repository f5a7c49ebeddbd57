import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'

export default defineConfig({
  main: {
    build: {
      // zod is bundled, so the sandbox child (allowed to read only out/main under --permission) never reads
      // node_modules, which may sit inside app.asar; bundling also halves the child's cold start.
      externalizeDeps: { exclude: ['zod'] },
      rolldownOptions: {
        // The sandbox child host and the headless host are separate entry points: they run in processes
        // of their own (a plugin sandbox, a plain-Node server), never inside the Electron main bundle.
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          headless: resolve(__dirname, 'src/main/headless.ts'),
          'sandbox-host': resolve(__dirname, 'src/main/conductor/sandbox/child/sandbox-host.ts')
        }
      }
    }
  },
  preload: {
    build: {
      rolldownOptions: {
        // A preload that runs with `sandbox: true` must be CommonJS; an .mjs preload fails to load.
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    build: {
      rolldownOptions: { input: resolve(__dirname, 'src/renderer/index.html') }
    },
    plugins: [react()]
  }
})
