import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';

// Two projects: 'node' runs everything that needs no browser (fake-indexeddb, servers on loopback);
// 'browser' (added by the IndexedDB suite) runs *.browser.test.ts and the React component tests (*.browser.test.tsx)
// in Debian's Chromium.
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
      {
        test: {
          name: 'browser',
          // A real reference sync server on loopback for the sync tests in Chromium (URL and token via inject()).
          globalSetup: ['test/helpers/sync-server.global.ts'],
          include: ['test/**/*.browser.test.{ts,tsx}'],
          testTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            // Debian's Chromium (.ci/run installs it when missing), not a browser downloaded by Playwright.
            provider: playwright({
              launchOptions: {
                executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
                args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
              },
            }),
            instances: [{ browser: 'chromium' }],
            screenshotFailures: false,
          },
        },
      },
    ],
  },
});
