/**
 * Global setup of the browser project: a real reference sync server (SQLite in a temp folder) on loopback, so that
 * tests in Chromium sync through httpSync to the real thing. Its URL and a token reach the tests through `inject`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { hmacAuth, signToken } from '@scratchpad-store/server';
import { createServer } from '@scratchpad-store/server';
import { sqliteStore } from '@scratchpad-store/server/sqlite';

declare module 'vitest' {
  export interface ProvidedContext {
    syncUrl: string;
    syncToken: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'sp-browser-sync-'));
  const secret = 'browser-sync-test-secret-0123456789abcdef';
  const server = createServer({ store: sqliteStore({ path: join(dir, 'sync.db') }), auth: hmacAuth(secret), cors: { origin: '*' }, log: () => undefined });
  const { url } = await server.listen(0);
  project.provide('syncUrl', url);
  project.provide('syncToken', signToken('browser-tests', secret));
  return async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  };
}
