/**
 * Sync in a real Chromium: IndexedDB storage, httpSync over real HTTP to the reference server that the browser
 * project's global setup runs on loopback. Two scratchpads on one database stand for two tabs.
 */
import { describe, expect, inject, it } from 'vitest';
import { createScratchpad } from '../src/index.js';
import { indexedDbStorage } from '../src/storage/idb.js';
import { httpSync } from '../src/sync/index.js';

const url = inject('syncUrl');
const token = inject('syncToken');
let counter = 0;
const unique = (label: string) => `${label}-${Date.now()}-${++counter}`;

/** A fetch that counts how many pushes are in flight at once (the real fetch does the work). */
function countingFetch() {
  const stats = { inFlight: 0, maxInFlight: 0, pushes: 0 };
  const fetcher: typeof fetch = async (input, init) => {
    const isPush = String(input).endsWith('/push');
    if (isPush) {
      stats.pushes++;
      stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
    }
    try {
      return await fetch(input, init);
    } finally {
      if (isPush) stats.inFlight--;
    }
  };
  return { fetcher, stats };
}

describe('sync in Chromium against the reference server', () => {
  it('two tabs on one database push one at a time (Web Locks) and converge with the server', async () => {
    expect(typeof navigator.locks?.request).toBe('function');
    const name = unique('db');
    const sessionId = unique('session');
    const { fetcher, stats } = countingFetch();
    const tab = () => createScratchpad({ sessionId, storage: indexedDbStorage({ name }), sync: httpSync({ url, token, fetch: fetcher, pullIntervalMs: 0 }) });
    const one = tab();
    const two = tab();
    await Promise.all([one.ready, two.ready]);
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      writes.push(one.write('log', 'lines', `one ${i}`, { mode: 'append', agent: 'one' }));
      writes.push(two.write('log', 'lines', `two ${i}`, { mode: 'append', agent: 'two' }));
    }
    await Promise.all(writes);
    await Promise.all([one.flush(), two.flush()]);
    await one.flush();
    await two.flush();
    expect(stats.pushes).toBeGreaterThan(0);
    expect(stats.maxInFlight).toBe(1);

    // A third device with its own database gets everything from the server, with the same numbering.
    const device = createScratchpad({ sessionId, storage: indexedDbStorage({ name: unique('device') }), sync: httpSync({ url, token, pullIntervalMs: 0 }) });
    await device.ready;
    await device.flush();
    const lines = device.read('log', 'lines')!.split('\n');
    expect(lines).toHaveLength(120);
    expect(new Set(lines).size).toBe(120);
    expect(device.get('log', 'lines')?.version).toBe(120);
    expect(one.read('log', 'lines')).toBe(device.read('log', 'lines'));
    const versions = (await one.history({ pad: 'log', section: 'lines' })).map((e) => e.version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    for (const sp of [one, two, device]) sp.close();
  });

  it('goes offline on the offline event, keeps writing locally, and pushes when back online', async () => {
    const sessionId = unique('offline');
    const sp = createScratchpad({ sessionId, storage: indexedDbStorage({ name: unique('db') }), sync: httpSync({ url, token, pullIntervalMs: 0 }) });
    await sp.write('p', 's', 'online');
    await sp.flush();
    // The engine follows the browser's connectivity events; a real network cut is not possible inside the page.
    window.dispatchEvent(new Event('offline'));
    expect(sp.syncStatus.state).toBe('offline');
    await sp.write('p', 's', 'while offline', { mode: 'append' });
    expect(sp.read('p', 's')).toBe('online\nwhile offline');
    window.dispatchEvent(new Event('online'));
    await sp.flush();
    expect(sp.syncStatus).toMatchObject({ state: 'idle', pending: 0 });
    const other = createScratchpad({ sessionId, storage: indexedDbStorage({ name: unique('db') }), sync: httpSync({ url, token, pullIntervalMs: 0 }) });
    await other.ready;
    await other.flush();
    expect(other.read('p', 's')).toBe('online\nwhile offline');
    sp.close();
    other.close();
  });
});
