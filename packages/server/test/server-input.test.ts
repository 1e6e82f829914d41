/**
 * Issue 12, findings 4 and 5: names with unpaired surrogates and timestamps outside the Date range, against a real
 * server on loopback over real SQLite and PostgreSQL. Each is a rejected op (or a 400 for the session id in the URL),
 * never a 500, and the client's outbox goes on.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PushResponse, SnapshotResponse, SyncOp } from 'scratchpad-store/protocol';
import { hmacAuth, signToken } from '../src/auth.js';
import { createServer, type ScratchpadServer } from '../src/server.js';
import { postgresStore } from '../src/sql/postgres.js';
import { sqliteStore } from '../src/sql/sqlite.js';
import type { ServerStore } from '../src/types.js';
import { postgresFixture } from './helpers/postgres.js';
import { opsFor } from './helpers/store-suite.js';

const SECRET = 'input-test-secret-0123456789-0123456789';
const token = signToken('alice', SECRET);

const fixture = postgresFixture('scratchpad-input-');

const stores: [string, () => Promise<ServerStore>][] = [
  ['SQLite', async () => sqliteStore({ path: join(fixture.dir, `input-${Math.random().toString(36).slice(2)}.db`) })],
  ['PostgreSQL', async () => postgresStore({ connectionString: await fixture.cluster.createDatabase(), maxConnections: 3 })],
];

describe.each(stores)('bad names and timestamps on %s', (_name, open) => {
  let server: ScratchpadServer;
  let url: string;
  beforeAll(async () => {
    server = createServer({ store: await open(), auth: hmacAuth(SECRET), log: () => undefined });
    url = (await server.listen(0)).url;
  });
  afterAll(() => server.close());

  const post = async (path: string, body: unknown) => {
    // JSON.stringify writes a lone surrogate as the escape \ud800, exactly as a browser's client sends it.
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as unknown };
  };
  const snapshot = async (sessionId: string) => {
    const response = await fetch(`${url}/v1/sessions/${sessionId}/snapshot`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as SnapshotResponse;
  };

  it('rejects ops whose pad, section or agent name has an unpaired surrogate, and goes on with the next op', async () => {
    const a = opsFor('names-client');
    const ops: SyncOp[] = [
      a.replace('p\ud800', 's', 'x', 0),
      a.replace('p', '\udc00s', 'x', 0),
      a.replace('p', 's', 'x', 0, { agent: 'agent\ud83d' }),
      a.append('p\ud800', 's', 'x'),
      a.replace('ok', 'fine', 'kept', 0, { agent: 'emoji \ud83d\ude00 agent' }),
    ];
    const response = await post('/v1/sessions/names/push', { clientId: 'names-client', ops });
    expect(response.status).toBe(200);
    const results = (response.json as PushResponse).results;
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected', 'applied']);
    for (const r of results.slice(0, 4)) expect(r).toMatchObject({ error: { code: 'INVALID_NAME', message: expect.stringMatching(/unpaired surrogate/) } });
    expect((response.json as PushResponse).lastMutationId).toBe(5);
    // Nothing was stored as U+FFFD under another name; the well-formed emoji agent name is kept as it was.
    const sections = (await snapshot('names')).sections;
    expect(sections).toHaveLength(1);
    expect(sections[0]).toMatchObject({ pad: 'ok', section: 'fine', content: 'kept', updatedBy: 'emoji \ud83d\ude00 agent' });
  });

  it('answers 400, not 500, for a session or client id with an unpaired surrogate', async () => {
    const a = opsFor('c');
    // %ED%A0%80 is what a lone U+D800 would be in UTF-8: not decodable, so the id stays as sent, escapes and all.
    const inUrl = await post('/v1/sessions/s%ED%A0%80/push', { clientId: 'c', ops: [a.replace('p', 's', 'x', 0)] });
    expect(inUrl.status).toBe(200);
    const badClient = await post('/v1/sessions/s/push', { clientId: 'c\ud800', ops: [{ ...opsFor('c\ud800').replace('p', 's', 'x', 0) }] });
    expect(badClient).toMatchObject({ status: 400, json: { error: { code: 'BAD_REQUEST', message: expect.stringMatching(/unpaired surrogate/) } } });
    const pull = await fetch(`${url}/v1/sessions/s/pull?clientId=c%ED%B0%80`, { headers: { authorization: `Bearer ${token}` } });
    expect(pull.status).toBe(200);
  });

  it('rejects ops with timestamps outside 0 … 8.64e15 and keeps the ones inside', async () => {
    const a = opsFor('time-client');
    const ops: SyncOp[] = [
      a.replace('p', 'far', 'x', 0, { timestamp: 1e300 }),
      a.replace('p', 'past', 'x', 0, { timestamp: -1 }),
      a.replace('p', 'edge', 'x', 0, { timestamp: 8.64e15 + 1 }),
      a.replace('p', 'max', 'x', 0, { timestamp: 8.64e15 }),
      a.replace('p', 'zero', 'x', 0, { timestamp: 0 }),
    ];
    const response = await post('/v1/sessions/times/push', { clientId: 'time-client', ops });
    expect(response.status).toBe(200);
    const results = (response.json as PushResponse).results;
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'applied', 'applied']);
    for (const r of results.slice(0, 3)) expect(r).toMatchObject({ error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/timestamp/) } });
    const sections = (await snapshot('times')).sections;
    expect(sections.map((s) => s.section).sort()).toEqual(['max', 'zero']);
    for (const s of sections) expect(() => new Date(s.updatedAt).toISOString()).not.toThrow();
  });
});
