import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { HistoryEntry, HistoryQuery } from '../src/core/types.js';
import { indexedDbStorage } from '../src/storage/idb.js';
import type { SessionStorage, SyncOp } from '../src/storage/types.js';
import { append, entry, full, prefix, rejection, row, uniqueName } from './idb-fixtures.js';

const open: SessionStorage[] = [];
afterEach(() => {
  for (const storage of open.splice(0)) storage.close();
});

async function session(sessionId = 's1', name = uniqueName(), indexedDB: IDBFactory = new IDBFactory()): Promise<SessionStorage> {
  const storage = await indexedDbStorage({ name, indexedDB }).open(sessionId);
  open.push(storage);
  return storage;
}

function op(mutationId: number, pad = 'p', section = 's'): SyncOp {
  return { clientId: 'c1', mutationId, pad, section, kind: 'append', content: `m${mutationId}`, baseVersion: mutationId - 1, agent: 'a', timestamp: mutationId };
}

describe('indexedDbStorage: sections and commits', () => {
  it('names itself after the database and starts empty', async () => {
    const name = uniqueName();
    const adapter = indexedDbStorage({ name, indexedDB: new IDBFactory() });
    expect(adapter.name).toBe(`indexeddb:${name}`);
    const storage = await adapter.open('s1');
    open.push(storage);
    expect(await storage.loadSections()).toEqual([]);
    expect(await storage.readHistory({})).toEqual([]);
    expect(await storage.readSnapshots()).toEqual([]);
    expect(await storage.outbox.pending(10)).toEqual([]);
  });

  it('stores a batch and loads the current rows, tombstones included', async () => {
    const storage = await session();
    await storage.commit({
      sections: [
        { record: row('research', 'findings', 1), expectedVersion: 0 },
        { record: row('research', 'gone', 3, '', true), expectedVersion: 0 },
      ],
      entries: [entry('s1', 'research', 'findings', 1)],
      snapshots: [full('research', 'findings', 1)],
      outbox: [op(1, 'research', 'findings')],
    });
    const rows = await storage.loadSections();
    expect(rows).toEqual([row('research', 'findings', 1), row('research', 'gone', 3, '', true)]);
    expect(await storage.readEntries('research', 'findings', 1, 1)).toEqual([entry('s1', 'research', 'findings', 1)]);
    expect(await storage.readSnapshots()).toEqual([full('research', 'findings', 1)]);
    expect(await storage.outbox.pending(10)).toEqual([op(1, 'research', 'findings')]);
  });

  it('accepts several versions of one section in one batch (a group commit of two writes)', async () => {
    const storage = await session();
    await storage.commit({
      sections: [
        { record: row('p', 's', 1), expectedVersion: 0 },
        { record: row('p', 's', 2), expectedVersion: 1 },
      ],
      entries: [entry('s1', 'p', 's', 1), entry('s1', 'p', 's', 2)],
      snapshots: [],
    });
    expect((await storage.loadSections()).map((r) => r.version)).toEqual([2]);
  });

  it('rejects a stale batch with CONFLICT and stores nothing of it', async () => {
    const storage = await session();
    await storage.commit(append('s1', 'p', 'a', 1));
    await storage.commit(append('s1', 'p', 'a', 2));
    const before = { rows: await storage.loadSections(), history: await storage.readHistory({}) };

    const error = await rejection(
      storage.commit({
        sections: [
          { record: row('p', 'b', 1), expectedVersion: 0 },
          { record: row('p', 'a', 2), expectedVersion: 1 },
        ],
        entries: [entry('s1', 'p', 'b', 1), entry('s1', 'p', 'a', 2, { line: 'stale' })],
        snapshots: [full('p', 'b', 1)],
        outbox: [op(1)],
      }),
    );
    expect(error.code).toBe('CONFLICT');
    expect(error.details).toMatchObject({ pad: 'p', section: 'a', expectedVersion: 1, actualVersion: 2 });
    expect(await storage.loadSections()).toEqual(before.rows);
    expect(await storage.readHistory({})).toEqual(before.history);
    expect(await storage.readSnapshots()).toEqual([]);
    expect(await storage.outbox.pending(10)).toEqual([]);
  });

  it('reports CONFLICT (not a storage failure) when the stale section comes before others in the batch', async () => {
    const storage = await session();
    await storage.commit(append('s1', 'p', 'a', 1));
    await storage.commit(append('s1', 'p', 'a', 2));
    const error = await rejection(
      storage.commit({
        sections: [
          { record: row('p', 'a', 2), expectedVersion: 1 },
          { record: row('p', 'b', 1), expectedVersion: 0 },
          { record: row('p', 'c', 1), expectedVersion: 0 },
        ],
        entries: [entry('s1', 'p', 'a', 2, { line: 'stale' }), entry('s1', 'p', 'b', 1), entry('s1', 'p', 'c', 1)],
        snapshots: [],
      }),
    );
    expect(error.code).toBe('CONFLICT');
    expect(error.details).toMatchObject({ pad: 'p', section: 'a', expectedVersion: 1, actualVersion: 2 });
    expect((await storage.loadSections()).map((r) => r.section)).toEqual(['a']);
  });

  it('treats expectedVersion 0 as "no row yet", tombstones count as rows', async () => {
    const storage = await session();
    await storage.commit({ sections: [{ record: row('p', 's', 4, '', true), expectedVersion: 0 }], entries: [], snapshots: [] });
    const error = await rejection(storage.commit(append('s1', 'p', 's', 1)));
    expect(error.code).toBe('CONFLICT');
    expect(error.details).toMatchObject({ expectedVersion: 0, actualVersion: 4 });
    await storage.commit({ sections: [{ record: row('p', 's', 5), expectedVersion: 4 }], entries: [entry('s1', 'p', 's', 5)], snapshots: [] });
    expect((await storage.loadSections())[0]?.version).toBe(5);
  });

  it('an empty batch is a no-op', async () => {
    const storage = await session();
    await storage.commit({ sections: [], entries: [], snapshots: [] });
    expect(await storage.loadSections()).toEqual([]);
  });

  it('never reads or writes another session, and deleteSession removes only its own', async () => {
    const name = uniqueName();
    const factory = new IDBFactory();
    // 'a' is a prefix of 'ab': the key ranges must still keep them apart.
    const a = await session('a', name, factory);
    const ab = await session('ab', name, factory);
    await a.commit(append('a', 'p', 's', 1, { snapshots: [full('p', 's', 1)], outbox: [op(1)] }));
    await ab.commit(append('ab', 'p', 's', 1, { snapshots: [full('p', 's', 1)], outbox: [op(1)] }));
    await ab.commit(append('ab', 'p', 's', 2));

    expect((await a.loadSections()).map((r) => r.version)).toEqual([1]);
    expect((await a.readHistory({})).map((e) => e.sessionId)).toEqual(['a']);
    expect((await ab.readHistory({})).map((e) => e.sessionId)).toEqual(['ab', 'ab']);

    await a.deleteSession();
    expect(await a.loadSections()).toEqual([]);
    expect(await a.readHistory({})).toEqual([]);
    expect(await a.readSnapshots()).toEqual([]);
    expect(await a.outbox.pending(10)).toEqual([]);
    expect((await ab.loadSections()).map((r) => r.version)).toEqual([2]);
    expect(await ab.readHistory({})).toHaveLength(2);
    expect(await ab.readSnapshots()).toHaveLength(1);
    expect(await ab.outbox.pending(10)).toHaveLength(1);
  });

  it('files an entry under the session it is committed to', async () => {
    const storage = await session('mine');
    await storage.commit({ sections: [{ record: row('p', 's', 1), expectedVersion: 0 }], entries: [entry('other', 'p', 's', 1)], snapshots: [] });
    expect((await storage.readHistory({})).map((e) => e.sessionId)).toEqual(['mine']);
  });
});

describe('indexedDbStorage: history queries', () => {
  async function seeded(): Promise<SessionStorage> {
    const storage = await session();
    const entries = [
      entry('s1', 'p', 'a', 1, { agent: 'x', timestamp: 10 }),
      entry('s1', 'p', 'a', 2, { agent: 'y', timestamp: 20 }),
      entry('s1', 'p', 'b', 1, { agent: 'x', timestamp: 20 }),
      entry('s1', 'q', 'a', 1, { agent: 'y', timestamp: 20 }),
      entry('s1', 'q', 'a', 2, { agent: 'x', timestamp: 30 }),
    ];
    await storage.commit({ sections: [], entries, snapshots: [] });
    return storage;
  }
  const ids = (entries: HistoryEntry[]): string[] => entries.map((e) => `${e.pad}.${e.section}@${e.version}`);

  it('orders by timestamp, then pad, section and version; desc is the exact reverse', async () => {
    const storage = await seeded();
    expect(ids(await storage.readHistory({}))).toEqual(['p.a@1', 'p.a@2', 'p.b@1', 'q.a@1', 'q.a@2']);
    expect(ids(await storage.readHistory({ order: 'desc' }))).toEqual(['q.a@2', 'q.a@1', 'p.b@1', 'p.a@2', 'p.a@1']);
  });

  it('filters by pad, section, agent, time and limit', async () => {
    const storage = await seeded();
    expect(ids(await storage.readHistory({ pad: 'p' }))).toEqual(['p.a@1', 'p.a@2', 'p.b@1']);
    expect(ids(await storage.readHistory({ pad: 'p', section: 'a' }))).toEqual(['p.a@1', 'p.a@2']);
    expect(ids(await storage.readHistory({ section: 'a' }))).toEqual(['p.a@1', 'p.a@2', 'q.a@1', 'q.a@2']);
    expect(ids(await storage.readHistory({ agent: 'x' }))).toEqual(['p.a@1', 'p.b@1', 'q.a@2']);
    expect(ids(await storage.readHistory({ agent: 'x', pad: 'q' }))).toEqual(['q.a@2']);
    expect(ids(await storage.readHistory({ since: 20, until: 20 }))).toEqual(['p.a@2', 'p.b@1', 'q.a@1']);
    expect(ids(await storage.readHistory({ limit: 2, order: 'desc' }))).toEqual(['q.a@2', 'q.a@1']);
    expect(ids(await storage.readHistory({ agent: 'y', limit: 1, order: 'desc' }))).toEqual(['q.a@1']);
    expect(await storage.readHistory({ limit: 0 })).toEqual([]);
    expect(await storage.readHistory({ since: 31 })).toEqual([]);
    expect(await storage.readHistory({ since: 30, until: 10 })).toEqual([]);
  });

  it('returns what sorting and filtering all entries would, for any query', async () => {
    const name = uniqueName();
    const factory = new IDBFactory();
    let n = 0;
    const entryArb = fc.record({
      pad: fc.constantFrom('p', 'q', 'r'),
      section: fc.constantFrom('a', 'b'),
      agent: fc.constantFrom('x', 'y', 'z'),
      timestamp: fc.integer({ min: 0, max: 8 }),
    });
    const queryArb = fc.record(
      {
        pad: fc.constantFrom('p', 'q', 'r'),
        section: fc.constantFrom('a', 'b'),
        agent: fc.constantFrom('x', 'y', 'z'),
        since: fc.integer({ min: 0, max: 8 }),
        until: fc.integer({ min: 0, max: 8 }),
        limit: fc.integer({ min: 0, max: 12 }),
        order: fc.constantFrom<'asc' | 'desc'>('asc', 'desc'),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(entryArb, { maxLength: 25 }), queryArb, async (specs, query: HistoryQuery) => {
        const sessionId = `run${n++}`;
        const storage = await session(sessionId, name, factory);
        const versions = new Map<string, number>();
        const entries = specs.map((spec) => {
          const key = `${spec.pad}/${spec.section}`;
          const version = (versions.get(key) ?? 0) + 1;
          versions.set(key, version);
          return entry(sessionId, spec.pad, spec.section, version, spec);
        });
        if (entries.length > 0) await storage.commit({ sections: [], entries, snapshots: [] });
        const expected = reference(entries, query);
        expect(ids(await storage.readHistory(query))).toEqual(ids(expected));
      }),
      { numRuns: 150 },
    );
  });

  it('reads the entries of a version range', async () => {
    const storage = await session();
    for (let v = 1; v <= 5; v++) await storage.commit(append('s1', 'p', 's', v));
    expect((await storage.readEntries('p', 's', 2, 4)).map((e) => e.version)).toEqual([2, 3, 4]);
    expect(await storage.readEntries('p', 's', 4, 2)).toEqual([]);
    expect(await storage.readEntries('p', 'other', 1, 5)).toEqual([]);
  });
});

/** What memoryStorage does: filter, sort by (timestamp, pad, section, version), reverse for desc, then limit. */
function reference(entries: readonly HistoryEntry[], query: HistoryQuery): HistoryEntry[] {
  const rows = entries.filter(
    (e) =>
      (query.pad === undefined || e.pad === query.pad) &&
      (query.section === undefined || e.section === query.section) &&
      (query.agent === undefined || e.agent === query.agent) &&
      (query.since === undefined || e.timestamp >= query.since) &&
      (query.until === undefined || e.timestamp <= query.until),
  );
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  rows.sort((a, b) => a.timestamp - b.timestamp || cmp(a.pad, b.pad) || cmp(a.section, b.section) || a.version - b.version);
  if (query.order === 'desc') rows.reverse();
  return query.limit === undefined ? rows : rows.slice(0, query.limit);
}

describe('indexedDbStorage: chains, snapshots and pruning', () => {
  async function withVersions(count: number, snapshots: ReturnType<typeof full>[]): Promise<SessionStorage> {
    const storage = await session();
    for (let v = 1; v <= count; v++) {
      await storage.commit(append('s1', 'p', 's', v, { snapshots: snapshots.filter((s) => s.version === v) }));
    }
    return storage;
  }

  it('reads from the nearest full snapshot at or before the version', async () => {
    const storage = await withVersions(10, [full('p', 's', 3), full('p', 's', 6)]);
    const chain = await storage.readChain('p', 's', 8);
    expect(chain.anchor).toEqual(full('p', 's', 6));
    expect(chain.resolvedBy).toBeUndefined();
    expect(chain.current).toBeUndefined();
    expect(chain.entries.map((e) => e.version)).toEqual([7, 8]);

    const atAnchor = await storage.readChain('p', 's', 6);
    expect(atAnchor.anchor).toEqual(full('p', 's', 6));
    expect(atAnchor.entries).toEqual([]);
  });

  it('resolves a prefix checkpoint with the first full snapshot after it, skipping other prefixes', async () => {
    const storage = await withVersions(12, [prefix('p', 's', 2), prefix('p', 's', 5), full('p', 's', 9), full('p', 's', 11)]);
    const chain = await storage.readChain('p', 's', 3);
    expect(chain.anchor).toEqual(prefix('p', 's', 2));
    expect(chain.resolvedBy).toEqual(full('p', 's', 9));
    expect(chain.current).toBeUndefined();
    expect(chain.entries.map((e) => e.version)).toEqual([3]);
  });

  it('resolves a prefix checkpoint with no full snapshot after it by the current row', async () => {
    const storage = await withVersions(7, [full('p', 's', 1), prefix('p', 's', 4)]);
    const chain = await storage.readChain('p', 's', 6);
    expect(chain.anchor).toEqual(prefix('p', 's', 4));
    expect(chain.resolvedBy).toBeUndefined();
    expect(chain.current).toEqual(row('p', 's', 7));
    expect(chain.entries.map((e) => e.version)).toEqual([5, 6]);
  });

  it('reads from version 1 when there is no anchor', async () => {
    const storage = await withVersions(3, []);
    const chain = await storage.readChain('p', 's', 2);
    expect(chain).toEqual({ anchor: undefined, resolvedBy: undefined, current: undefined, entries: [entry('s1', 'p', 's', 1), entry('s1', 'p', 's', 2)] });
  });

  it('prunes entries and anchors below a version and keeps the given snapshot, in other sections nothing', async () => {
    const storage = await session();
    for (let v = 1; v <= 6; v++) {
      await storage.commit(append('s1', 'p', 's', v, { snapshots: v === 2 ? [full('p', 's', 2)] : v === 3 ? [prefix('p', 's', 3)] : [] }));
    }
    await storage.commit(append('s1', 'p', 'other', 1, { snapshots: [full('p', 'other', 1)] }));
    await storage.prune([{ pad: 'p', section: 's', belowVersion: 4, snapshot: full('p', 's', 4) }]);

    expect((await storage.readHistory({ pad: 'p', section: 's' })).map((e) => e.version)).toEqual([4, 5, 6]);
    expect(await storage.readSnapshots()).toEqual([full('p', 'other', 1), full('p', 's', 4)]);
    const chain = await storage.readChain('p', 's', 6);
    expect(chain.anchor).toEqual(full('p', 's', 4));
    expect(chain.entries.map((e) => e.version)).toEqual([5, 6]);
    expect((await storage.readChain('p', 's', 3)).anchor).toBeUndefined();
    expect(await storage.readHistory({ pad: 'p', section: 'other' })).toHaveLength(1);
  });

  it('returns snapshots as they were given, without bookkeeping fields', async () => {
    const storage = await withVersions(3, [full('p', 's', 1), prefix('p', 's', 3)]);
    const snapshots = await storage.readSnapshots();
    expect(snapshots).toEqual([full('p', 's', 1), prefix('p', 's', 3)]);
    for (const snapshot of snapshots) expect(Object.keys(snapshot)).not.toContain('fullKey');
  });
});

describe('indexedDbStorage: outbox and meta', () => {
  it('returns pending ops in the order they were queued, across clients, and drops one client\'s acknowledged ops', async () => {
    const storage = await session();
    const other = (mutationId: number): SyncOp => ({ ...op(mutationId), clientId: 'c2' });
    await storage.commit(append('s1', 'p', 's', 1, { outbox: [op(1)] }));
    await storage.commit(append('s1', 'p', 's', 2, { outbox: [other(1), op(2)] }));
    await storage.commit(append('s1', 'p', 's', 3, { outbox: [other(2), op(3)] }));
    const ids = (ops: SyncOp[]): string[] => ops.map((o) => `${o.clientId}:${o.mutationId}`);
    expect(ids(await storage.outbox.pending(10))).toEqual(['c1:1', 'c2:1', 'c1:2', 'c2:2', 'c1:3']);
    expect(ids(await storage.outbox.pending(2))).toEqual(['c1:1', 'c2:1']);
    expect(await storage.outbox.pending(0)).toEqual([]);
    expect(await storage.outbox.count()).toBe(5);

    await storage.outbox.ack('c1', 2);
    expect(ids(await storage.outbox.pending(10))).toEqual(['c2:1', 'c2:2', 'c1:3']);
    await storage.outbox.ack('c2', 5);
    expect(ids(await storage.outbox.pending(10))).toEqual(['c1:3']);
    expect(await storage.outbox.count()).toBe(1);
    // Ops come back as they were queued, without bookkeeping fields.
    expect(await storage.outbox.pending(1)).toEqual([op(3)]);
  });

  it('refuses a mutation id queued twice by one client, and stores nothing of that batch', async () => {
    const storage = await session();
    await storage.commit(append('s1', 'p', 's', 1, { outbox: [op(1)] }));
    const error = await rejection(storage.commit(append('s1', 'p', 's', 2, { outbox: [op(1)] })));
    expect(error.code).toBe('CONFLICT');
    expect((await storage.loadSections())[0]?.version).toBe(1);
    expect(await storage.outbox.pending(10)).toEqual([op(1)]);
  });

  it('keeps small JSON values per session', async () => {
    const name = uniqueName();
    const factory = new IDBFactory();
    const storage = await session('s1', name, factory);
    const neighbour = await session('s2', name, factory);
    expect(await storage.meta.get('cursor')).toBeUndefined();
    await storage.meta.set('cursor', { seq: 42, at: 'x' });
    await storage.meta.set('clientId', 'c-1');
    await neighbour.meta.set('cursor', 7);
    expect(await storage.meta.get('cursor')).toEqual({ seq: 42, at: 'x' });
    expect(await storage.meta.get('clientId')).toBe('c-1');
    expect(await neighbour.meta.get('cursor')).toBe(7);
    // What comes back is what JSON makes of the value, as in memoryStorage.
    await storage.meta.set('when', { at: new Date(0), gone: undefined });
    expect(await storage.meta.get('when')).toEqual({ at: '1970-01-01T00:00:00.000Z' });
    await storage.meta.set('clientId', undefined);
    expect(await storage.meta.get('clientId')).toBeUndefined();

    await storage.deleteSession();
    expect(await storage.meta.get('cursor')).toBeUndefined();
    expect(await neighbour.meta.get('cursor')).toBe(7);
  });
});

describe('indexedDbStorage: rewriteSection', () => {
  it('replaces history from a version on and puts the row, in one transaction', async () => {
    const storage = await session();
    for (let v = 1; v <= 5; v++) await storage.commit(append('s1', 'p', 's', v, { snapshots: v === 4 ? [prefix('p', 's', 4)] : [] }));
    await storage.commit(append('s1', 'p', 'other', 1));
    const server = (version: number) => entry('s1', 'p', 's', version, { agent: 'server', line: `server ${version}` });
    await storage.rewriteSection({
      record: row('p', 's', 4),
      expectedVersion: 5,
      fromVersion: 3,
      entries: [server(3), server(4)],
      snapshots: [full('p', 's', 4)],
    });
    expect(await storage.readEntries('p', 's', 1, 10)).toEqual([entry('s1', 'p', 's', 1), entry('s1', 'p', 's', 2), server(3), server(4)]);
    expect(await storage.readSnapshots()).toEqual([full('p', 's', 4)]);
    expect((await storage.loadSections()).map((r) => `${r.section}@${r.version}`)).toEqual(['other@1', 's@4']);
  });

  it('rejects CONFLICT when the stored row is not at the expected version, and changes nothing', async () => {
    const storage = await session();
    for (let v = 1; v <= 3; v++) await storage.commit(append('s1', 'p', 's', v));
    const error = await rejection(
      storage.rewriteSection({ record: row('p', 's', 2), expectedVersion: 2, fromVersion: 2, entries: [entry('s1', 'p', 's', 2, { line: 'x' })], snapshots: [] }),
    );
    expect(error.code).toBe('CONFLICT');
    expect(error.details).toMatchObject({ expectedVersion: 2, actualVersion: 3 });
    expect((await storage.readEntries('p', 's', 1, 10)).map((e) => e.version)).toEqual([1, 2, 3]);
    expect((await storage.loadSections())[0]?.version).toBe(3);
  });
});

describe('indexedDbStorage: close', () => {
  it('refuses every call after close with CLOSED', async () => {
    const storage = await session();
    storage.close();
    storage.close();
    const calls: (() => Promise<unknown>)[] = [
      () => storage.loadSections(),
      () => storage.commit(append('s1', 'p', 's', 1)),
      () => storage.readHistory({}),
      () => storage.readHistory({ limit: 0 }),
      () => storage.readEntries('p', 's', 1, 2),
      () => storage.readChain('p', 's', 1),
      () => storage.prune([{ pad: 'p', section: 's', belowVersion: 1, snapshot: full('p', 's', 1) }]),
      () => storage.readSnapshots(),
      () => storage.outbox.pending(1),
      () => storage.outbox.ack('c1', 1),
      () => storage.outbox.count(),
      () => storage.meta.get('k'),
      () => storage.meta.set('k', 1),
      () => storage.rewriteSection({ record: row('p', 's', 1), expectedVersion: 0, fromVersion: 1, entries: [], snapshots: [] }),
      () => storage.deleteSession(),
    ];
    for (const call of calls) expect((await rejection(call())).code).toBe('CLOSED');
  });

  it('lets go of the database when the last session closes, so it can be deleted without waiting', async () => {
    const name = uniqueName();
    const factory = new IDBFactory();
    const adapter = indexedDbStorage({ name, indexedDB: factory });
    const one = await adapter.open('a');
    const two = await adapter.open('b');
    await one.commit(append('a', 'p', 's', 1));
    one.close();
    // Still in use by `two`.
    await two.commit(append('b', 'p', 's', 1));
    two.close();
    let blocked = false;
    await new Promise<void>((resolve, reject) => {
      const request = factory.deleteDatabase(name);
      request.onblocked = () => {
        blocked = true;
      };
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    });
    expect(blocked).toBe(false);
  });
});
