import { describe, expect, it } from 'vitest';
import { esbuildUpFront, viteUpFront } from './helpers/bundle-size.js';

/**
 * What an app on IndexedDB loads up front (`createScratchpad` + `indexedDbStorage`, minified, gzip -9), built by a
 * consumer's Vite (inline config) and by esbuild. Issue 13's goal is 13 KB; the library is not there yet (about 21 KB,
 * see docs/performance.md), so this budget is a ratchet at today's size: it fails when the up-front bundle grows, and
 * comes down as code moves out of the first load.
 */
const BUDGET = 22 * 1024;

/** Loaded on first use, never up front: the default memory storage, sync, blame, retention, import checks. */
const LAZY = ['src/storage/memory.ts', 'src/sync/client.ts', 'src/sync/engine.ts', 'src/core/adopt.ts', 'src/core/blame.ts', 'src/storage/retention.ts', 'src/core/snapshot.ts'];

describe('bundle size (up-front chunk of createScratchpad + indexedDbStorage, min+gzip)', () => {
  it('with Vite stays within the budget', { timeout: 120_000 }, async () => {
    const size = await viteUpFront();
    expect(size.bytes).toBeGreaterThan(10_000); // the build really bundled the library
    expect(size.gzip).toBeLessThanOrEqual(BUDGET);
    expect(size.modules).toContain('src/storage/idb/session.ts');
    expect(size.modules.filter((m) => LAZY.includes(m))).toEqual([]);
  });

  it('with esbuild stays within the budget', { timeout: 120_000 }, async () => {
    const size = await esbuildUpFront();
    expect(size.bytes).toBeGreaterThan(10_000);
    expect(size.gzip).toBeLessThanOrEqual(BUDGET);
    expect(size.modules).toContain('src/storage/idb/session.ts');
    expect(size.modules.filter((m) => LAZY.includes(m))).toEqual([]);
  });
});
