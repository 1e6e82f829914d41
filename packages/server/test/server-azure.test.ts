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
import { startFaultProxy } from './helpers/fault-proxy.js';
import { chainedOutbox, checkHistory, opsFor, runStoreSuite, type StoreFactory } from './helpers/store-suite.js';

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
            const batch: SyncOp[] = [];
            for (let i = 0; i < perBatch; i++) {
              const n = b * perBatch + i;
              if (n % 5 === 0) batch.push(ops.replace('pad', 'shared', `client ${c} wrote ${n}\n`, 0));
              else if (n % 5 === 1) batch.push(ops.append('pad', `own-${c}`, `line ${n}`));
              else batch.push(ops.append('pad', 'log', `client ${c} op ${n}`));
            }
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
      const docs = async () => (await container.items.query<{ id: string; kind: string; ref?: string; big?: { ref: string; n: number } }>('SELECT * FROM c WHERE c.sessionId = "s"', { partitionKey: 's' }).fetchAll()).resources;
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
        return [...text.matchAll(/"ref":"([0-9a-f]+)"/g)].map((m) => m[1]!).sort();
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
