/**
 * The sync client (outbox, httpSync, SyncEngine, adopting the server's numbering) against the real reference server
 * on loopback, with a real SQLite file. Faults come from a misbehaving proxy, not from mocks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchpad, memoryStorage, type Scratchpad, type StorageAdapter } from '../src/index.js';
import { hmacAuth, signToken } from '@scratchpad-store/server';
import { createServer, type ScratchpadServer } from '@scratchpad-store/server';
import { sqliteStore } from '@scratchpad-store/server/sqlite';
import { httpSync } from '../src/sync/index.js';
import { startFaultProxy } from '../packages/server/test/helpers/fault-proxy.js';

const SECRET = 'sync-client-test-secret-0123456789abcdef';
const token = signToken('alice', SECRET);
const dir = mkdtempSync(join(tmpdir(), 'sp-sync-client-'));
let files = 0;

async function startServer(path = join(dir, `server-${++files}.db`), port = 0): Promise<{ server: ScratchpadServer; url: string; path: string }> {
  const server = createServer({ store: sqliteStore({ path }), auth: hmacAuth(SECRET), log: () => undefined });
  const { url } = await server.listen(port);
  return { server, url, path };
}

let session = 0;
const nextSession = () => `session-${++session}`;

function client(url: string, sessionId: string, storage: StorageAdapter = memoryStorage()): Scratchpad {
  // No polling and no live pokes: these tests decide when each device syncs (live pokes: test/sync-reset.test.ts).
  return createScratchpad({ sessionId, storage, sync: httpSync({ url, token, pullIntervalMs: 0, live: false }) });
}

/** Everything a user can observe of a session: rows and the full history with server numbering. */
async function state(sp: Scratchpad) {
  const history = (await sp.history()).map((e) => [e.pad, e.section, e.version, e.op, e.agent, e.stats.added, e.stats.removed, e.conflict ?? false]);
  history.sort((a, b) => String(a).localeCompare(String(b)));
  return { render: sp.render(), history };
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sync client against the reference server', () => {
  let main: { server: ScratchpadServer; url: string };
  beforeAll(async () => {
    main = await startServer();
  });
  afterAll(() => main.server.close());

  it('pushes local writes and a second device pulls them with the same history', async () => {
    const sessionId = nextSession();
    const a = client(main.url, sessionId);
    await a.write('research', 'findings', 'one', { agent: 'researcher' });
    await a.write('research', 'findings', 'two', { mode: 'append', agent: 'researcher' });
    await a.edit('research', 'findings', { oldText: 'two', newText: 'TWO' }, { agent: 'editor' });
    await a.flush();
    expect(a.syncStatus).toMatchObject({ state: 'idle', pending: 0 });

    const b = client(main.url, sessionId);
    await b.ready;
    await b.flush();
    expect(b.read('research', 'findings')).toBe('one\nTWO');
    expect(await state(b)).toEqual(await state(a));
    expect((await b.history()).map((e) => e.op)).toEqual(['write_replace', 'write_append', 'edit']);
    expect(await b.contentAt('research', 'findings', 1)).toBe('one');
    a.close();
    b.close();
  });

  it('renumbers versions made offline after another device wrote first, keeping every change', async () => {
    const sessionId = nextSession();
    const first = client(main.url, sessionId);
    await first.write('log', 'events', 'from first 1', { mode: 'append', agent: 'first' });
    await first.write('log', 'events', 'from first 2', { mode: 'append', agent: 'first' });
    await first.flush();

    // `second` works offline (its server is unreachable) on the same session: its versions 1..2 are speculative.
    const offlineStorage = memoryStorage();
    const offline = createScratchpad({ sessionId, storage: offlineStorage, sync: httpSync({ url: 'http://127.0.0.1:9', token, pullIntervalMs: 0 }) });
    await offline.write('log', 'events', 'from second 1', { mode: 'append', agent: 'second' });
    await offline.write('log', 'events', 'from second 2', { mode: 'append', agent: 'second' });
    await expect(offline.flush()).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect(offline.syncStatus).toMatchObject({ state: 'offline', pending: 2 });
    expect(offline.get('log', 'events')?.version).toBe(2);
    offline.close();

    // Back online (same local storage, new connection to the real server): the server's numbering wins.
    const second = client(main.url, sessionId, offlineStorage);
    await second.ready;
    expect(second.read('log', 'events')).toBe('from second 1\nfrom second 2');
    await second.flush();
    expect(second.read('log', 'events')).toBe('from first 1\nfrom first 2\nfrom second 1\nfrom second 2');
    const history = await second.history({ pad: 'log', section: 'events' });
    expect(history.map((e) => [e.version, e.agent])).toEqual([
      [1, 'first'],
      [2, 'first'],
      [3, 'second'],
      [4, 'second'],
    ]);
    const lines = ['from first 1', 'from first 2', 'from second 1', 'from second 2'];
    for (let v = 1; v <= 4; v++) expect(await second.contentAt('log', 'events', v)).toBe(lines.slice(0, v).join('\n'));
    await first.flush();
    expect(await state(first)).toEqual(await state(second));
    first.close();
    second.close();
  });

  it('merges clean concurrent edits of one section and marks real conflicts, losing no text from history', async () => {
    const sessionId = nextSession();
    const base = ['intro', 'alpha', 'beta', 'gamma', 'delta', 'outro'].join('\n') + '\n';
    const a = client(main.url, sessionId);
    await a.write('doc', 'body', base, { agent: 'a' });
    await a.flush();
    const b = client(main.url, sessionId);
    await b.flush();

    // Offline, each edits a different line: a clean three-way merge.
    await a.edit('doc', 'body', { oldText: 'alpha', newText: 'ALPHA' }, { agent: 'a' });
    await b.edit('doc', 'body', { oldText: 'delta', newText: 'DELTA' }, { agent: 'b' });
    await a.flush();
    await b.flush();
    await a.flush();
    expect(b.read('doc', 'body')).toBe(['intro', 'ALPHA', 'beta', 'gamma', 'DELTA', 'outro'].join('\n') + '\n');
    expect(a.read('doc', 'body')).toBe(b.read('doc', 'body'));
    expect((await b.history({ pad: 'doc', section: 'body' })).some((e) => e.conflict)).toBe(false);

    // Both rewrite the same line: the later push wins, its entry is marked, and both texts stay in history.
    await a.edit('doc', 'body', { oldText: 'beta', newText: 'beta by a' }, { agent: 'a' });
    await b.edit('doc', 'body', { oldText: 'beta', newText: 'beta by b' }, { agent: 'b' });
    await a.flush();
    await b.flush();
    await a.flush();
    expect(a.read('doc', 'body')).toBe(b.read('doc', 'body'));
    expect(b.read('doc', 'body')).toContain('beta by b');
    const history = await b.history({ pad: 'doc', section: 'body' });
    expect(history.filter((e) => e.conflict).map((e) => e.agent)).toEqual(['b']);
    const texts = await Promise.all(history.map((e) => b.contentAt('doc', 'body', e.version)));
    expect(texts.some((t) => t.includes('beta by a'))).toBe(true);
    expect(texts.some((t) => t.includes('beta by b'))).toBe(true);
    a.close();
    b.close();
  });

  it('applies 1,000 ops exactly once through a proxy that drops, fails, delays and duplicates requests', async () => {
    const sessionId = nextSession();
    const proxy = await startFaultProxy({
      upstream: main.url,
      seed: 7,
      weights: { 'drop-before': 0.08, 'drop-after': 0.08, 'error-500': 0.08, delay: 0.1, twice: 0.1 },
    });
    try {
      const sp = createScratchpad({ sessionId, sync: httpSync({ url: proxy.url, token, pullIntervalMs: 0, batchSize: 25, live: false }) });
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 1_000; i++) {
        const section = `s${i % 10}`;
        writes.push(sp.write('load', section, `line ${i}`, { mode: 'append', agent: 'loader' }));
      }
      await Promise.all(writes);
      // Keep flushing until the outbox is empty: faults make single rounds fail, never lose or repeat an op.
      for (let attempt = 0; attempt < 200 && (sp.syncStatus.pending > 0 || attempt === 0); attempt++) await sp.flush().catch(() => undefined);
      await sp.flush().catch(() => undefined);
      await sp.flush();
      expect(sp.syncStatus.pending).toBe(0);
      expect(proxy.counts['twice'] + proxy.counts['drop-after']).toBeGreaterThan(0);

      const fresh = client(main.url, sessionId);
      await fresh.flush();
      for (let s = 0; s < 10; s++) {
        const lines = fresh.read('load', `s${s}`)!.split('\n');
        expect(lines).toEqual(Array.from({ length: 100 }, (_, k) => `line ${k * 10 + s}`));
        expect(fresh.get('load', `s${s}`)?.version).toBe(100);
      }
      expect(await state(fresh)).toEqual(await state(sp));
      sp.close();
      fresh.close();
    } finally {
      await proxy.close();
    }
  });

  it('keeps writes made while the server is down and delivers them when it is back', async () => {
    const sessionId = nextSession();
    const first = await startServer();
    const port = Number(new URL(first.url).port);
    const sp = client(first.url, sessionId);
    await sp.write('p', 's', 'before the outage');
    await sp.flush();
    await first.server.close();

    await sp.write('p', 's', 'during the outage 1', { mode: 'append' });
    await sp.write('p', 't', 'during the outage 2');
    await expect(sp.flush()).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE', details: { sync: true } });
    expect(sp.syncStatus.pending).toBe(2);

    const again = await startServer(first.path, port);
    await sp.flush();
    expect(sp.syncStatus).toMatchObject({ state: 'idle', pending: 0 });
    const other = client(again.url, sessionId);
    await other.flush();
    expect(other.render()).toBe(sp.render());
    sp.close();
    other.close();
    await again.server.close();
  });

  it('reports a refused token as an error without retrying forever, and changes nothing on the server', async () => {
    const sessionId = nextSession();
    const sp = createScratchpad({ sessionId, sync: httpSync({ url: main.url, token: 'not-a-valid-token', pullIntervalMs: 0 }) });
    await sp.write('p', 's', 'local only');
    await expect(sp.flush()).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect(sp.syncStatus).toMatchObject({ state: 'error', pending: 1 });
    expect(sp.syncStatus.lastError).toContain('401');
    expect(sp.read('p', 's')).toBe('local only');
    const owner = client(main.url, sessionId);
    await owner.flush();
    expect(owner.pads()).toEqual([]);
    sp.close();
    owner.close();
  });

  it('deleteSession removes the session on the server too', async () => {
    const sessionId = nextSession();
    const sp = client(main.url, sessionId);
    await sp.write('p', 's', 'x');
    await sp.flush();
    await sp.deleteSession();
    const other = client(main.url, sessionId);
    await other.flush();
    expect(other.pads()).toEqual([]);
    sp.close();
    other.close();
  });
});
