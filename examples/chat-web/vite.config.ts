import { defineConfig } from 'vite'

export default defineConfig({
  // TSX through esbuild with React's automatic runtime (tsconfig's `jsx: react-jsx`): no plugin needed.
  esbuild: { jsx: 'automatic' },
  // sqlite-wasm's worker and .wasm file are found by URL next to their modules: pre-bundling would move them.
  optimizeDeps: { exclude: ['@sqlite.org/sqlite-wasm', '@zustand-sqlite/backend-sqlite-wasm'] },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 1024 },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
})
