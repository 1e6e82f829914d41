/**
 * The shared store suite (test/helpers/store-suite.ts) on the Azure stores, against real server implementations on
 * loopback that the harness starts: Azurite for Blob Storage, @vercel/cosmosdb-server for Cosmos DB.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CosmosClient } from '@azure/cosmos';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSessionKey, sessionKey, splitSessionKey } from '../src/rules/tenancy.js';
import { hashKey } from '../src/azure/common.js';
import { HttpError } from '../src/errors.js';
import { hmacAuth, signToken } from '../src/auth.js';
import { blobStore } from '../src/azure/blob.js';
import { cosmosStore } from '../src/azure/cosmos.js';
import { createServer, type ScratchpadServer } from '../src/server.js';
import type { ServerStore } from '../src/types.js';
import type { SyncOp } from 'scratchpad-store/protocol';
import type { PullResponse, PushResponse, SnapshotResponse } from 'scratchpad-store/protocol';
import { startAzurite, type Azurite } from './helpers/azurite.js';
import { freePort } from './helpers/postgres.js';
import { startCosmos, type CosmosEmulator } from './helpers/cosmos.js';
import { startFaultProxy, startStorageProxy, type StorageFault, type StorageRequest } from './helpers/fault-proxy.js';
import { sqliteStore } from '../src/sql/sqlite.js';
import { chainedOutbox, checkHistory, opsFor, retryFaults, runStoreSuite, writeEveryKind, type StoreFactory, mixedBatch } from './helpers/store-suite.js';

let azurite: Azurite | undefined;
let containers = 0;
const blob: StoreFactory = {
  name: 'azure-blob (Azurite)',
  async start() {
    azurite = await startAzurite();
  },
  async stop() {
    await azurite?.stop();
  },
  async fresh(limits) {
    if (!azurite) throw new Error('Azurite did not start.');
    const { connectionString } = azurite;
    const container = `store-${++containers}`;
    return { open: () => blobStore({ connectionString, container, ...(limits ? { limits } : {}) }) };
  },
};

let cosmos: CosmosEmulator | undefined;
let databases = 0;
const cosmosFactory: StoreFactory = {
  name: 'azure-cosmos (cosmosdb-server)',
  async start() {
    cosmos = await startCosmos();
  },
  async stop() {
    await cosmos?.stop();
  },
  async fresh(limits) {
    const emulator = cosmos;
    if (!emulator) throw new Error('cosmosdb-server did not start.');
    const database = `store-${++databases}`;
    return {
      open: () => cosmosStore({ endpoint: emulator.endpoint, key: emulator.key, agent: emulator.agent(), database, ...(limits ? { limits } : {}) }),
    };
  },
};

runStoreSuite([blob, cosmosFactory]);

const SECRET = 'azure-test-secret-0123456789-abcdefgh';
const token = signToken('alice', SECRET);
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

/** Sends until the server answers 200; network errors and 5xx are retried, anything else is a failure. */
async function send<T>(url: string, init: RequestInit = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(url, { ...init, headers });
    } catch {
      continue;
    }
    const text = await response.text().catch(() => undefined);
    if (response.status === 200 && text !== undefined) return JSON.parse(text) as T;
    if (response.status < 500 || attempt > 200) throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${text}`);
  }
}

async function pullEverything(url: string, sessionId: string, limit: number): Promise<PullResponse['entries'][number][]> {
  const entries: PullResponse['entries'][number][] = [];
  let since = '';
  for (;;) {
    const page = await send<PullResponse>(`${url}/v1/sessions/${sessionId}/pull?since=${since}&limit=${limit}`);
    entries.push(...page.entries);
    since = page.cursor;
    if (!page.more) return entries;
  }
}

async function instance(store: ServerStore): Promise<{ server: ScratchpadServer; url: string }> {
  const server = createServer({ store, auth: hmacAuth(SECRET), log: () => undefined });
  return { server, url: (await server.listen(0)).url };
}

describe.each([
  { name: 'Blob Storage (Azurite)', factory: blob },
  { name: 'Cosmos DB (cosmosdb-server)', factory: cosmosFactory },
])('two server instances on one $name', ({ factory }) => {
  beforeAll(() => factory.start(), 60_000);
  afterAll(() => factory.stop(), 60_000);

  it('converge under concurrent pushes to one session: same content, versions without gaps, unique seqs, nothing lost', async () => {
    const db = await factory.fresh();
    const [one, two] = await Promise.all([instance(await db.open()), instance(await db.open())]);
    try {
      const clients = 6;
      const batches = 6;
      const perBatch = 5;
      // Every client starts at once against a session nobody has written: its creation races too.
      await Promise.all(
        Array.from({ length: clients }, async (_, c) => {
          const url = c % 2 === 0 ? one.url : two.url;
          const id = `client-${c}`;
          const ops = opsFor(id);
          for (let b = 0; b < batches; b++) {
            const batch = mixedBatch(ops, c, b, perBatch);
            const body = JSON.stringify({ clientId: id, ops: batch });
            const response = await send<PushResponse>(`${url}/v1/sessions/shared-session/push`, { method: 'POST', body });
            expect(response.lastMutationId).toBe((b + 1) * perBatch);
            // A retry of the same batch (as after a lost answer) changes nothing.
            if (b % 3 === 0) {
              const again = await send<PushResponse>(`${url}/v1/sessions/shared-session/push`, { method: 'POST', body });
              expect(new Set(again.results.map((r) => r.status))).toEqual(new Set(['duplicate']));
            }
          }
        }),
      );

      const total = clients * batches * perBatch;
      const [entriesOne, entriesTwo] = await Promise.all([pullEverything(one.url, 'shared-session', 47), pullEverything(two.url, 'shared-session', 53)]);
      expect(entriesOne).toHaveLength(total);
      expect(entriesTwo).toEqual(entriesOne);
      const [snapOne, snapTwo] = await Promise.all([
        send<SnapshotResponse>(`${one.url}/v1/sessions/shared-session/snapshot`),
        send<SnapshotResponse>(`${two.url}/v1/sessions/shared-session/snapshot`),
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
        expect(snapOne.sections.find((s) => s.section === `own-${c}`)!.version).toBe((batches * perBatch) / 5);
        const mine = await send<SnapshotResponse>(`${c % 2 ? two.url : one.url}/v1/sessions/shared-session/snapshot?clientId=client-${c}`);
        expect(mine.lastMutationId).toBe(batches * perBatch);
      }
      // 'shared' was replaced by every client on base 0: one clean create, then merges or marked conflicts, never lost.
      expect(snapOne.sections.find((s) => s.section === 'shared')!.version).toBe(clients * batches);
      await checkHistory(one.server.store, 'alice', 'shared-session');
    } finally {
      await Promise.all([one.server.close(), two.server.close()]);
    }
  }, 120_000);

  it('20 concurrent writers on one session through two instances get no 5xx: writes queue per session, lost swaps retry', async () => {
    const db = await factory.fresh();
    const [one, two] = await Promise.all([instance(await db.open()), instance(await db.open())]);
    try {
      const writers = 20;
      const pushes = 6;
      const statuses = new Map<number, number>();
      await Promise.all(
        Array.from({ length: writers }, async (_, c) => {
          const url = c % 2 ? two.url : one.url;
          const ops = opsFor(`writer-${c}`);
          for (let n = 0; n < pushes; n++) {
            const batch = [ops.append('pad', 'log', `writer ${c} op ${n}`), ops.replace('pad', `own-${c}`, `writer ${c} at ${n}\n`, n)];
            const body = JSON.stringify({ clientId: `writer-${c}`, ops: batch });
            // Every answer counts, first tries included: a retried 503 is still a 503 seen.
            for (;;) {
              const response = await fetch(`${url}/v1/sessions/contended/push`, { method: 'POST', headers, body });
              statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
              const text = await response.text();
              if (response.status === 200) {
                expect((JSON.parse(text) as PushResponse).lastMutationId).toBe(2 * (n + 1));
                break;
              }
              if (response.status !== 503) throw new Error(`push answered ${response.status}: ${text}`);
              expect(response.headers.get('retry-after')).toBe('1');
            }
          }
        }),
      );
      expect(Object.fromEntries(statuses)).toEqual({ 200: writers * pushes });
      const snapshot = await send<SnapshotResponse>(`${one.url}/v1/sessions/contended/snapshot`);
      expect(snapshot.cursor).toBe(`0.${2 * writers * pushes}`);
      expect(snapshot.sections.find((s) => s.section === 'log')!.content.split('\n')).toHaveLength(writers * pushes);
      for (let c = 0; c < writers; c++) expect(snapshot.sections.find((s) => s.section === `own-${c}`)).toMatchObject({ content: `writer ${c} at ${pushes - 1}\n`, version: pushes });
      await checkHistory(two.server.store, 'alice', 'contended');
    } finally {
      await Promise.all([one.server.close(), two.server.close()]);
    }
  }, 120_000);

  it('applies each op once through faulty proxies in front of both instances', async () => {
    const db = await factory.fresh();
    const [one, two] = await Promise.all([instance(await db.open()), instance(await db.open())]);
    const proxies = await Promise.all([startFaultProxy({ upstream: one.url, seed: 8101 }), startFaultProxy({ upstream: two.url, seed: 8102 })]);
    try {
      const perClient = 150;
      await Promise.all(
        [0, 1].map(async (c) => {
          const clientId = `client-${c}`;
          const outbox = chainedOutbox(clientId, c, perClient);
          while (outbox.length > 0) {
            const batch = outbox.slice(0, 1 + (outbox.length % 13));
            const response = await send<PushResponse>(`${proxies[c]!.url}/v1/sessions/shared/push`, { method: 'POST', body: JSON.stringify({ clientId, ops: batch }) });
            for (const result of response.results) expect(result).not.toHaveProperty('conflict');
            while (outbox.length > 0 && outbox[0]!.mutationId <= response.lastMutationId) outbox.shift();
          }
        }),
      );
      // Every kind of fault happened.
      for (const fault of Object.keys(proxies[0]!.counts) as (keyof (typeof proxies)[0]['counts'])[]) {
        expect(proxies[0]!.counts[fault] + proxies[1]!.counts[fault]).toBeGreaterThan(0);
      }
      const pulled = await pullEverything(proxies[1]!.url, 'shared', 70);
      expect(pulled).toHaveLength(2 * perClient);
      const snapshot = await one.server.store.snapshot({ userId: 'alice', sessionId: 'shared', clientId: 'client-0' });
      expect(snapshot).toMatchObject({ lastMutationId: perClient, cursor: `0.${2 * perClient}` });
      const lines = snapshot.sections.find((s) => s.section === 'log')!.content.split('\n');
      expect(lines).toHaveLength(2 * perClient * 0.9);
      expect(new Set(lines).size).toBe(lines.length);
      for (const c of [0, 1]) {
        const mine = lines.filter((l) => l.startsWith(`client ${c} `)).map((l) => Number(l.split(' ').at(-1)));
        expect(mine).toEqual([...mine].sort((a, b) => a - b));
        expect(snapshot.sections.find((s) => s.section === `state-${c}`)).toMatchObject({ content: `client ${c} state ${perClient - 1}\n`, version: perClient / 10 });
      }
      await checkHistory(two.server.store, 'alice', 'shared');
    } finally {
      await Promise.all(proxies.map((p) => p.close()));
      await Promise.all([one.server.close(), two.server.close()]);
    }
  }, 120_000);
});

describe.each([
  { name: 'Blob Storage (Azurite)', factory: blob, open: () => blobStore({ connectionString: azurite!.connectionString, container: `queued-${++containers}`, retry: { maxAttempts: 1 } }) },
  {
    name: 'Cosmos DB (cosmosdb-server)',
    factory: cosmosFactory,
    open: () => cosmosStore({ endpoint: cosmos!.endpoint, key: cosmos!.key, agent: cosmos!.agent(), database: `queued-${++databases}`, retry: { maxAttempts: 1 } }),
  },
])('one server instance on $name', ({ factory, open }) => {
  beforeAll(() => factory.start(), 60_000);
  afterAll(() => factory.stop(), 60_000);

  it('queues the writes of 20 concurrent writers to one session: not one loses a compare-and-swap (one attempt allowed)', async () => {
    const { server, url } = await instance(await open());
    try {
      const writers = 20;
      const pushes = 4;
      const statuses = new Map<number, number>();
      await Promise.all(
        Array.from({ length: writers }, async (_, c) => {
          const ops = opsFor(`writer-${c}`);
          for (let n = 0; n < pushes; n++) {
            const body = JSON.stringify({ clientId: `writer-${c}`, ops: [ops.append('pad', 'log', `writer ${c} op ${n}`), ops.replace('pad', `own-${c}`, `at ${n}\n`, n)] });
            const response = await fetch(`${url}/v1/sessions/queued/push`, { method: 'POST', headers, body });
            statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
            await response.text();
          }
        }),
      );
      // With one attempt allowed, any race between this instance's writers would have answered 503 (or, before
      // the queue, 500).
      expect(Object.fromEntries(statuses)).toEqual({ 200: writers * pushes });
      const snapshot = await server.store.snapshot({ userId: 'alice', sessionId: 'queued', clientId: undefined });
      expect(snapshot.cursor).toBe(`0.${2 * writers * pushes}`);
    } finally {
      await server.close();
    }
  }, 120_000);
});

const ROOT = resolve(import.meta.dirname, '..');
const CLI = ['--import', 'tsx', join(ROOT, 'src/cli/index.ts')];

interface Running {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `scratchpad-store-server` in a child process, with only the environment given (plus PATH). */
async function serve(args: string[], env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [...CLI, '--port', String(port), '--secret', SECRET, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  await new Promise<void>((ready, fail) => {
    child.stdout!.on('data', () => {
      if (output.includes('listening on')) ready();
    });
    void exited.then(({ code }) => fail(new Error(`serve exited with ${code} before listening:\n${output}`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, output: () => output, exited };
}

async function stop(running: Running): Promise<void> {
  running.child.kill('SIGTERM');
  expect(await running.exited).toEqual({ code: 0, signal: null });
}

describe('scratchpad-store-server on Azure', () => {
  let emulators: { azurite: Azurite; cosmos: CosmosEmulator } | undefined;
  let dir = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scratchpad-azure-cli-'));
    const [a, c] = await Promise.all([startAzurite(), startCosmos()]);
    emulators = { azurite: a, cosmos: c };
    writeFileSync(join(dir, 'cosmos-ca.pem'), c.cert);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([emulators?.azurite.stop(), emulators?.cosmos.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** Pushes through one server, stops it, and pulls what it acknowledged through a second one on the same backend. */
  async function roundTrip(first: [string[], Record<string, string>], second: [string[], Record<string, string>], expectWhere: string): Promise<void> {
    const a = opsFor('cli-client');
    const one = await serve(...first);
    expect(one.output()).toContain(expectWhere);
    const pushed = await send<PushResponse>(`${one.url}/v1/sessions/cli/push`, {
      method: 'POST',
      body: JSON.stringify({ clientId: 'cli-client', ops: [a.replace('p', 's', 'hello\n', 0), a.append('p', 's', 'world')] }),
    });
    expect(pushed.lastMutationId).toBe(2);
    await stop(one);
    const two = await serve(...second);
    try {
      const snapshot = await send<SnapshotResponse>(`${two.url}/v1/sessions/cli/snapshot?clientId=cli-client`);
      expect(snapshot).toMatchObject({ cursor: '0.2', lastMutationId: 2 });
      expect(snapshot.sections[0]).toMatchObject({ content: 'hello\nworld', version: 2 });
    } finally {
      await stop(two);
    }
  }

  it('--blob <connection string> (and SCRATCHPAD_BLOB_CONNECTION_STRING) keeps sessions in Blob Storage', async () => {
    const cs = emulators!.azurite.connectionString;
    await roundTrip([['--blob', cs, '--blob-container', 'cli-blob'], {}], [['--blob-container', 'cli-blob'], { SCRATCHPAD_BLOB_CONNECTION_STRING: cs }], 'azure blob storage');
  }, 60_000);

  it('--cosmos <endpoint> --cosmos-key <key> (and the environment variables) keeps sessions in Cosmos DB', async () => {
    const { endpoint, key } = emulators!.cosmos;
    // The emulator's certificate is trusted the way a private CA would be: NODE_EXTRA_CA_CERTS, TLS checks on.
    const ca = { NODE_EXTRA_CA_CERTS: join(dir, 'cosmos-ca.pem') };
    await roundTrip(
      [['--cosmos', endpoint, '--cosmos-key', key, '--cosmos-database', 'cli', '--cosmos-container', 'cli-sessions'], ca],
      [['--cosmos-database', 'cli', '--cosmos-container', 'cli-sessions'], { ...ca, SCRATCHPAD_COSMOS_ENDPOINT: endpoint, SCRATCHPAD_COSMOS_KEY: key }],
      'azure cosmos db 127.0.0.1',
    );
  }, 60_000);

  it('refuses conflicting or incomplete storage options with exit code 2', () => {
    const run = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, [...CLI, '--secret', SECRET, ...args], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
    const both = run(['--blob', 'UseDevelopmentStorage=true', '--db', join(dir, 'x.db')]);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('--db and --blob');
    const noKey = run(['--cosmos', 'https://127.0.0.1:1/']);
    expect(noKey.status).toBe(2);
    expect(noKey.stderr).toContain('--cosmos-key');
    const stray = run(['--cosmos-database', 'x']);
    expect(stray.status).toBe(2);
    const help = run(['--help']);
    expect(help.stdout).toContain('--cosmos <endpoint>');
    expect(help.stdout).toContain('--blob <connection>');
  });
});

describe('large values kept apart from their documents', () => {
  const big = (c: string) => `${c.repeat(400_000)}\n`;

  it('Cosmos DB: pieces are all referenced, and go when their section is replaced or the session deleted', async () => {
    const emulator = await startCosmos();
    try {
      const store = await cosmosStore({ endpoint: emulator.endpoint, key: emulator.key, agent: emulator.agent(), database: 'pieces' });
      const client = new CosmosClient({ endpoint: emulator.endpoint, key: emulator.key, agent: emulator.agent() });
      const container = client.database('pieces').container('sessions');
      // The store keeps user u's session s under the tenancy key of the pair (rules/tenancy.ts).
      const key = sessionKey('u', 's');
      const docs = async () =>
        (await container.items.query<{ id: string; kind: string; ref?: string; big?: { ref: string; n: number } }>({ query: 'SELECT * FROM c WHERE c.sessionId = @s', parameters: [{ name: '@s', value: key }] }, { partitionKey: key }).fetchAll()).resources;
      /** Every piece belongs to a value some document refers to, and every such value has all its pieces. */
      const consistent = async () => {
        const all = await docs();
        const pieces = all.filter((d) => d.kind === 'piece');
        const refs = all.filter((d) => d.big).map((d) => d.big!);
        expect(pieces.length).toBe(refs.reduce((n, r) => n + r.n, 0));
        for (const piece of pieces) expect(refs.some((r) => r.ref === piece.ref)).toBe(true);
        return { pieces: pieces.length, refs: refs.length };
      };
      const a = opsFor('a');
      await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops: [a.replace('p', 's', big('x'), 0)] });
      expect((await consistent()).refs).toBeGreaterThan(0);
      await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops: [a.replace('p', 's', big('y'), 1), a.replace('p', 's', 'small\n', 2)] });
      await consistent();
      expect((await store.snapshot({ userId: 'u', sessionId: 's', clientId: undefined })).sections[0]).toMatchObject({ content: 'small\n', version: 3 });
      const versions = await checkHistory(store, 'u', 's');
      expect(versions.get('p/s')).toEqual([big('x'), big('y'), 'small\n']);

      expect(await store.deleteSession({ userId: 'u', sessionId: 's' })).toMatchObject({ deleted: true });
      // Only the session document and the client's mutation id stay.
      expect((await docs()).map((d) => d.kind).sort()).toEqual(['client', 'session']);
      await store.close();
      client.dispose();
    } finally {
      await emulator.stop();
    }
  }, 60_000);

  it('Blob Storage: payload blobs are all referenced, and go when their section is replaced or the session deleted', async () => {
    const azurite = await startAzurite();
    try {
      const store = await blobStore({ connectionString: azurite.connectionString, container: 'payloads' });
      const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('payloads');
      const payloads = async () => {
        const names: string[] = [];
        for await (const blob of container.listBlobsFlat({ prefix: 'sessions/' })) if (blob.name.includes('/payloads/')) names.push(blob.name.split('/').at(-1)!);
        return names;
      };
      const referenced = async () => {
        const state = [];
        for await (const blob of container.listBlobsFlat({ prefix: 'sessions/' })) if (blob.name.endsWith('/state.json')) state.push(blob.name);
        expect(state).toHaveLength(1);
        const text = (await container.getBlobClient(state[0]!).downloadToBuffer()).toString('utf8');
        return [...text.matchAll(/"ref":"([^"]+)"/g)].map((m) => m[1]!).sort();
      };
      const a = opsFor('a');
      await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops: [a.replace('p', 's', big('x'), 0)] });
      expect((await payloads()).sort()).toEqual(await referenced());
      await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops: [a.replace('p', 's', big('y'), 1)] });
      await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops: [a.replace('p', 's', 'small\n', 2)] });
      expect((await payloads()).sort()).toEqual(await referenced());
      const versions = await checkHistory(store, 'u', 's');
      expect(versions.get('p/s')).toEqual([big('x'), big('y'), 'small\n']);
      expect(await store.deleteSession({ userId: 'u', sessionId: 's' })).toMatchObject({ deleted: true });
      expect(await payloads()).toEqual([]);
      await store.close();
    } finally {
      await azurite.stop();
    }
  }, 60_000);
});

describe('a committed state that names a missing value', () => {
  const big = (c: string) => `${c.repeat(400_000)}\n`;

  /** A snapshot over HTTP: the answer's status and error code, and what the server logged. */
  async function snapshotOverHttp(store: ServerStore): Promise<{ status: number; code: string | undefined; logged: string[] }> {
    const logged: string[] = [];
    const server = createServer({ store, auth: hmacAuth(SECRET), log: (message, error) => logged.push(`${message}: ${String(error)}`) });
    const response = await server.fetch(new Request('http://pads.test/v1/sessions/s/snapshot', { headers }));
    const body = (await response.json()) as { error?: { code: string } };
    await server.close();
    return { status: response.status, code: body.error?.code, logged };
  }

  it('Blob Storage: answers 500 DANGLING_REFERENCE at once (no retries), and logs it', async () => {
    const azurite = await startAzurite();
    try {
      const store = await blobStore({ connectionString: azurite.connectionString, container: 'dangling' });
      const a = opsFor('a');
      await store.push({ userId: 'alice', sessionId: 's', clientId: 'a', ops: [a.replace('p', 's', big('x'), 0)] });
      const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('dangling');
      for await (const blob of container.listBlobsFlat({ prefix: 'sessions/' })) if (blob.name.includes('/payloads/')) await container.deleteBlob(blob.name);
      // A fresh store: nothing cached from the push.
      const answer = await snapshotOverHttp(await blobStore({ connectionString: azurite.connectionString, container: 'dangling' }));
      expect(answer).toMatchObject({ status: 500, code: 'DANGLING_REFERENCE' });
      expect(answer.logged.join('\n')).toContain('payload blob');
      await store.close();
    } finally {
      await azurite.stop();
    }
  }, 60_000);

  it('Cosmos DB: answers 500 DANGLING_REFERENCE at once (no retries), and logs it', async () => {
    const emulator = await startCosmos();
    try {
      const options = { endpoint: emulator.endpoint, key: emulator.key, database: 'dangling' };
      const store = await cosmosStore({ ...options, agent: emulator.agent() });
      const a = opsFor('a');
      await store.push({ userId: 'alice', sessionId: 's', clientId: 'a', ops: [a.replace('p', 's', big('x'), 0)] });
      const client = new CosmosClient({ endpoint: emulator.endpoint, key: emulator.key, agent: emulator.agent() });
      const container = client.database('dangling').container('sessions');
      const pieces = await container.items.query<{ id: string }>('SELECT c.id FROM c WHERE c.kind = "piece"', { partitionKey: sessionKey('alice', 's') }).fetchAll();
      expect(pieces.resources.length).toBeGreaterThan(0);
      for (const piece of pieces.resources) await container.item(piece.id, sessionKey('alice', 's')).delete();
      const answer = await snapshotOverHttp(await cosmosStore({ ...options, agent: emulator.agent() }));
      expect(answer).toMatchObject({ status: 500, code: 'DANGLING_REFERENCE' });
      expect(answer.logged.join('\n')).toContain('pieces');
      await store.close();
      client.dispose();
    } finally {
      await emulator.stop();
    }
  }, 60_000);
});

describe('session ids with unpaired surrogates', () => {
  // The HTTP layer lets them through (they are not control characters); the stores' keys, blob names, metadata and
  // partition keys must neither throw nor let two such ids meet (UTF-8 turns every unpaired surrogate into U+FFFD).
  it.each([
    { name: 'Blob Storage (Azurite)', factory: blob },
    { name: 'Cosmos DB (cosmosdb-server)', factory: cosmosFactory },
  ])('$name keeps them apart, through push, pull, snapshot, retention and DELETE', async ({ factory }) => {
    await factory.start();
    try {
      const store = await (await factory.fresh()).open();
      const ids = ['lone \ud800 high', 'lone \udc00 low', 'lone \ufffd replacement'];
      const day = 86_400_000;
      const t0 = 1_800_000_000_000;
      for (const [i, sessionId] of ids.entries()) {
        const a = opsFor(`client-${i}`);
        await store.push({ userId: 'u', sessionId, clientId: `client-${i}`, now: t0, ops: [a.replace('p', 's', `text of ${i}\n`, 0)] });
        await store.push({ userId: 'u', sessionId, clientId: `client-${i}`, now: t0 + 10 * day, ops: [a.replace('p', 's', `text of ${i}, again\n`, 1)] });
      }
      expect(await store.prune({ maxAgeMs: 5 * day, now: t0 + 10 * day })).toEqual({ sessions: 3, sections: 3, entriesDropped: 3 });
      for (const [i, sessionId] of ids.entries()) {
        const snapshot = await store.snapshot({ userId: 'u', sessionId, clientId: `client-${i}` });
        expect(snapshot).toMatchObject({ cursor: '0.2', lastMutationId: 2 });
        expect(snapshot.sections.map((s) => s.content)).toEqual([`text of ${i}, again\n`]);
        expect((await store.pull({ userId: 'u', sessionId, since: '1', clientId: undefined, limit: 10 })).entries).toHaveLength(1);
      }
      expect(await store.deleteSession({ userId: 'u', sessionId: ids[0]! })).toMatchObject({ deleted: true });
      expect((await store.snapshot({ userId: 'u', sessionId: ids[1]!, clientId: undefined })).sections).toHaveLength(1);
      await store.close();
    } finally {
      await factory.stop();
    }
  }, 60_000);
});

describe('DELETE leaves no text behind; retention sweeps orphans', () => {
  const big = (c: string) => `${c.repeat(400_000)}\n`;
  const day = 86_400_000;

  it('Blob Storage: zero payload blobs after DELETE, orphans of crashed writes included; the sweep takes old orphans only', async () => {
    const azurite = await startAzurite();
    try {
      const options = { connectionString: azurite.connectionString, container: 'deleted' };
      const store = await blobStore({ ...options, orphanGraceMs: 0 });
      const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('deleted');
      const list = async () => {
        const names: string[] = [];
        for await (const blob of container.listBlobsFlat()) names.push(blob.name);
        return names.sort();
      };
      const payloads = async () => (await list()).filter((n) => n.includes('/payloads/'));
      /** What a crash between writing a large value and the commit leaves: a payload no state names. */
      const orphan = async (name: string) => {
        const dir = (await list()).find((n) => n.endsWith('/state.json'))!.replace('/state.json', '');
        await container.getBlockBlobClient(`${dir}/payloads/${name}`).upload('orphaned text', 13);
      };
      const a = opsFor('a');
      for (let i = 0; i < 5; i++) await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops: [a.replace('p', `s${i}`, big(String(i)), 0)] });
      await orphan('e0.0123456789abcdef0123456789abcdef');
      await orphan('fedcba9876543210fedcba9876543210'); // named as before epochs
      expect((await payloads()).length).toBeGreaterThanOrEqual(12);

      expect(await store.deleteSession({ userId: 'u', sessionId: 's' })).toMatchObject({ deleted: true });
      expect(await payloads()).toEqual([]);
      // What stays is the session's state (owner, counters, mutation ids: no text) and the client's binding.
      const names = await list();
      expect(names.map((n) => n.replace(/[0-9a-f]{64}/, '<hash>'))).toEqual(['clients/<hash>.json', 'sessions/<hash>/state.json']);
      const state = JSON.parse((await container.getBlobClient(names[1]!).downloadToBuffer()).toString('utf8')) as Record<string, unknown>;
      expect(state).toMatchObject({ sections: [], entries: [], anchors: [] });

      // A crash after the deletion: retention sweeps the orphan once it is older than the grace period, never a named value.
      await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops: [a.replace('p', 'back', big('b'), 0)] });
      const named = await payloads();
      await orphan('e1.0123456789abcdef0123456789abcdef');
      const patient = await blobStore({ ...options, orphanGraceMs: day });
      await patient.prune({ maxAgeMs: day });
      expect(await payloads()).toHaveLength(named.length + 1);
      await store.prune({ maxAgeMs: day });
      expect(await payloads()).toEqual(named);
      expect((await store.snapshot({ userId: 'u', sessionId: 's', clientId: undefined })).sections[0]).toMatchObject({ content: big('b') });
      await Promise.all([store.close(), patient.close()]);
    } finally {
      await azurite.stop();
    }
  }, 60_000);

  it('Cosmos DB: zero pieces after DELETE, orphans included; the sweep takes old orphans and documents a cleanup missed', async () => {
    const emulator = await startCosmos();
    try {
      const options = { endpoint: emulator.endpoint, key: emulator.key, database: 'deleted' };
      const store = await cosmosStore({ ...options, agent: emulator.agent(), orphanGraceMs: 0 });
      const client = new CosmosClient({ endpoint: emulator.endpoint, key: emulator.key, agent: emulator.agent() });
      const container = client.database('deleted').container('sessions');
      // The store keeps user u's session s under the tenancy key of the pair (rules/tenancy.ts).
      const key = sessionKey('u', 's');
      const docs = async () =>
        (await container.items.query<{ id: string; kind: string; epoch?: number }>({ query: 'SELECT * FROM c WHERE c.sessionId = @s', parameters: [{ name: '@s', value: key }] }, { partitionKey: key }).fetchAll()).resources;
      const kinds = async () => (await docs()).map((d) => d.kind).sort();
      const a = opsFor('a');
      for (let i = 0; i < 3; i++) await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops: [a.replace('p', `s${i}`, big(String(i)), 0)] });
      // A crash between writing a value's pieces and the batch that names them.
      await container.items.create({ id: 'k.orphan0.0', sessionId: key, kind: 'piece', epoch: 0, ref: 'orphan0', i: 0, data: 'orphaned text' });
      expect((await kinds()).filter((k) => k === 'piece').length).toBeGreaterThan(3);

      expect(await store.deleteSession({ userId: 'u', sessionId: 's' })).toMatchObject({ deleted: true });
      expect(await kinds()).toEqual(['client', 'session']);

      await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops: [a.replace('p', 'back', big('b'), 0)] });
      const before = await docs();
      // A deletion whose cleanup was cut short leaves documents of the old epoch; a crash leaves a piece of the new one.
      await container.items.create({ id: 'e0.s.leftover', sessionId: key, kind: 'section', epoch: 0, pad: 'p', section: 'old', content: 'old text' });
      await container.items.create({ id: 'k.orphan1.0', sessionId: key, kind: 'piece', epoch: 1, ref: 'orphan1', i: 0, data: 'orphaned text' });
      const patient = await cosmosStore({ ...options, agent: emulator.agent(), orphanGraceMs: day });
      await patient.prune({ maxAgeMs: day });
      // The old epoch goes at once (nothing can name it); the young orphan stays for the grace period.
      expect((await docs()).map((d) => d.id).sort()).toEqual([...before.map((d) => d.id), 'k.orphan1.0'].sort());
      await store.prune({ maxAgeMs: day });
      expect((await docs()).map((d) => d.id).sort()).toEqual(before.map((d) => d.id).sort());
      expect((await store.snapshot({ userId: 'u', sessionId: 's', clientId: undefined })).sections[0]).toMatchObject({ content: big('b') });
      await Promise.all([store.close(), patient.close()]);
      client.dispose();
    } finally {
      await emulator.stop();
    }
  }, 60_000);
});

/** The kind of write a storage request is, or undefined for reads and setup. */
function blobWriteKind(request: StorageRequest): string | undefined {
  if (request.method !== 'PUT' && request.method !== 'DELETE') return undefined;
  if (request.url.includes('/state.json')) return 'state';
  if (request.url.includes('/payloads/')) return request.method === 'PUT' ? 'payload' : 'payload-delete';
  if (request.url.includes('/clients/')) return 'binding';
  return undefined;
}

function cosmosWriteKind(request: StorageRequest): string | undefined {
  if (!request.url.includes('/docs')) return undefined;
  if (request.method === 'DELETE') return 'delete';
  if (request.method === 'PUT') return 'replace';
  if (request.method !== 'POST' || request.headers['x-ms-documentdb-isquery'] !== undefined) return undefined;
  return request.headers['x-ms-cosmos-is-batch-request'] !== undefined ? 'batch' : 'create';
}

/** Loses the answer of every other write of each kind (the first, the third, …): retries then get through. */
function everyOtherWrite(kindOf: (request: StorageRequest) => string | undefined, mode: StorageFault) {
  const seen = new Map<string, number>();
  const faults = new Map<string, number>();
  return {
    faults,
    decide(request: StorageRequest): StorageFault {
      const kind = kindOf(request);
      if (kind === undefined) return 'pass';
      const n = (seen.get(kind) ?? 0) + 1;
      seen.set(kind, n);
      if (n % 2 === 0) return 'pass';
      faults.set(kind, (faults.get(kind) ?? 0) + 1);
      return mode;
    },
  };
}

describe('a lost answer from storage never makes a session unreadable', () => {
  let emulators: { azurite: Azurite; cosmos: CosmosEmulator } | undefined;
  let expected: unknown[] = [];
  beforeAll(async () => {
    const [a, c] = await Promise.all([startAzurite(), startCosmos()]);
    emulators = { azurite: a, cosmos: c };
    const sqlite = sqliteStore({ path: ':memory:' });
    expected = await writeEveryKind(sqlite, retryFaults);
    await sqlite.close();
  }, 60_000);
  afterAll(async () => {
    await Promise.all([emulators?.azurite.stop(), emulators?.cosmos.stop()]);
  }, 60_000);

  it.each(['drop-after', '503-after'] as const)('Blob Storage, %s on every kind of write: reads equal SQLite\'s', async (mode) => {
    const { azurite } = emulators!;
    const plan = everyOtherWrite(blobWriteKind, mode);
    const proxy = await startStorageProxy({
      upstream: `http://127.0.0.1:${azurite.port}`,
      decide: plan.decide,
      busyBody: { type: 'application/xml', text: '<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code><Message>injected</Message></Error>' },
    });
    try {
      const connectionString = azurite.connectionString.replace(`127.0.0.1:${azurite.port}`, proxy.url.slice('http://'.length));
      const store = await blobStore({ connectionString, container: `lost-${mode}`, pipeline: { retryOptions: { retryDelayInMs: 1, maxRetryDelayInMs: 5 } } });
      expect(await writeEveryKind(store, retryFaults)).toEqual(expected);
      expect([...plan.faults.keys()].sort()).toEqual(['binding', 'payload', 'payload-delete', 'state']);
      // Nor is anything left behind: every payload blob is one the state names.
      const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(`lost-${mode}`);
      const payloads: string[] = [];
      let state = '';
      for await (const blob of container.listBlobsFlat({ prefix: 'sessions/' })) {
        if (blob.name.includes('/payloads/')) payloads.push(blob.name.split('/').at(-1)!);
        else state = (await container.getBlobClient(blob.name).downloadToBuffer()).toString('utf8');
      }
      expect(payloads.sort()).toEqual([...state.matchAll(/"ref":"([^"]+)"/g)].map((m) => m[1]!).sort());
      expect(payloads.length).toBeGreaterThan(0);
      await store.close();
    } finally {
      await proxy.close();
    }
  }, 120_000);

  it.each(['drop-after', '503-after'] as const)('Cosmos DB, %s on every kind of write: reads equal SQLite\'s', async (mode) => {
    const { cosmos } = emulators!;
    const plan = everyOtherWrite(cosmosWriteKind, mode);
    const proxy = await startStorageProxy({ upstream: cosmos.endpoint, tls: { cert: cosmos.cert, key: cosmos.certKey }, decide: plan.decide });
    const client = new CosmosClient({
      endpoint: `${proxy.url}/`,
      key: cosmos.key,
      agent: cosmos.agent(),
      // The emulator names its own address as the account's endpoint: stay on the proxy.
      connectionPolicy: { enableEndpointDiscovery: false },
    });
    try {
      const store = await cosmosStore({ client, database: `lost-${mode}` });
      expect(await writeEveryKind(store, retryFaults)).toEqual(expected);
      expect([...plan.faults.keys()].sort()).toEqual(['batch', 'create', 'delete']);
      // Nor is anything left behind: every piece belongs to a value a document names, and no old epoch stays.
      const direct = new CosmosClient({ endpoint: cosmos.endpoint, key: cosmos.key, agent: cosmos.agent() });
      const docs = (
        await direct.database(`lost-${mode}`).container('sessions').items.query<{ kind: string; epoch?: number; ref?: string; big?: { ref: string; n: number } }>({ query: 'SELECT * FROM c WHERE c.sessionId = @s', parameters: [{ name: '@s', value: sessionKey('u', 'every-kind') }] }, { partitionKey: sessionKey('u', 'every-kind') }).fetchAll()
      ).resources;
      direct.dispose();
      const named = docs.filter((d) => d.big).map((d) => d.big!);
      const pieces = docs.filter((d) => d.kind === 'piece');
      expect(pieces.length).toBe(named.reduce((n, b) => n + b.n, 0));
      for (const piece of pieces) expect(named.some((b) => b.ref === piece.ref)).toBe(true);
      expect(new Set(docs.filter((d) => d.epoch !== undefined).map((d) => d.epoch))).toEqual(new Set([1]));
      await store.close();
    } finally {
      client.dispose();
      await proxy.close();
    }
  }, 120_000);
});

/**
 * Sessions that the Azure stores wrote before tenancy keys (under the session id alone, owned by their first writer)
 * move to their owner's key on first access. The old layout is made the way server-tenancy.test.ts makes schema 1:
 * data written by this release is rewritten into exactly what the previous release left behind (its ids, names and
 * metadata), then opened again.
 */
describe('sessions stored before tenancy keys migrate to their owner\'s key', () => {
  const year = 365 * 86_400_000;
  const legacyIds = ['default', 'carols'];
  /** What the old layout needs beyond the sessions: a client bound to alice's 'default' whose first push never committed. */
  const tablet = { clientId: 'alice-tablet', userId: 'alice', sessionId: 'default' };

  interface Backend {
    open(): Promise<ServerStore>;
    /** Rewrites everything into the layout of the release before tenancy keys. */
    downgrade(): Promise<void>;
    /** Names of whatever is still stored in the old layout. */
    legacy(): Promise<string[]>;
  }

  async function scenario(backend: Backend): Promise<void> {
    let store = await backend.open();
    const a = opsFor('alice-laptop');
    const laptop = (ops: SyncOp[]) => store.push({ userId: 'alice', sessionId: 'default', clientId: 'alice-laptop', ops });
    for (let i = 0; i < 40; i++) await laptop([a.append('log', 'lines', `line ${i}`)]);
    // Large enough to be stored apart (Blob payloads, Cosmos pieces): those move too.
    await laptop([a.replace('notes', 'big', `${'x'.repeat(300_000)}\n`, 0)]);
    await laptop([a.replace('notes', 'todo', 'draft\n', 0)]);
    const last = a.replace('notes', 'todo', 'draft two\n', 1);
    await laptop([last]);
    const phone = opsFor('alice-phone');
    await store.push({ userId: 'alice', sessionId: 'default', clientId: 'alice-phone', ops: [phone.append('log', 'lines', 'from the phone')] });
    await store.push({ userId: 'carol', sessionId: 'carols', clientId: 'carol-1', ops: [opsFor('carol-1').replace('p', 's', 'carol', 0)] });
    const pullInput = { userId: 'alice', sessionId: 'default', since: undefined, clientId: 'alice-laptop', limit: 1000 };
    const before = await store.pull(pullInput);
    expect(before.lastMutationId).toBe(43);
    const history = await checkHistory(store, 'alice', 'default');
    await store.close();

    await backend.downgrade();
    expect((await backend.legacy()).length).toBeGreaterThan(legacyIds.length);

    // Two instances: the owner reads through both at once while retention's pass runs on one, so that three
    // migrations of the same session race.
    const [one, two] = await Promise.all([backend.open(), backend.open()]);
    const [fromOne, fromTwo, , snapshot] = await Promise.all([
      one.pull(pullInput),
      two.pull(pullInput),
      two.prune({ maxAgeMs: year }),
      one.snapshot({ userId: 'alice', sessionId: 'default', clientId: 'alice-phone' }),
    ]);
    expect(fromOne).toEqual(before);
    expect(fromTwo).toEqual(before);
    expect(snapshot.lastMutationId).toBe(1);
    expect(snapshot.sections.map((r) => `${r.pad}/${r.section}@${r.version}`)).toEqual(['log/lines@41', 'notes/big@1', 'notes/todo@2']);
    // Every version rebuilds from the moved entries and anchors (40 appends cross a checkpoint), on both instances.
    expect(await checkHistory(one, 'alice', 'default')).toEqual(history);
    expect(await checkHistory(two, 'alice', 'default')).toEqual(history);

    // Mutation ids moved with the session: an old push retried is a duplicate, and the clients go on where they were.
    expect((await two.push({ userId: 'alice', sessionId: 'default', clientId: 'alice-laptop', ops: [last] })).results).toEqual([{ mutationId: 43, status: 'duplicate' }]);
    expect((await one.push({ userId: 'alice', sessionId: 'default', clientId: 'alice-laptop', ops: [a.append('log', 'lines', 'after')] })).results).toEqual([
      { mutationId: 44, status: 'applied', version: 42 },
    ]);
    expect((await two.push({ userId: 'alice', sessionId: 'default', clientId: 'alice-phone', ops: [phone.append('log', 'lines', 'phone after')] })).results).toEqual([
      { mutationId: 2, status: 'applied', version: 43 },
    ]);
    // A client bound before tenancy whose first push never committed is still alice's, for this session.
    const t = opsFor(tablet.clientId);
    expect((await one.push({ userId: 'alice', sessionId: 'default', clientId: tablet.clientId, ops: [t.replace('notes', 'tablet', 'hi\n', 0)] })).results).toEqual([
      { mutationId: 1, status: 'applied', version: 1 },
    ]);

    // Another user sees nothing of it, cannot use its clients, and gets a session 'default' of their own.
    expect(await one.pull({ userId: 'bob', sessionId: 'default', since: undefined, clientId: undefined, limit: 1000 })).toMatchObject({ cursor: '0.0', entries: [], sections: [] });
    const stolen = await two.push({ userId: 'bob', sessionId: 'default', clientId: 'alice-laptop', ops: [opsFor('alice-laptop', 45).append('p', 's', 'bob')] }).catch((e: unknown) => e);
    expect(stolen).toBeInstanceOf(HttpError);
    expect((stolen as HttpError).status).toBe(403);
    expect((await two.push({ userId: 'bob', sessionId: 'default', clientId: 'bob-1', ops: [opsFor('bob-1').replace('p', 's', 'bob', 0)] })).results[0]).toMatchObject({ status: 'applied', version: 1 });
    expect((await one.snapshot({ userId: 'carol', sessionId: 'carols', clientId: 'carol-1' })).sections[0]).toMatchObject({ content: 'carol', version: 1 });

    // Nothing of the old layout is left (retention's pass found carol's session too), and nothing moves twice.
    expect(await backend.legacy()).toEqual([]);
    await one.prune({ maxAgeMs: year });
    expect((await two.pull(pullInput)).entries).toHaveLength(before.entries.length + 3);
    await Promise.all([one.close(), two.close()]);
  }

  it('Blob Storage: payloads, state and bindings move; concurrent migrations converge; the old prefix is deleted', async () => {
    const azurite = await startAzurite();
    try {
      const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('legacy');
      const text = async (name: string) => (await container.getBlobClient(name).downloadToBuffer()).toString('utf8');
      const put = (name: string, body: string, metadata?: Record<string, string>) => container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), { ...(metadata ? { metadata } : {}) });
      const names = async (prefix: string) => {
        const found: string[] = [];
        for await (const blob of container.listBlobsFlat({ prefix })) found.push(blob.name);
        return found;
      };
      await scenario({
        open: () => blobStore({ connectionString: azurite.connectionString, container: 'legacy' }),
        async downgrade() {
          for (const name of await names('sessions/')) {
            if (!name.endsWith('/state.json')) continue;
            const key = (JSON.parse(await text(name)) as { sessionId: string }).sessionId;
            const legacyId = splitSessionKey(key)!.sessionId;
            // The previous release named payloads without an epoch and wrote states without one.
            const file = JSON.parse((await text(name)).replaceAll('"ref":"e0.', '"ref":"')) as Record<string, unknown> & { entries: { receivedAt: number }[] };
            expect(file.epoch ?? 0).toBe(0);
            delete file.epoch;
            const dir = name.slice(0, -'state.json'.length);
            for (const payload of await names(`${dir}payloads/`)) {
              await put(`sessions/${hashKey(legacyId)}/payloads/${payload.split('/').at(-1)!.replace(/^e0\./, '')}`, await text(payload));
              await container.getBlobClient(payload).delete();
            }
            const historyFrom = Math.min(...file.entries.map((e) => e.receivedAt));
            await put(`sessions/${hashKey(legacyId)}/state.json`, JSON.stringify({ ...file, sessionId: legacyId }), {
              sessionid: Buffer.from(legacyId, 'utf8').toString('base64url'),
              historyfrom: String(historyFrom),
            });
            await container.getBlobClient(name).delete();
          }
          for (const name of await names('clients/')) {
            const binding = JSON.parse(await text(name)) as { sessionId: string };
            await put(name, JSON.stringify({ ...binding, sessionId: splitSessionKey(binding.sessionId)!.sessionId }));
          }
          await put(`clients/${hashKey(tablet.clientId)}.json`, JSON.stringify(tablet));
        },
        async legacy() {
          const left = (await Promise.all(legacyIds.map((id) => names(`sessions/${hashKey(id)}/`)))).flat();
          for (const name of await names('clients/')) if (!isSessionKey((JSON.parse(await text(name)) as { sessionId: string }).sessionId)) left.push(name);
          return left;
        },
      });
      // Every payload blob is named by its session's state: the racing migrators left no copies behind.
      for (const name of await names('sessions/')) {
        if (!name.includes('/payloads/')) continue;
        const state = await text(`${name.split('/payloads/')[0]}/state.json`);
        expect(state).toContain(`"ref":"${name.split('/').at(-1)}"`);
      }
    } finally {
      await azurite.stop();
    }
  }, 120_000);

  it('Cosmos DB: documents, pieces and bindings move; concurrent migrations converge; the old partition is emptied', async () => {
    const emulator = await startCosmos();
    const client = new CosmosClient({ endpoint: emulator.endpoint, key: emulator.key, agent: emulator.agent() });
    try {
      const options = { endpoint: emulator.endpoint, key: emulator.key, database: 'legacy' };
      const container = client.database('legacy').container('sessions');
      type Any = { id: string; sessionId: string; kind: string; boundSession?: string; attempt?: string; [k: string]: unknown };
      const all = async () => (await container.items.query<Any>('SELECT * FROM c').fetchAll()).resources;
      const plain = (doc: Any): Any => {
        const copy: Any = { ...doc };
        for (const system of ['_rid', '_self', '_etag', '_attachments', '_ts']) delete copy[system];
        return copy;
      };
      await scenario({
        open: () => cosmosStore({ ...options, agent: emulator.agent() }),
        async downgrade() {
          for (const doc of await all()) {
            if (doc.kind === 'binding') {
              await container.item(doc.id, doc.sessionId).replace({ ...plain(doc), boundSession: splitSessionKey(doc.boundSession!)!.sessionId });
            } else if (isSessionKey(doc.sessionId)) {
              // The previous release kept the same documents in the partition of the session id alone, without attempts.
              const moved = { ...plain(doc), sessionId: splitSessionKey(doc.sessionId)!.sessionId };
              delete moved.attempt;
              await container.items.create(moved);
              await container.item(doc.id, doc.sessionId).delete();
            }
          }
          await container.items.create({ id: 'binding', sessionId: `client:${hashKey(tablet.clientId)}`, kind: 'binding', clientId: tablet.clientId, userId: tablet.userId, boundSession: tablet.sessionId });
          expect((await all()).filter((d) => d.kind === 'piece').length).toBeGreaterThan(0);
        },
        async legacy() {
          return (await all()).filter((d) => legacyIds.includes(d.sessionId) || (d.kind === 'binding' && !isSessionKey(d.boundSession!))).map((d) => `${d.sessionId}/${d.id}`);
        },
      });
      // Every piece is named by a document of its session: the racing migrators left no copies behind.
      const docs = await all();
      for (const piece of docs.filter((d) => d.kind === 'piece')) {
        expect(docs.some((d) => d.sessionId === piece.sessionId && (d.big as { ref?: string } | undefined)?.ref === piece.ref)).toBe(true);
      }
      // The migrated session says where it came from; the marker stays, so a late migrator cannot copy again.
      const key = sessionKey('alice', 'default');
      expect(docs.find((d) => d.sessionId === key && d.kind === 'session')).toMatchObject({ migratedFrom: 'default' });
      expect(docs.find((d) => d.sessionId === key && d.kind === 'migration')).toMatchObject({ from: 'default', state: 'done' });
    } finally {
      client.dispose();
      await emulator.stop();
    }
  }, 120_000);
});
