import 'fake-indexeddb/auto';
import { forceCloseDatabase, IDBFactory } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { ScratchpadError } from '../src/core/errors.js';
import type { SectionKey, SessionStorage } from '../src/storage/types.js';
import { indexedDbStorage, SCHEMA_VERSION } from '../src/storage/idb.js';
import { toStorageError } from '../src/storage/idb/errors.js';
import { append, entry, full, prefix, rejection, row, uniqueName } from './idb-fixtures.js';

const open: SessionStorage[] = [];
const raw: IDBDatabase[] = [];
afterEach(() => {
  for (const storage of open.splice(0)) storage.close();
  for (const db of raw.splice(0)) db.close();
});

async function opened(promise: Promise<SessionStorage>): Promise<SessionStorage> {
  const storage = await promise;
  open.push(storage);
  return storage;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Raw IndexedDB, no library: how another tab, an older release or the browser itself would touch the database. */
function rawOpen(factory: IDBFactory, name: string, version?: number, upgrade?: (db: IDBDatabase, tx: IDBTransaction) => void): Promise<IDBDatabase> {
  const req = version === undefined ? factory.open(name) : factory.open(name, version);
  if (upgrade) req.onupgradeneeded = () => upgrade(req.result, req.transaction as IDBTransaction);
  return request(req).then((db) => {
    raw.push(db);
    return db;
  });
}

/** The layout schema version 1 created, written by hand. */
function createVersion1(db: IDBDatabase): void {
  db.createObjectStore('sections');
  const history = db.createObjectStore('history', { keyPath: ['sessionId', 'pad', 'section', 'version'] });
  history.createIndex('bySessionTime', ['sessionId', 'timestamp']);
  db.createObjectStore('snapshots');
}

async function seedVersion1(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  const db = await rawOpen(factory, name, 1, createVersion1);
  const tx = db.transaction(['sections', 'history', 'snapshots'], 'readwrite');
  tx.objectStore('sections').put(row('p', 's', 6), ['s1', 'p', 's']);
  for (let v = 1; v <= 6; v++) tx.objectStore('history').put(entry('s1', 'p', 's', v, { agent: v % 2 ? 'odd' : 'even' }));
  // Version 1 had no fullKey: the migration has to find the full snapshots among these rows.
  tx.objectStore('snapshots').put(full('p', 's', 1), ['s1', 'p', 's', 1]);
  tx.objectStore('snapshots').put(prefix('p', 's', 2), ['s1', 'p', 's', 2]);
  tx.objectStore('snapshots').put(prefix('p', 's', 3), ['s1', 'p', 's', 3]);
  tx.objectStore('snapshots').put(full('p', 's', 5), ['s1', 'p', 's', 5]);
  await new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
  return db;
}

describe('schema migration', () => {
  it('opens a database written by schema version 1 and migrates it in place', async () => {
    const factory = new IDBFactory();
    const name = uniqueName();
    (await seedVersion1(factory, name)).close();

    const storage = await opened(indexedDbStorage({ name, indexedDB: factory }).open('s1'));
    expect(await storage.loadSections()).toEqual([row('p', 's', 6)]);
    // The full-snapshot index was backfilled: the prefix checkpoint at 2 resolves to the full snapshot at 5.
    const chain = await storage.readChain('p', 's', 4);
    expect(chain.anchor).toEqual(prefix('p', 's', 3));
    expect(chain.resolvedBy).toEqual(full('p', 's', 5));
    expect(chain.entries.map((e) => e.version)).toEqual([4]);
    // Whole entries of version 1 come back unchanged from their packed copies.
    expect(await storage.readEntries('p', 's', 1, 6)).toEqual(Array.from({ length: 6 }, (_, i) => entry('s1', 'p', 's', i + 1, { agent: (i + 1) % 2 ? 'odd' : 'even' })));
    // The agent index exists and covers the old rows.
    expect((await storage.readHistory({ agent: 'even' })).map((e) => e.version)).toEqual([2, 4, 6]);
    // And the outbox store is there.
    await storage.commit(append('s1', 'p', 's', 7, { outbox: [{ clientId: 'c', mutationId: 1, pad: 'p', section: 's', kind: 'append', content: 'x', baseVersion: 6, agent: 'a', timestamp: 1 }] }));
    expect(await storage.outbox.pending(5)).toHaveLength(1);
    storage.close();
    open.splice(open.indexOf(storage), 1);

    const after = await rawOpen(factory, name);
    expect(after.version).toBe(SCHEMA_VERSION);
    expect([...after.objectStoreNames].sort()).toEqual(['entries', 'meta', 'outbox', 'sections', 'snapshots']);
  });

  it('waits for a tab that holds the old version open, fails clearly if it never lets go, and opens once it does', async () => {
    const factory = new IDBFactory();
    const name = uniqueName();
    // An old tab: it ignores versionchange, as libraries without a `blocking` handler do.
    const old = await seedVersion1(factory, name);
    const adapter = indexedDbStorage({ name, indexedDB: factory, blockedTimeoutMs: 30 });

    const error = await rejection(adapter.open('s1'));
    expect(error.code).toBe('STORAGE_UNAVAILABLE');
    expect(error.message).toMatch(/another tab keeps an older version/);

    old.close();
    // Open requests run in order: this one completes after the adapter's pending upgrade.
    (await rawOpen(factory, name)).close();
    const storage = await opened(adapter.open('s1'));
    expect((await storage.loadSections()).map((r) => r.version)).toEqual([6]);
  });

  it('gets out of the way of a newer version in another tab, then says the page must reload', async () => {
    const factory = new IDBFactory();
    const name = uniqueName();
    const storage = await opened(indexedDbStorage({ name, indexedDB: factory }).open('s1'));
    await storage.commit(append('s1', 'p', 's', 1));

    let blocked = false;
    const req = factory.open(name, SCHEMA_VERSION + 1);
    req.onblocked = () => {
      blocked = true;
    };
    req.onupgradeneeded = () => req.result.createObjectStore('future');
    raw.push(await request(req));
    expect(blocked).toBe(false);

    const error = await rejection(storage.loadSections());
    expect(error.code).toBe('STORAGE_UNAVAILABLE');
    expect(error.message).toMatch(/newer version/);
  });
});

describe('connection loss', () => {
  it('opens empty after the database was deleted behind its back, and keeps working', async () => {
    const factory = new IDBFactory();
    const name = uniqueName();
    const storage = await opened(indexedDbStorage({ name, indexedDB: factory }).open('s1'));
    await storage.commit(append('s1', 'p', 's', 1));
    await storage.commit(append('s1', 'p', 's', 2));

    let blocked = false;
    const deletion = factory.deleteDatabase(name);
    deletion.onblocked = () => {
      blocked = true;
    };
    await request(deletion);
    expect(blocked).toBe(false);

    expect(await storage.loadSections()).toEqual([]);
    await storage.commit(append('s1', 'p', 's', 1));
    expect((await storage.readHistory({})).map((e) => e.version)).toEqual([1]);

    const fresh = await opened(indexedDbStorage({ name, indexedDB: factory }).open('s1'));
    expect((await fresh.loadSections()).map((r) => r.version)).toEqual([1]);
  });

  it('reconnects after the browser closed the connection (terminated)', async () => {
    const real = new IDBFactory();
    const connections: IDBDatabase[] = [];
    // Hands out the adapter's connections so that the test can have "the browser" close one.
    const factory: IDBFactory = {
      open(name: string, version?: number) {
        const req = real.open(name, version);
        req.addEventListener('success', () => connections.push(req.result));
        return req;
      },
      deleteDatabase: (name: string) => real.deleteDatabase(name),
      databases: () => real.databases(),
      cmp: (a: unknown, b: unknown) => real.cmp(a, b),
    };
    const storage = await opened(indexedDbStorage({ name: uniqueName(), indexedDB: factory }).open('s1'));
    await storage.commit(append('s1', 'p', 's', 1));
    expect(connections).toHaveLength(1);

    forceCloseDatabase(connections[0] as unknown as Parameters<typeof forceCloseDatabase>[0]);
    await storage.commit(append('s1', 'p', 's', 2));
    expect(connections).toHaveLength(2);
    expect((await storage.loadSections()).map((r) => r.version)).toEqual([2]);
  });
});

describe('failures', () => {
  it('says STORAGE_UNAVAILABLE when there is no IndexedDB at all', async () => {
    const global = globalThis as { indexedDB?: IDBFactory };
    const saved = global.indexedDB;
    delete global.indexedDB;
    try {
      const error = await rejection(indexedDbStorage({ name: uniqueName() }).open('s1'));
      expect(error.code).toBe('STORAGE_UNAVAILABLE');
      expect(error.message).toMatch(/IndexedDB is not available/);
    } finally {
      global.indexedDB = saved;
    }
  });

  it('says STORAGE_UNAVAILABLE when the database refuses to open (already at a newer version)', async () => {
    const factory = new IDBFactory();
    const name = uniqueName();
    (await rawOpen(factory, name, SCHEMA_VERSION + 3)).close();
    const error = await rejection(indexedDbStorage({ name, indexedDB: factory }).open('s1'));
    expect(error.code).toBe('STORAGE_UNAVAILABLE');
    expect(error.details.cause).toBe('VersionError');
  });

  async function withQuotaFailure(mode: 'abort' | 'throw', body: () => Promise<void>): Promise<void> {
    const proto = IDBObjectStore.prototype;
    const put = proto.put;
    let armed = true;
    // Chromium aborts a transaction that runs out of quota (requests fail with AbortError, transaction.error is a
    // QuotaExceededError); other engines have thrown it from put itself. fake-indexeddb has no quota, so inject both.
    proto.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      if (!armed || this.name !== 'entries') return put.call(this, value, key);
      armed = false;
      if (mode === 'throw') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      const req = put.call(this, value, key);
      const tx = this.transaction as unknown as { _abort(name: string): void };
      req.addEventListener('success', () => tx._abort('QuotaExceededError'));
      return req;
    };
    try {
      await body();
    } finally {
      proto.put = put;
    }
  }

  for (const mode of ['abort', 'throw'] as const) {
    it(`maps a quota failure (${mode === 'abort' ? 'transaction aborted with QuotaExceededError' : 'put throws QuotaExceededError'}) to QUOTA_EXCEEDED and stores nothing`, async () => {
      const storage = await opened(indexedDbStorage({ name: uniqueName(), indexedDB: new IDBFactory() }).open('s1'));
      await storage.commit(append('s1', 'p', 's', 1));
      await withQuotaFailure(mode, async () => {
        const error = await rejection(storage.commit(append('s1', 'p', 's', 2, { snapshots: [full('p', 's', 2)] })));
        expect(error.code).toBe('QUOTA_EXCEEDED');
        expect(error.message).toMatch(/quota/);
      });
      expect((await storage.loadSections()).map((r) => r.version)).toEqual([1]);
      expect((await storage.readHistory({})).map((e) => e.version)).toEqual([1]);
      expect(await storage.readSnapshots()).toEqual([]);
      // And the next commit goes through.
      await storage.commit(append('s1', 'p', 's', 2));
      expect((await storage.loadSections()).map((r) => r.version)).toEqual([2]);
    });
  }

  it('maps IndexedDB exception names to stable codes', () => {
    const dom = (name: string): DOMException => new DOMException('x', name);
    expect(toStorageError(dom('QuotaExceededError'), 'w').code).toBe('QUOTA_EXCEEDED');
    expect(toStorageError(dom('AbortError'), 'w', dom('QuotaExceededError')).code).toBe('QUOTA_EXCEEDED');
    expect(toStorageError(dom('AbortError'), 'w').code).toBe('STORAGE_UNAVAILABLE');
    expect(toStorageError(dom('InvalidStateError'), 'w').code).toBe('STORAGE_UNAVAILABLE');
    expect(toStorageError(dom('UnknownError'), 'w').code).toBe('STORAGE_UNAVAILABLE');
    expect(toStorageError(dom('SecurityError'), 'w').message).toMatch(/refuses IndexedDB/);
    expect(toStorageError(dom('DataCloneError'), 'w').code).toBe('INVALID_ARGUMENT');
    const own = new ScratchpadError('CONFLICT', 'c');
    expect(toStorageError(own, 'w')).toBe(own);
    expect(toStorageError(dom('UnknownError'), 'w').cause).toBeInstanceOf(DOMException);
  });
});

describe('watch', () => {
  function changes(storage: SessionStorage): { calls: SectionKey[][]; next: () => Promise<readonly SectionKey[]>; stop: () => void } {
    const calls: SectionKey[][] = [];
    let waiting: ((keys: readonly SectionKey[]) => void) | undefined;
    const watch = storage.watch;
    if (!watch) throw new Error('indexedDbStorage sessions can watch');
    const stop = watch.call(storage, (keys) => {
      calls.push([...keys]);
      waiting?.(keys);
      waiting = undefined;
    });
    return {
      calls,
      stop,
      next: () =>
        new Promise((resolve) => {
          waiting = resolve;
        }),
    };
  }

  it('tells the other connections of a database which sections of their session changed', async () => {
    const factory = new IDBFactory();
    const name = uniqueName();
    const tabA = await opened(indexedDbStorage({ name, indexedDB: factory }).open('s1'));
    const tabB = await opened(indexedDbStorage({ name, indexedDB: factory }).open('s1'));
    const otherSessionA = await opened(indexedDbStorage({ name, indexedDB: factory }).open('s2'));
    const otherSessionB = await opened(indexedDbStorage({ name, indexedDB: factory }).open('s2'));
    const seenByA = changes(tabA);
    const seenByB = changes(tabB);
    const seenByS2 = changes(otherSessionB);

    let arrived = seenByB.next();
    await tabA.commit({
      sections: [
        { record: row('p', 'a', 1), expectedVersion: 0 },
        { record: row('p', 'b', 1), expectedVersion: 0 },
      ],
      entries: [entry('s1', 'p', 'a', 1), entry('s1', 'p', 'b', 1)],
      snapshots: [],
    });
    expect(await arrived).toEqual([
      { pad: 'p', section: 'a' },
      { pad: 'p', section: 'b' },
    ]);

    // The other session hears only of its own commits.
    const s2arrived = seenByS2.next();
    await otherSessionA.commit(append('s2', 'q', 'z', 1));
    expect(await s2arrived).toEqual([{ pad: 'q', section: 'z' }]);
    expect(seenByS2.calls).toEqual([[{ pad: 'q', section: 'z' }]]);

    // A commit by B reaches A; A never heard of its own commit.
    arrived = seenByA.next();
    await tabB.commit(append('s1', 'p', 'a', 2));
    expect(await arrived).toEqual([{ pad: 'p', section: 'a' }]);
    expect(seenByA.calls).toEqual([[{ pad: 'p', section: 'a' }]]);

    // deleteSession names every section it removed.
    arrived = seenByB.next();
    await tabA.deleteSession();
    expect(await arrived).toEqual([
      { pad: 'p', section: 'a' },
      { pad: 'p', section: 'b' },
    ]);

    // After unsubscribing (or closing) nothing more arrives; a watcher that stays proves the message went out.
    seenByB.stop();
    const stillWatching = changes(await opened(indexedDbStorage({ name, indexedDB: factory }).open('s1')));
    arrived = stillWatching.next();
    await tabA.commit(append('s1', 'p', 'c', 1));
    await arrived;
    expect(seenByB.calls).toHaveLength(2);
  });

  it('does not tell anyone about a commit that failed', async () => {
    const factory = new IDBFactory();
    const name = uniqueName();
    const tabA = await opened(indexedDbStorage({ name, indexedDB: factory }).open('s1'));
    const tabB = await opened(indexedDbStorage({ name, indexedDB: factory }).open('s1'));
    const seenByB = changes(tabB);
    await expect(tabA.commit(append('s1', 'p', 'x', 2))).rejects.toMatchObject({ code: 'CONFLICT' });
    const arrived = seenByB.next();
    await tabA.commit(append('s1', 'p', 'y', 1));
    expect(await arrived).toEqual([{ pad: 'p', section: 'y' }]);
    expect(seenByB.calls).toEqual([[{ pad: 'p', section: 'y' }]]);
  });
});
