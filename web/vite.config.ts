import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built by `npm run build` into dist/console, which the server serves at `/` (src/http/console-routes.ts).
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    // Hashed names under assets/ are served as immutable; nothing is inlined (the CSP allows no inline code).
    assetsDir: 'assets',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: true,
  },
});
