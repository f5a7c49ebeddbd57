import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import { build, type Plugin } from 'vite'
import react from '@vitejs/plugin-react'

/**
 * The sandbox child host is built as a separate, self-contained, minified file (`out/main/sandbox-host.mjs`):
 * a plugin sandbox is a fresh process, so what that file imports is paid on every cold start. Built with the
 * main entries it would share a chunk with the main process and load ~120 KB instead of the ~25 KB it needs
 * (zod/mini and its own code), and its folder of chunks would have to be readable inside the sandbox.
 * `.mjs`, not `.js`: for a `.js` file Node looks for the nearest package.json to learn its module type, and
 * the sandbox may not read the one above `out/`, so Node parsed the bundle as CommonJS, failed and parsed it
 * again as ESM — about 2 ms of every cold start.
 */
function sandboxChildBundle(): Plugin {
  return {
    name: 'conductor:sandbox-child-bundle',
    apply: 'build',
    async writeBundle(options) {
      // The Landlock launcher (child/landlock-launcher.ts) is built the same way: it runs before the child.
      for (const name of ['sandbox-host', 'landlock-launcher']) {
        await build({
          configFile: false,
          logLevel: 'warn',
          ssr: { noExternal: true },
          build: {
            ssr: resolve(__dirname, `src/main/conductor/sandbox/child/${name}.ts`),
            outDir: options.dir,
            emptyOutDir: false,
            minify: true,
            target: 'node22',
            rolldownOptions: { output: { format: 'es', entryFileNames: `${name}.mjs` } }
          }
        })
      }
    }
  }
}

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
          headless: resolve(__dirname, 'src/main/headless.ts')
        }
      }
    },
    plugins: [sandboxChildBundle()]
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
