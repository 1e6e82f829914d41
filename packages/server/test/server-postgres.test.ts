import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken, hmacAuth } from '../src/auth.js';
import { createServer, type ScratchpadServer } from '../src/server.js';
import { postgresStore } from '../src/sql/postgres.js';
import type { SyncOp } from 'scratchpad-store/protocol';
import type { PullResponse, PushResponse, SnapshotResponse } from 'scratchpad-store/protocol';
import { startPostgres, type PostgresCluster } from './helpers/postgres.js';
import { checkHistory, opsFor, mixedBatch } from './helpers/store-suite.js';

const SECRET = 'postgres-test-secret-0123456789-abcdef';
const token = signToken('alice', SECRET);

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
}, 120_000);
afterAll(() => cluster?.stop(), 60_000);

async function instance(connectionString: string): Promise<{ server: ScratchpadServer; url: string }> {
  const server = createServer({ store: await postgresStore({ connectionString, maxConnections: 5 }), auth: hmacAuth(SECRET), log: () => undefined });
  return { server, url: (await server.listen(0)).url };
}

async function post(url: string, sessionId: string, clientId: string, ops: readonly SyncOp[]): Promise<PushResponse> {
  const response = await fetch(`${url}/v1/sessions/${sessionId}/push`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ clientId, ops }),
  });
  const body = (await response.json()) as PushResponse;
  if (response.status !== 200) throw new Error(`push answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

async function get<T>(url: string, path: string): Promise<T> {
  const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
  return (await response.json()) as T;
}

async function pullEverything(url: string, sessionId: string): Promise<PullResponse['entries'][number][]> {
  const entries: PullResponse['entries'][number][] = [];
  let since = '';
  for (;;) {
    const page = await get<PullResponse>(url, `/v1/sessions/${sessionId}/pull?since=${since}&limit=97`);
    entries.push(...page.entries);
    since = page.cursor;
    if (!page.more) return entries;
  }
}

describe('two server instances on one PostgreSQL', () => {
  it('converge under concurrent pushes to one session: same content, versions without gaps, unique seqs', async () => {
    const connectionString = await cluster.createDatabase();
    const [one, two] = await Promise.all([instance(connectionString), instance(connectionString)]);
    try {
      const clients = 8;
      const batches = 8;
      const perBatch = 5;
      // Every client starts at once against a session nobody has written: its creation races too.
      await Promise.all(
        Array.from({ length: clients }, async (_, c) => {
          const url = c % 2 === 0 ? one.url : two.url;
          const id = `client-${c}`;
          const ops = opsFor(id);
          for (let b = 0; b < batches; b++) {
            const batch = mixedBatch(ops, c, b, perBatch);
            const response = await post(url, 'shared-session', id, batch);
            expect(response.lastMutationId).toBe((b + 1) * perBatch);
            // A retry of the same batch (as after a lost answer) changes nothing.
            if (b % 3 === 0) expect(new Set((await post(url, 'shared-session', id, batch)).results.map((r) => r.status))).toEqual(new Set(['duplicate']));
          }
        }),
      );

      const [entriesOne, entriesTwo] = await Promise.all([pullEverything(one.url, 'shared-session'), pullEverything(two.url, 'shared-session')]);
      const total = clients * batches * perBatch;
      expect(entriesOne).toHaveLength(total);
      expect(entriesTwo).toEqual(entriesOne);
      const [snapOne, snapTwo] = await Promise.all([
        get<SnapshotResponse>(one.url, '/v1/sessions/shared-session/snapshot'),
        get<SnapshotResponse>(two.url, '/v1/sessions/shared-session/snapshot'),
      ]);
      expect(snapTwo).toEqual(snapOne);
      // seqs 1..total without gaps: the cursor of the whole history is the count of its entries.
      expect(snapOne.cursor).toBe(`0.${total}`);
      expect(new Set(entriesOne.map((e) => e.id)).size).toBe(total);

      const log = snapOne.sections.find((s) => s.section === 'log')!.content.split('\n');
      const expected: string[] = [];
      for (let c = 0; c < clients; c++) for (let n = 0; n < batches * perBatch; n++) if (n % 5 >= 2) expected.push(`client ${c} op ${n}`);
      expect([...log].sort()).toEqual(expected.sort());
      for (let c = 0; c < clients; c++) {
        const own = snapOne.sections.find((s) => s.section === `own-${c}`)!;
        expect(own.version).toBe((batches * perBatch) / 5);
        const lastMutation = await get<SnapshotResponse>(c % 2 ? two.url : one.url, `/v1/sessions/shared-session/snapshot?clientId=client-${c}`);
        expect(lastMutation.lastMutationId).toBe(batches * perBatch);
      }
      // Each section's history replays to its current content with versions 1..n.
      await checkHistory(one.server.store, 'alice', 'shared-session');
    } finally {
      await Promise.all([one.server.close(), two.server.close()]);
    }
  });
});

describe('scratchpads synced through two server instances on one PostgreSQL', () => {
  it('converge to the same content and history, with every write kept', async () => {
    const { createScratchpad } = await import('scratchpad-store');
    const { httpSync } = await import('scratchpad-store/sync');
    const connectionString = await cluster.createDatabase();
    const [one, two] = await Promise.all([instance(connectionString), instance(connectionString)]);
    try {
      const a = createScratchpad({ sessionId: 'shared', sync: httpSync({ url: one.url, token, pullIntervalMs: 0 }) });
      const b = createScratchpad({ sessionId: 'shared', sync: httpSync({ url: two.url, token, pullIntervalMs: 0 }) });
      await a.write('plan', 'outline', 'step 1\nstep 2\nstep 3\n', { agent: 'a' });
      await a.flush();
      await b.flush();
      // Both write at once, through different instances: appends to one section, edits to another line of a shared one.
      const rounds = 20;
      await Promise.all([
        (async () => {
          for (let i = 0; i < rounds; i++) {
            await a.write('log', 'events', `a ${i}`, { mode: 'append', agent: 'a' });
            if (i % 5 === 0) await a.flush().catch(() => undefined);
          }
          await a.edit('plan', 'outline', { oldText: 'step 1', newText: 'step 1 (a)' }, { agent: 'a' });
        })(),
        (async () => {
          for (let i = 0; i < rounds; i++) {
            await b.write('log', 'events', `b ${i}`, { mode: 'append', agent: 'b' });
            if (i % 7 === 0) await b.flush().catch(() => undefined);
          }
          await b.edit('plan', 'outline', { oldText: 'step 3', newText: 'step 3 (b)' }, { agent: 'b' });
        })(),
      ]);
      for (let i = 0; i < 3; i++) {
        await a.flush();
        await b.flush();
      }
      expect(a.render()).toBe(b.render());
      expect(a.read('plan', 'outline')).toBe('step 1 (a)\nstep 2\nstep 3 (b)\n');
      const lines = a.read('log', 'events')!.split('\n');
      expect(lines.filter((l) => l.startsWith('a ')).sort()).toEqual(Array.from({ length: rounds }, (_, i) => `a ${i}`).sort());
      expect(lines.filter((l) => l.startsWith('b ')).sort()).toEqual(Array.from({ length: rounds }, (_, i) => `b ${i}`).sort());
      const history = async (sp: typeof a) => (await sp.history()).map((e) => `${e.pad}/${e.section}@${e.version} ${e.op} ${e.agent}`).sort();
      expect(await history(a)).toEqual(await history(b));
      // History is ordered by time (each write's own clock); its versions are the server's: 1..n without gaps.
      const versions = (await a.history({ pad: 'log', section: 'events' })).map((e) => e.version).sort((x, y) => x - y);
      expect(versions).toEqual(Array.from({ length: 2 * rounds }, (_, i) => i + 1));
      a.close();
      b.close();
    } finally {
      await Promise.all([one.server.close(), two.server.close()]);
    }
  });
});

describe('live pokes across instances (LISTEN/NOTIFY)', () => {
  it('a client streaming events from one instance is poked by a push and a delete made through the other', async () => {
    const connectionString = await cluster.createDatabase();
    const a = await instance(connectionString);
    const b = await instance(connectionString);
    const controller = new AbortController();
    try {
      const response = await fetch(`${b.url}/v1/sessions/poked/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      const nextEvent = async (): Promise<{ type: string; epoch: number; cursor: string }> => {
        for (;;) {
          const end = buffer.indexOf('\n\n');
          if (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block.split('\n').find((line) => line.startsWith('data:'));
            if (data) return JSON.parse(data.slice(5)) as { type: string; epoch: number; cursor: string };
            continue;
          }
          const { value, done } = await reader.read();
          if (done) throw new Error('the stream ended');
          buffer += value;
        }
      };
      expect(await nextEvent()).toEqual({ type: 'poke', epoch: 0, cursor: '0.0' });
      await post(a.url, 'poked', 'pa', [opsFor('pa').replace('p', 's', 'through a', 0)]);
      expect(await nextEvent()).toEqual({ type: 'poke', epoch: 0, cursor: '0.1' });
      const deleted = await fetch(`${a.url}/v1/sessions/poked`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
      expect(await deleted.json()).toEqual({ deleted: true, epoch: 1, cursor: '1.1' });
      expect(await nextEvent()).toEqual({ type: 'poke', epoch: 1, cursor: '1.1' });
      // Another user's 'poked' is another session (sessions are keyed by user): its stream starts empty.
      const other = await fetch(`${b.url}/v1/sessions/poked/events`, { headers: { authorization: `Bearer ${signToken('mallory', SECRET)}` }, signal: controller.signal });
      expect(other.status).toBe(200);
    } finally {
      controller.abort();
      await a.server.close();
      await b.server.close();
    }
  });
});
