import { defineConfig } from 'vitest/config';

// Two projects: 'node' runs everything that needs no browser (fake-indexeddb, servers on loopback);
// 'browser' (added by the IndexedDB suite) runs *.browser.test.ts in Debian's Chromium.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.browser.test.ts', 'node_modules/**'],
          environment: 'node',
          testTimeout: 30_000,
        },
      },
    ],
  },
});
