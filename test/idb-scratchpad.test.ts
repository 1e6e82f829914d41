import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { createScratchpad, isScratchpadError, type Scratchpad } from '../src/index.js';
import { indexedDbStorage } from '../src/storage/idb.js';
import { uniqueName } from './idb-fixtures.js';

const pads: Scratchpad[] = [];
afterEach(() => {
  for (const sp of pads.splice(0)) sp.close();
});

function scratchpad(name: string, indexedDB: IDBFactory, options: Parameters<typeof createScratchpad>[0] = {}): Scratchpad {
  const sp = createScratchpad({ storage: indexedDbStorage({ name, indexedDB }), ...options });
  pads.push(sp);
  return sp;
}

describe('createScratchpad on indexedDbStorage (fake-indexeddb)', () => {
  it('reopens with sections, history, snapshots and retention as they were', async () => {
    const name = uniqueName();
    const factory = new IDBFactory();
    let clock = 1_000;
    const first = scratchpad(name, factory, { history: { checkpointEvery: 3 }, now: () => clock++ });
    const contents: string[] = [];
    for (let i = 1; i <= 12; i++) {
      await first.write('p', 's', i % 4 === 0 ? `replaced ${i}` : `line ${i}`, { mode: i % 4 === 0 ? 'replace' : 'append', agent: `agent${i % 3}` });
      contents.push(first.read('p', 's') ?? '');
    }
    const exported = await first.exportJSON();
    first.close();

    const second = scratchpad(name, factory);
    await second.ready;
    expect(second.read('p', 's')).toBe(contents[11]);
    for (let v = 1; v <= 12; v++) expect(await second.contentAt('p', 's', v)).toBe(contents[v - 1]);
    expect(await second.exportJSON()).toEqual({ ...exported, exportedAt: expect.any(Number) });
    expect((await second.history({ agent: 'agent1', order: 'desc', limit: 2 })).map((e) => e.version)).toEqual([10, 7]);
    expect(await second.blame('p', 's')).toEqual([{ text: 'replaced 12', version: 12, agent: 'agent0', timestamp: expect.any(Number) }]);
  });

  it('two scratchpads on one database append concurrently without losing or duplicating a line', async () => {
    const name = uniqueName();
    const factory = new IDBFactory();
    const a = scratchpad(name, factory);
    const b = scratchpad(name, factory);
    await Promise.all([a.ready, b.ready]);
    const run = async (sp: Scratchpad, agent: string): Promise<void> => {
      for (let i = 0; i < 150; i++) await sp.write('log', 'events', `${agent} ${i}`, { mode: 'append', agent });
    };
    await Promise.all([run(a, 'a'), run(b, 'b')]);
    const check = scratchpad(name, factory);
    await check.ready;
    const lines = (check.read('log', 'events') ?? '').split('\n');
    expect(lines).toHaveLength(300);
    expect(new Set(lines).size).toBe(300);
    expect(check.get('log', 'events')?.version).toBe(300);
    expect((await check.history({ pad: 'log', section: 'events' })).map((e) => e.version)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  });

  it('rolls a write back when storage runs out of quota, and the next write goes through', async () => {
    const sp = scratchpad(uniqueName(), new IDBFactory());
    await sp.write('p', 's', 'kept');
    const proto = IDBObjectStore.prototype;
    const put = proto.put;
    // fake-indexeddb has no quota: fail the history put the way Chromium does (transaction aborted, error Quota…).
    proto.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      const req = put.call(this, value, key);
      if (this.name === 'entries') {
        const tx = this.transaction as unknown as { _abort(name: string): void };
        req.addEventListener('success', () => tx._abort('QuotaExceededError'));
      }
      return req;
    };
    let error: unknown;
    try {
      error = await sp.write('p', 's', 'lost', { mode: 'append' }).catch((e: unknown) => e);
    } finally {
      proto.put = put;
    }
    expect(isScratchpadError(error, 'QUOTA_EXCEEDED')).toBe(true);
    expect(sp.read('p', 's')).toBe('kept');
    expect(sp.get('p', 's')?.version).toBe(1);
    expect((await sp.history()).map((e) => e.version)).toEqual([1]);
    await sp.write('p', 's', 'next', { mode: 'append' });
    expect(sp.read('p', 's')).toBe('kept\nnext');
    expect(sp.get('p', 's')?.version).toBe(2);
  });

  it('fails with STORAGE_UNAVAILABLE when IndexedDB is missing', async () => {
    const global = globalThis as { indexedDB?: IDBFactory };
    const saved = global.indexedDB;
    delete global.indexedDB;
    try {
      const sp = createScratchpad({ storage: indexedDbStorage({ name: uniqueName() }) });
      pads.push(sp);
      const error = await sp.ready.catch((e: unknown) => e);
      expect(isScratchpadError(error, 'STORAGE_UNAVAILABLE')).toBe(true);
      expect(String((error as Error).message)).toMatch(/IndexedDB is not available/);
      const write = await sp.write('p', 's', 'x').catch((e: unknown) => e);
      expect(isScratchpadError(write, 'STORAGE_UNAVAILABLE')).toBe(true);
    } finally {
      global.indexedDB = saved;
    }
  });

  it('starts empty after the database was deleted between two runs', async () => {
    const name = uniqueName();
    const factory = new IDBFactory();
    const first = scratchpad(name, factory);
    await first.write('p', 's', 'gone soon');
    first.close();
    await new Promise<void>((resolve, reject) => {
      const request = factory.deleteDatabase(name);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    });
    const second = scratchpad(name, factory);
    await second.ready;
    expect(second.pads()).toEqual([]);
    expect((await second.write('p', 's', 'new')).version).toBe(1);
  });
});
