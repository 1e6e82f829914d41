import react from '@vitejs/plugin-react';
import { playwright } from '@vitest/browser-playwright';
import { fileURLToPath } from 'node:url';
import type { Alias } from 'vite';
import { defineConfig } from 'vitest/config';

const repo = fileURLToPath(new URL('.', import.meta.url));
const at = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/**
 * Every package import resolves to the sources, as a consumer's would resolve to the built files: the demo and the
 * tests run the code as it is, with no build first. The table mirrors the `exports` of the three package.json files
 * (test/packages.test.ts checks that it does).
 */
export const sourceAliases: Alias[] = [
  { find: /^scratchpad-store$/, replacement: at('src/index.ts') },
  { find: /^scratchpad-store\/idb$/, replacement: at('src/storage/idb.ts') },
  { find: /^scratchpad-store\/(react|tools|sync|testing)$/, replacement: at('src/$1/index.ts') },
  { find: /^scratchpad-store\/protocol$/, replacement: at('src/protocol.ts') },
  { find: /^@scratchpad-store\/server$/, replacement: at('packages/server/src/index.ts') },
  { find: /^@scratchpad-store\/server\/(sqlite|postgres|azure-cosmos|azure-blob)$/, replacement: at('packages/server/src/$1.ts') },
  { find: /^@scratchpad-store\/mcp$/, replacement: at('packages/mcp/src/index.ts') },
];

// Debian's Chromium (.ci/run installs it when missing), not a browser downloaded by Playwright.
const chromium = playwright({
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  },
});

// One file for the demo build (`npm start`) and for every test project (`npm test`).
export default defineConfig({
  // The demo app.
  root: at('demo'),
  plugins: [react()],
  resolve: { alias: sourceAliases },
  // Quiet unless something is wrong: `npm start` prints the URL itself.
  logLevel: 'warn',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1000 },
  preview: { host: '127.0.0.1', port: 4173 },
  server: { host: '127.0.0.1', port: 5173 },

  test: {
    projects: [
      {
        // Everything of the browser package that needs no browser: unit, fake-indexeddb, sync against a real server on
        // loopback, the packaging checks, and end-to-end tests that drive Chromium themselves.
        root: repo,
        resolve: { alias: sourceAliases },
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.browser.test.ts', 'node_modules/**'],
          environment: 'node',
          testTimeout: 30_000,
        },
      },
      {
        // IndexedDB, React and sync in Debian's Chromium, against a real reference server on loopback.
        root: repo,
        resolve: { alias: sourceAliases },
        test: {
          name: 'browser',
          globalSetup: ['test/helpers/sync-server.global.ts'],
          include: ['test/**/*.browser.test.{ts,tsx}'],
          testTimeout: 60_000,
          browser: { enabled: true, headless: true, provider: chromium, instances: [{ browser: 'chromium' }], screenshotFailures: false },
        },
      },
      {
        // @scratchpad-store/server: the stores against real SQLite, PostgreSQL, Azurite and cosmosdb-server on loopback.
        root: repo,
        resolve: { alias: sourceAliases },
        test: { name: 'server', include: ['packages/server/test/**/*.test.ts'], environment: 'node', testTimeout: 30_000 },
      },
      {
        // @scratchpad-store/mcp: in process and over stdio with the built command.
        root: repo,
        resolve: { alias: sourceAliases },
        test: { name: 'mcp', include: ['packages/mcp/test/**/*.test.ts'], environment: 'node', testTimeout: 30_000 },
      },
    ],
  },
});
