/**
 * Issue 12, finding 6: sessions are keyed by user and session id. Two users each have a session `default` over a
 * real server on SQLite and PostgreSQL, and a database written by schema 1 (sessions keyed by id alone, owned by
 * their first writer) migrates at open: the owner finds their data under the same session id, and the name is free
 * for everyone else.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { PullResponse, PushResponse, SnapshotResponse, SyncOp } from 'scratchpad-store/protocol';
import { hmacAuth, signToken } from '../src/auth.js';
import { createServer, type ScratchpadServer } from '../src/server.js';
import { postgresStore } from '../src/sql/postgres.js';
import { sqliteStore } from '../src/sql/sqlite.js';
import type { ServerStore } from '../src/types.js';
import { postgresFixture } from './helpers/postgres.js';
import { checkHistory, opsFor } from './helpers/store-suite.js';

const SECRET = 'tenancy-test-secret-0123456789-0123456789';
const alice = signToken('alice', SECRET);
const bob = signToken('bob', SECRET);

const fixture = postgresFixture('scratchpad-tenancy-');

async function serve(store: ServerStore): Promise<{ server: ScratchpadServer; url: string }> {
  const server = createServer({ store, auth: hmacAuth(SECRET), log: () => undefined });
  return { server, url: (await server.listen(0)).url };
}

async function push(url: string, token: string, sessionId: string, clientId: string, ops: readonly SyncOp[]): Promise<PushResponse> {
  const response = await fetch(`${url}/v1/sessions/${sessionId}/push`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ clientId, ops }),
  });
  const body = (await response.json()) as PushResponse;
  if (response.status !== 200) throw new Error(`push answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

async function get<T>(url: string, token: string, path: string): Promise<T> {
  const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/**
 * Rewrites a database of this schema into what schema 1 wrote: session ids as the only key, schema_version 1. The
 * layouts differ in nothing else, so this is exactly a database the previous release left behind.
 */
const TO_SCHEMA_1 = (sqlite: boolean) => {
  const after = sqlite ? `substr(session_id, instr(session_id, char(31)) + 1)` : `substr(session_id, strpos(session_id, chr(31)) + 1)`;
  return [
    ...['sp_sections', 'sp_history', 'sp_snapshots', 'sp_clients', 'sp_sessions'].map((t) => `UPDATE ${t} SET session_id = ${after}`),
    `UPDATE sp_meta SET value = '1' WHERE key = 'schema_version'`,
  ];
};

const backends: [string, () => Promise<{ open: () => Promise<ServerStore>; downgrade: () => Promise<void>; version: () => Promise<string> }>][] = [
  [
    'SQLite',
    async () => {
      const path = join(fixture.dir, `tenancy-${Math.random().toString(36).slice(2)}.db`);
      const withDb = <T>(body: (db: Database.Database) => T): T => {
        const db = new Database(path);
        try {
          return body(db);
        } finally {
          db.close();
        }
      };
      return {
        open: async () => sqliteStore({ path }),
        downgrade: async () => withDb((db) => db.transaction(() => TO_SCHEMA_1(true).forEach((q) => db.exec(q)))()),
        version: async () => withDb((db) => (db.prepare(`SELECT value FROM sp_meta WHERE key = 'schema_version'`).get() as { value: string }).value),
      };
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const connectionString = await fixture.cluster.createDatabase();
      const withDb = async <T>(body: (client: pg.Client) => Promise<T>): Promise<T> => {
        const client = new pg.Client({ connectionString });
        await client.connect();
        try {
          return await body(client);
        } finally {
          await client.end();
        }
      };
      return {
        open: () => postgresStore({ connectionString, maxConnections: 3 }),
        downgrade: () => withDb(async (c) => {
          await c.query('BEGIN');
          for (const q of TO_SCHEMA_1(false)) await c.query(q);
          await c.query('COMMIT');
        }),
        version: () => withDb(async (c) => (await c.query<{ value: string }>(`SELECT value FROM sp_meta WHERE key = 'schema_version'`)).rows[0]!.value),
      };
    },
  ],
];

describe.each(backends)('tenancy on %s', (_name, backend) => {
  it('gives two users each their own session "default"', async () => {
    const db = await backend();
    const { server, url } = await serve(await db.open());
    try {
      const a = opsFor('alice-laptop');
      const b = opsFor('bob-phone');
      await push(url, alice, 'default', 'alice-laptop', [a.replace('notes', 'todo', 'alice: buy milk', 0)]);
      // Before keys, bob got 403 here forever: the first writer owned the name.
      const bobs = await push(url, bob, 'default', 'bob-phone', [b.replace('notes', 'todo', 'bob: call mum', 0), b.append('notes', 'todo', 'bob: and dad')]);
      expect(bobs.results.map((r) => r.status)).toEqual(['applied', 'applied']);
      const alicePull = await get<PullResponse>(url, alice, '/v1/sessions/default/pull?clientId=alice-laptop');
      const bobPull = await get<PullResponse>(url, bob, '/v1/sessions/default/pull?clientId=bob-phone');
      expect(alicePull.sections.map((s) => s.content)).toEqual(['alice: buy milk']);
      expect(bobPull.sections.map((s) => s.content)).toEqual(['bob: call mum\nbob: and dad']);
      // Entries carry the session id the client knows, not the store's key.
      expect(alicePull.entries.map((e) => e.sessionId)).toEqual(['default']);
      expect(bobPull.entries.map((e) => [e.sessionId, e.version])).toEqual([['default', 1], ['default', 2]]);
      // bob's reset of his session leaves alice's alone.
      expect((await fetch(`${url}/v1/sessions/default`, { method: 'DELETE', headers: { authorization: `Bearer ${bob}` } })).status).toBe(200);
      expect((await get<SnapshotResponse>(url, alice, '/v1/sessions/default/snapshot')).sections[0]).toMatchObject({ content: 'alice: buy milk' });
      expect((await get<SnapshotResponse>(url, bob, '/v1/sessions/default/snapshot')).sections).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('migrates a database written by schema 1 at open: the owner keeps everything under the same session id', async () => {
    const db = await backend();
    let store = await db.open();
    const a = opsFor('alice-laptop');
    for (let i = 0; i < 40; i++) await store.push({ userId: 'alice', sessionId: 'default', clientId: 'alice-laptop', ops: [a.append('log', 'lines', `line ${i}`)] });
    await store.push({ userId: 'alice', sessionId: 'default', clientId: 'alice-laptop', ops: [a.replace('notes', 'todo', 'draft\n', 0)] });
    await store.push({ userId: 'carol', sessionId: 'carols', clientId: 'carol-1', ops: [opsFor('carol-1').replace('p', 's', 'carol', 0)] });
    const before = await store.pull({ userId: 'alice', sessionId: 'default', since: undefined, clientId: 'alice-laptop', limit: 1000 });
    await store.close();
    await db.downgrade();
    expect(await db.version()).toBe('1');

    store = await db.open();
    expect(await db.version()).toBe('3');
    const { server, url } = await serve(store);
    try {
      const after = await get<PullResponse>(url, alice, '/v1/sessions/default/pull?clientId=alice-laptop&limit=1000');
      expect(after).toEqual(before);
      expect(after.lastMutationId).toBe(41);
      // History still rebuilds from the migrated anchors (40 appends cross a checkpoint).
      await checkHistory(store, 'alice', 'default');
      // alice's client goes on where it was; bob now gets a session 'default' of his own instead of 403.
      const next = await push(url, alice, 'default', 'alice-laptop', [a.append('log', 'lines', 'after the upgrade')]);
      expect(next.results).toEqual([{ mutationId: 42, status: 'applied', version: 41 }]);
      expect((await push(url, bob, 'default', 'bob-phone', [opsFor('bob-phone').replace('p', 's', 'bob', 0)])).results[0]).toMatchObject({ status: 'applied', version: 1 });
      expect((await get<SnapshotResponse>(url, signToken('carol', SECRET), '/v1/sessions/carols/snapshot?clientId=carol-1')).sections[0]).toMatchObject({ content: 'carol' });
    } finally {
      await server.close();
    }
    // Opening again migrates nothing twice.
    store = await db.open();
    expect((await store.snapshot({ userId: 'alice', sessionId: 'default', clientId: 'alice-laptop' })).lastMutationId).toBe(42);
    await store.close();
  });
});
