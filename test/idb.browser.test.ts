import { afterEach, describe, expect, it } from 'vitest';
import { ScratchpadError } from '../src/core/errors.js';
import { indexedDbStorage } from '../src/storage/idb.js';
import type { SectionKey, SessionStorage } from '../src/storage/types.js';
import { append, entry, full, randomText, row, smallQuotaBucket, uniqueName } from './idb-fixtures.js';

const open: SessionStorage[] = [];
afterEach(() => {
  for (const storage of open.splice(0)) storage.close();
});

async function opened(name: string, sessionId = 's1'): Promise<SessionStorage> {
  const storage = await indexedDbStorage({ name }).open(sessionId);
  open.push(storage);
  return storage;
}

async function outcome(promise: Promise<unknown>): Promise<'ok' | ScratchpadError> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (error instanceof ScratchpadError) return error;
    throw error;
  }
}

describe('indexedDbStorage in Chromium', () => {
  it('keeps what was committed across close and reopen', async () => {
    const name = uniqueName();
    const first = await opened(name);
    for (let v = 1; v <= 20; v++) await first.commit(append('s1', 'p', 's', v, { snapshots: v % 8 === 0 ? [full('p', 's', v)] : [] }));
    first.close();

    const second = await opened(name);
    expect(await second.loadSections()).toEqual([row('p', 's', 20)]);
    expect((await second.readHistory({})).map((e) => e.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const chain = await second.readChain('p', 's', 19);
    expect(chain.anchor).toEqual(full('p', 's', 16));
    expect(chain.entries.map((e) => e.version)).toEqual([17, 18, 19]);
  });

  it('lets exactly one of two connections win a race for the same version', async () => {
    const name = uniqueName();
    const a = await opened(name);
    const b = await opened(name);
    const results = await Promise.all([outcome(a.commit(append('s1', 'p', 's', 1))), outcome(b.commit(append('s1', 'p', 's', 1)))]);
    expect(results.filter((r) => r === 'ok')).toHaveLength(1);
    const loser = results.find((r) => r !== 'ok');
    expect(loser).toBeInstanceOf(ScratchpadError);
    expect((loser as ScratchpadError).code).toBe('CONFLICT');
    expect((await a.readHistory({})).map((e) => e.version)).toEqual([1]);
  });

  it('serialises two connections that append concurrently, each retrying after CONFLICT', async () => {
    const name = uniqueName();
    const writers = [await opened(name), await opened(name)];
    let conflicts = 0;
    // Each writer re-reads the row after a conflict, as a stale tab does before it rebases.
    const run = async (storage: SessionStorage, agent: string, count: number): Promise<void> => {
      let known = 0;
      for (let i = 0; i < count; ) {
        const version = known + 1;
        const result = await outcome(
          storage.commit({
            sections: [{ record: row('p', 's', version), expectedVersion: known }],
            entries: [entry('s1', 'p', 's', version, { agent, line: `${agent} ${i}` })],
            snapshots: [],
          }),
        );
        if (result === 'ok') {
          known = version;
          i++;
        } else {
          expect(result.code).toBe('CONFLICT');
          conflicts++;
          known = (await storage.loadSections())[0]?.version ?? 0;
        }
      }
    };
    await Promise.all([run(writers[0] as SessionStorage, 'a', 100), run(writers[1] as SessionStorage, 'b', 100)]);
    const history = await (writers[0] as SessionStorage).readHistory({ pad: 'p', section: 's' });
    expect(history.map((e) => e.version)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const lines = history.map((e) => e.patch.hunks[0]?.lines[0]);
    expect(new Set(lines).size).toBe(200);
    expect(conflicts).toBeGreaterThan(0);
  });

  it('tells other connections what changed over BroadcastChannel', async () => {
    const name = uniqueName();
    const a = await opened(name);
    const b = await opened(name);
    const heard = new Promise<readonly SectionKey[]>((resolve) => b.watch?.(resolve));
    await a.commit(append('s1', 'notes', 'todo', 1));
    expect(await heard).toEqual([{ pad: 'notes', section: 'todo' }]);
  });

  it('opens empty after the database was deleted while connected, without blocking the deletion', async () => {
    const name = uniqueName();
    const storage = await opened(name);
    await storage.commit(append('s1', 'p', 's', 1));
    let blocked = false;
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(name);
      request.onblocked = () => {
        blocked = true;
      };
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    });
    expect(blocked).toBe(false);
    expect(await storage.loadSections()).toEqual([]);
    await storage.commit(append('s1', 'p', 's', 1));
    expect((await storage.loadSections()).map((r) => r.version)).toEqual([1]);
  });

});

describe('indexedDbStorage in Chromium with a small quota', () => {
  it('reports a real quota exhaustion as QUOTA_EXCEEDED, stores nothing of that batch, and still reads', async () => {
    const bucket = await smallQuotaBucket(2 * 1024 * 1024);
    const storage = await indexedDbStorage({ name: uniqueName(), indexedDB: bucket.indexedDB }).open('s1');
    open.push(storage);
    try {
      await storage.commit(append('s1', 'p', 's', 1));
      let version = 1;
      let failure: ScratchpadError | undefined;
      for (let i = 0; i < 200 && !failure; i++) {
        const result = await outcome(storage.commit(append('s1', 'p', 's', version + 1, { snapshots: [full('p', 's', version + 1, randomText(256 * 1024))] })));
        if (result === 'ok') version++;
        else failure = result;
      }
      expect(failure?.code).toBe('QUOTA_EXCEEDED');
      expect(version).toBeGreaterThan(1);
      expect((await storage.loadSections()).map((r) => r.version)).toEqual([version]);
      expect((await storage.readHistory({})).map((e) => e.version)).toEqual(Array.from({ length: version }, (_, i) => i + 1));
      expect(await storage.readSnapshots()).toHaveLength(version - 1);

    } finally {
      storage.close();
      await bucket.remove();
    }
  });
});
