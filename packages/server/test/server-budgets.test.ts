/**
 * Byte budgets, against the real command in a child process (SQLite file), with its memory read from
 * /proc/<pid>/status: the 1 MiB replace attack of issue 12 (280 replaces alternating two 1 MiB strings, then six
 * clients pulling with the client's default limit at once), 522 sections of 1 MiB snapshotted page by page, and the
 * quotas. Before pages were cut by bytes, the first pull answered 500 (`Invalid string length`) with RSS near 2 GB.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PullResponse, PushResponse, SnapshotResponse, SyncOp } from 'scratchpad-store/protocol';
import { signToken } from '../src/auth.js';
import { createServer } from '../src/server.js';
import { hmacAuth } from '../src/auth.js';
import { sqliteStore } from '../src/sqlite.js';
import { freePort } from './helpers/postgres.js';
import { opsFor } from './helpers/store-suite.js';

const ROOT = resolve(import.meta.dirname, '..');
const SECRET = 'budget-test-secret-0123456789-0123456789';
const token = signToken('mallory', SECRET);
const MiB = 1024 * 1024;
const RSS_LIMIT = 300 * MiB;

let dir: string;
let server: { child: ChildProcess; url: string; output: () => string };

/** Peak resident memory of a process so far (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match![1]) * 1024;
}

/**
 * The command in a child process. `heapMiB` caps V8's heap (`--max-old-space-size`), as a deployment with a memory
 * budget would: left alone, V8 collects the garbage of large strings lazily and RSS drifts up to whatever the machine
 * allows (300–340 MiB here after the attack's 280 MiB of pushes, with nothing live), which says nothing about what a
 * request needs. With the cap, the server must do all of the work within it (or die with out-of-memory).
 */
async function startServer(heapMiB?: number): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const port = await freePort();
  // Quotas above the attack: this is about pages, not about refusing the writes (the quota test below does that).
  const child = spawn(
    process.execPath,
    [...(heapMiB ? [`--max-old-space-size=${heapMiB}`] : []), '--import', 'tsx', join(ROOT, 'src/cli/index.ts'), '--port', String(port), '--secret-file', join(dir, 'secret'), '--db', join(dir, `big-${port}.db`),
      '--quota-session', String(4096 * MiB), '--quota-user', String(8192 * MiB)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((ready, fail) => {
    child.stdout!.on('data', () => output.includes('listening on') && ready());
    child.once('exit', (code) => fail(new Error(`serve exited with ${code}:\n${output}`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, output: () => output };
}

async function stopServer(): Promise<void> {
  if (server?.child.exitCode === null) {
    const exited = new Promise((done) => server.child.once('exit', done));
    server.child.kill('SIGTERM');
    await exited;
  }
}

/** Highest VmRSS seen while `body` runs, sampled every 20 ms. */
async function sampledPeak<T>(pid: number, body: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = 0;
  const sample = () => {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    peak = Math.max(peak, Number(match![1]) * 1024);
  };
  const timer = setInterval(sample, 20);
  try {
    const result = await body();
    sample();
    return { result, peak };
  } finally {
    clearInterval(timer);
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'scratchpad-budgets-'));
  writeFileSync(join(dir, 'secret'), SECRET);
});

afterAll(async () => {
  await stopServer();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const request = () =>
    fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  // A GET on a kept-alive socket that the server closed as idle just then fails before it is sent: repeat it, as
  // httpSync's retries would (both processes are busy here, which makes that race likely). Never a push.
  let response: Response;
  for (let attempt = 1; ; attempt++) {
    try {
      response = await request();
      break;
    } catch (error) {
      if (method !== 'GET' || attempt === 3) throw error;
    }
  }
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

async function push(sessionId: string, clientId: string, ops: readonly SyncOp[]): Promise<PushResponse> {
  const { status, json } = await call('POST', `/v1/sessions/${sessionId}/push`, { clientId, ops });
  expect(status, JSON.stringify(json)).toBe(200);
  return json as PushResponse;
}

/** Pulls to the end the way httpSync does (no limit: the server's default page), counting pages and entries. */
async function pullToEnd(sessionId: string, clientId: string): Promise<{ pages: number; entries: number; cursor: string }> {
  let since: string | undefined;
  let pages = 0;
  let entries = 0;
  for (;;) {
    const query = new URLSearchParams({ clientId, ...(since === undefined ? {} : { since }) });
    const { status, json } = await call('GET', `/v1/sessions/${sessionId}/pull?${query}`);
    expect(status, JSON.stringify(json).slice(0, 300)).toBe(200);
    const page = json as PullResponse;
    pages++;
    entries += page.entries.length;
    since = page.cursor;
    if (!page.more) return { pages, entries, cursor: page.cursor };
  }
}

// Just under the section limit, so that every op is within every limit.
const big = (c: string) => c.repeat(MiB - 64);

describe('byte budgets against the command in a child process', () => {
  it('survives 280 replaces of two alternating 1 MiB strings and six clients pulling them at once, in a 192 MiB heap', async () => {
    server = await startServer(192);
    const a = opsFor('attacker');
    for (let i = 0; i < 280; i += 4) {
      const ops = [0, 1, 2, 3].map((j) => a.replace('p', 's', big((i + j) % 2 === 0 ? 'a' : 'b'), 0, i + j > 0 ? { baseMutationId: i + j } : {}));
      const response = await push('attack', 'attacker', ops);
      expect(response.results.every((r) => r.status === 'applied')).toBe(true);
    }
    const { result: pulls, peak } = await sampledPeak(server.child.pid!, () =>
      Promise.all(Array.from({ length: 6 }, (_, i) => pullToEnd('attack', `reader-${i}`))),
    );
    for (const pull of pulls) {
      expect(pull.entries).toBe(280);
      expect(pull.pages).toBeGreaterThan(1);
    }
    // Unbounded, one page was 1.9 GB and six of them 4.9 GB; now every request fits in the heap cap, and the whole
    // process, pushes included, stays under 300 MB.
    expect(peak).toBeLessThan(RSS_LIMIT);
    expect(peakRss(server.child.pid!)).toBeLessThan(RSS_LIMIT);
    console.log(`attack: RSS peak during the six pulls ${(peak / MiB).toFixed(0)} MiB; over the whole run (pushes included) ${(peakRss(server.child.pid!) / MiB).toFixed(0)} MiB`);
    // Still syncable: a new write applies and a pull from the last cursor brings it.
    const next = await push('attack', 'attacker', [a.append('p', 's', 'tail')]);
    expect(next.results[0]).toMatchObject({ status: 'applied', version: 281 });
    const after = (await call('GET', `/v1/sessions/attack/pull?clientId=reader-0&since=${pulls[0]!.cursor}`)).json as PullResponse;
    expect(after.entries.map((e) => e.version)).toEqual([281]);
    expect(server.output()).not.toContain('failed');
    await stopServer();
  }, 600_000);

  it('snapshots 522 sections of 1 MiB page by page', async () => {
    server = await startServer();
    const w = opsFor('writer');
    for (let i = 0; i < 522; i += 4) {
      const ops = [0, 1, 2, 3].filter((j) => i + j < 522).map((j) => w.replace('p', `s${String(i + j).padStart(3, '0')}`, big(String.fromCharCode(97 + ((i + j) % 26))), 0));
      await push('wide', 'writer', ops);
    }
    let after: string | undefined;
    let rows = 0;
    let pages = 0;
    let cursor: string | undefined;
    const { peak } = await sampledPeak(server.child.pid!, async () => {
    for (;;) {
      const query = new URLSearchParams({ clientId: 'writer', ...(after === undefined ? {} : { after }) });
      const { status, json } = await call('GET', `/v1/sessions/wide/snapshot?${query}`);
      expect(status).toBe(200);
      const page = json as SnapshotResponse;
      cursor ??= page.cursor;
      expect(page.cursor).toBe(cursor); // every page reports the first page's cursor
      rows += page.sections.length;
      pages++;
      if (!page.next) break;
      after = page.next;
    }
    });
    expect(rows).toBe(522);
    expect(pages).toBeGreaterThan(100);
    // The pages, not the 522 MiB of pushes before them (whose garbage V8 collects lazily), are what is bounded here.
    expect(peak).toBeLessThan(RSS_LIMIT);
    expect(server.output()).not.toContain('failed');
    await stopServer();
  }, 600_000);
});

describe('quotas', () => {
  it('rejects ops over the session quota and over the user quota with QUOTA_EXCEEDED; the session stays syncable', async () => {
    const store = sqliteStore({ path: ':memory:', limits: { maxSessionBytes: 250_000, maxUserBytes: 350_000 } });
    const a = opsFor('a');
    const text = (c: string) => `${c.repeat(99_000)}\n`;
    const first = await store.push({ userId: 'u', sessionId: 's1', clientId: 'a', ops: [a.replace('p', 'x', text('a'), 0), a.replace('p', 'y', text('b'), 0), a.replace('p', 'z', text('c'), 0)] });
    expect(first.results.map((r) => r.status)).toEqual(['applied', 'applied', 'rejected']);
    expect(first.results[2]).toMatchObject({ error: { code: 'QUOTA_EXCEEDED', message: expect.stringContaining("session's quota") } });
    // Small writes still fit; pulls still work.
    const small = await store.push({ userId: 'u', sessionId: 's1', clientId: 'a', ops: [a.append('p', 'x', 'tail')] });
    expect(small.results[0]).toMatchObject({ status: 'applied', version: 2 });
    expect((await store.pull({ userId: 'u', sessionId: 's1', since: undefined, clientId: 'a', limit: 100 })).entries).toHaveLength(3);

    // The user's quota spans sessions: s2 takes one large section, s3 is then over the user's 350,000.
    const b = opsFor('b');
    expect((await store.push({ userId: 'u', sessionId: 's2', clientId: 'b', ops: [b.replace('p', 'x', text('d'), 0)] })).results[0]!.status).toBe('applied');
    const c = opsFor('c');
    const over = await store.push({ userId: 'u', sessionId: 's3', clientId: 'c', ops: [c.replace('p', 'x', text('e'), 0)] });
    expect(over.results[0]).toMatchObject({ status: 'rejected', error: { code: 'QUOTA_EXCEEDED', message: expect.stringContaining("user's quota") } });
    // Another user is not affected.
    const d = opsFor('d');
    expect((await store.push({ userId: 'v', sessionId: 'v1', clientId: 'd', ops: [d.replace('p', 'x', text('f'), 0)] })).results[0]!.status).toBe('applied');

    // Deleting a session gives its quota back.
    await store.deleteSession({ userId: 'u', sessionId: 's1' });
    const again = await store.push({ userId: 'u', sessionId: 's3', clientId: 'c', ops: [c.replace('p', 'x', text('e'), 0)] });
    expect(again.results[0]!.status).toBe('applied');
    await store.close();
  });

  it('answers an HTTP push over the quota with the typed outcome, not an error status', async () => {
    const s = createServer({ store: sqliteStore({ path: ':memory:', limits: { maxSessionBytes: 1000 } }), auth: hmacAuth(SECRET), limits: { maxSessionBytes: 1000 }, log: () => undefined });
    const response = await s.fetch(
      new Request('http://pads.test/v1/sessions/q/push', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: 'q1', ops: [opsFor('q1').replace('p', 's', 'x'.repeat(5000), 0)] }),
      }),
    );
    expect(response.status).toBe(200);
    expect(((await response.json()) as PushResponse).results[0]).toMatchObject({ status: 'rejected', error: { code: 'QUOTA_EXCEEDED' } });
    await s.close();
  });
});
