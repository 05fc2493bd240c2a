/**
 * Builds the listener widget (`/`) and the broadcasters' dashboard
 * (`/dashboard/`) and the on-air display (`/onair`) into dist/web, which the server serves as static files.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/web', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  publicDir: 'public',
  build: {
    outDir,
    emptyOutDir: true,
    // The server's Content-Security-Policy allows only same-origin files:
    // never inline assets as data: URLs, never inline scripts.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    sourcemap: true,
    rollupOptions: {
      input: {
        widget: fileURLToPath(new URL('./index.html', import.meta.url)),
        dashboard: fileURLToPath(new URL('./dashboard/index.html', import.meta.url)),
        onair: fileURLToPath(new URL('./onair/index.html', import.meta.url)),
      },
    },
  },
  server: { host: '127.0.0.1' },
});
