import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anyAuth, hmacAuth, signToken, tokenFileAuth } from '../src/auth.js';
import { createServer, type ScratchpadServer } from '../src/server.js';
import { sqliteStore } from '../src/sql/sqlite.js';
import type { ServerLimits } from '../src/types.js';
import type { SyncOp } from 'scratchpad-store/protocol';
import type { PullResponse, PushResponse, SnapshotResponse } from 'scratchpad-store/protocol';
import { opsFor } from './helpers/store-suite.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const FILE_TOKEN = 'file-token-for-bob-0123456789';
const alice = signToken('alice', SECRET);
const mallory = signToken('mallory', SECRET);

let dir: string;
let server: ScratchpadServer;
let base: string;
let files = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'scratchpad-http-'));
  writeFileSync(join(dir, 'tokens.json'), JSON.stringify({ [FILE_TOKEN]: 'bob' }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function start(limits: Partial<ServerLimits> = {}, cors?: { origin: string | string[] }) {
  const store = sqliteStore({ path: join(dir, `http-${++files}.db`), limits });
  server = createServer({
    store,
    auth: anyAuth(tokenFileAuth(join(dir, 'tokens.json')), hmacAuth(SECRET)),
    limits,
    ...(cors ? { cors } : {}),
    log: () => undefined,
  });
  base = (await server.listen(0)).url;
}

async function call(method: string, path: string, options: { token?: string | null; body?: string | object; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? alice : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: text ? (JSON.parse(text) as unknown) : undefined };
}

const push = (sessionId: string, clientId: string, ops: readonly SyncOp[], token?: string | null) =>
  call('POST', `/v1/sessions/${encodeURIComponent(sessionId)}/push`, { body: { clientId, ops }, ...(token === undefined ? {} : { token }) });
const snapshot = async (sessionId: string, token = alice) =>
  (await call('GET', `/v1/sessions/${encodeURIComponent(sessionId)}/snapshot`, { token })).json as SnapshotResponse;

describe('HTTP API on SQLite', () => {
  beforeEach(() => start());
  afterEach(() => server.close());

  it('answers /healthz without a token', async () => {
    const response = await call('GET', '/healthz', { token: null });
    expect(response).toMatchObject({ status: 200, json: { ok: true, store: 'sqlite' } });
  });

  it('pushes, pulls and snapshots over HTTP', async () => {
    const a = opsFor('c1');
    const pushed = await push('s1', 'c1', [a.replace('p', 's', 'one\n', 0), a.append('p', 's', 'two')]);
    expect(pushed.status).toBe(200);
    expect(pushed.json as PushResponse).toEqual({
      lastMutationId: 2,
      results: [
        { mutationId: 1, status: 'applied', version: 1 },
        { mutationId: 2, status: 'applied', version: 2 },
      ],
    });
    const pulled = await call('GET', '/v1/sessions/s1/pull?clientId=c1&limit=1');
    expect(pulled.status).toBe(200);
    expect(pulled.headers.get('cache-control')).toBe('no-store');
    const page = pulled.json as PullResponse;
    expect(page).toMatchObject({ cursor: '0.1', more: true, lastMutationId: 1 });
    const rest = (await call('GET', `/v1/sessions/s1/pull?clientId=c1&since=${page.cursor}`)).json as PullResponse;
    expect(rest).toMatchObject({ cursor: '0.2', more: false, lastMutationId: 2 });
    expect(rest.sections).toEqual([{ pad: 'p', section: 's', content: 'one\ntwo', version: 2, updatedAt: expect.any(Number), updatedBy: 'agent', deleted: false }]);
    expect(await snapshot('s1')).toMatchObject({ cursor: '0.2', lastMutationId: 0 });
  });

  it('accepts tokens from the token file and HMAC tokens; refuses others with 401', async () => {
    expect((await push('bobs', 'b1', [opsFor('b1').append('p', 's', 'x')], FILE_TOKEN)).status).toBe(200);
    for (const token of [null, 'nonsense', `alice.${'A'.repeat(43)}`, signToken('alice', 'another-secret-of-sufficient-length!!'), `${FILE_TOKEN}x`]) {
      const response = await call('GET', '/v1/sessions/s1/snapshot', { token });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(response.json).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    }
    const basic = await call('GET', '/v1/sessions/s1/snapshot', { token: null, headers: { authorization: `Basic ${alice}` } });
    expect(basic.status).toBe(401);
  });

  it("gives each user their own session of a name; another user's client id gets 403 and the error leaks nothing", async () => {
    await push('alice-session', 'alice-client', [opsFor('alice-client').replace('p', 's', 'alice secret text', 0)]);
    const m = opsFor('m1');
    // The same session name is mallory's own, empty session: nothing of alice's shows, and alice's stays as it was.
    expect((await push('alice-session', 'm1', [m.replace('p', 's', 'x', 0)], mallory)).status).toBe(200);
    const own = await call('GET', '/v1/sessions/alice-session/pull', { token: mallory });
    expect(own.status).toBe(200);
    expect(own.text).not.toMatch(/alice secret text/);
    expect((await call('DELETE', '/v1/sessions/alice-session', { token: mallory })).status).toBe(200);
    const response = await call('GET', '/v1/sessions/mallory-session/pull?clientId=alice-client', { token: mallory });
    expect(response.status).toBe(403);
    expect(response.json).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect(response.text).not.toMatch(/alice|secret text/);
    expect((await snapshot('alice-session')).sections[0]).toMatchObject({ content: 'alice secret text', version: 1 });
  });

  it('refuses malformed JSON and wrong types with 400, and changes nothing', async () => {
    await push('s', 'c1', [opsFor('c1').replace('p', 's', 'kept', 0)]);
    const before = await snapshot('s');
    const good = opsFor('c1', 2).append('p', 's', 'x');
    const bad: (string | object)[] = [
      '{"clientId": "c1", "ops": [',
      'not json at all',
      '',
      'null',
      '[]',
      { clientId: 'c1' },
      { clientId: 'c1', ops: {} },
      { clientId: 42, ops: [good] },
      { clientId: 'c1', ops: [{ ...good, mutationId: '2' }] },
      { clientId: 'c1', ops: [{ ...good, mutationId: 0 }] },
      { clientId: 'c1', ops: [{ ...good, mutationId: 2.5 }] },
      { clientId: 'c1', ops: [{ ...good, kind: 'prepend' }] },
      { clientId: 'c1', ops: [{ ...good, content: null }] },
      { clientId: 'c1', ops: [{ ...good, pad: ['p'] }] },
      { clientId: 'c1', ops: [{ ...good, baseVersion: -1 }] },
      { clientId: 'c1', ops: [{ ...good, timestamp: 'now' }] },
      { clientId: 'c1', ops: [{ ...good, agent: undefined }] },
      { clientId: 'c1', ops: [{ ...good, baseMutationId: 'x' }] },
      { clientId: 'c\u0001', ops: [{ ...good, clientId: 'c\u0001' }] },
      { clientId: '', ops: [] },
    ];
    for (const body of bad) {
      const response = await call('POST', '/v1/sessions/s/push', { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.json).toMatchObject({ error: { code: 'BAD_REQUEST' } });
      expect((response.json as { error: { message: string } }).error.message.length).toBeGreaterThan(0);
    }
    const wrongType = await call('POST', '/v1/sessions/s/push', { body: { clientId: 'c1', ops: [{ ...good, mutationId: '2' }] } });
    expect((wrongType.json as { error: { message: string } }).error.message).toContain('ops[0].mutationId');
    expect(await snapshot('s')).toEqual(before);
    expect((await push('s', 'c1', [good])).status).toBe(200);
  });

  it('refuses bad query parameters and ids with 400, unknown routes with 404', async () => {
    expect((await call('GET', '/v1/sessions/s/pull?since=-1')).status).toBe(400);
    expect((await call('GET', '/v1/sessions/s/pull?since=1e3')).status).toBe(400);
    expect((await call('GET', '/v1/sessions/s/pull?limit=0')).status).toBe(400);
    expect((await call('GET', '/v1/sessions/s/pull?limit=ten')).status).toBe(400);
    expect((await call('GET', `/v1/sessions/${encodeURIComponent('bad\u0001id')}/snapshot`)).status).toBe(400);
    expect((await call('GET', `/v1/sessions/${'x'.repeat(200)}/snapshot`)).status).toBe(400);
    expect((await call('GET', '/v1/sessions/s/snapshot?clientId=%0A')).status).toBe(400);
    const missing = await call('GET', '/v1/nothing');
    expect(missing).toMatchObject({ status: 404, json: { error: { code: 'NOT_FOUND' } } });
    expect((await call('PUT', '/v1/sessions/s/push', { body: {} })).status).toBe(404);
  });

  it('rejects ops with control characters in names (processed, not 400) and stores SQL-looking names literally', async () => {
    const a = opsFor('c1');
    const response = await push("robert'); DROP TABLE sp_sessions;--", 'c1', [
      a.replace('pad\u0000', 's', 'x', 0),
      a.replace('pad', 'sec\u001b[31m', 'x', 0),
      a.replace('pad', 'line\u2028sep', 'x', 0),
      a.replace("' OR '1'='1", 'SELECT * FROM sp_history', 'literal', 0),
    ]);
    expect(response.status).toBe(200);
    const results = (response.json as PushResponse).results;
    expect(results.map((r) => (r.status === 'rejected' ? r.error.code : r.status))).toEqual(['INVALID_NAME', 'INVALID_NAME', 'INVALID_NAME', 'applied']);
    const snap = await snapshot("robert'); DROP TABLE sp_sessions;--");
    expect(snap.sections.map((s) => [s.pad, s.section, s.content])).toEqual([["' OR '1'='1", 'SELECT * FROM sp_history', 'literal']]);
    expect((await call('GET', '/healthz', { token: null })).status).toBe(200);
  });

  it('a gap answers 409 over HTTP and changes nothing', async () => {
    const a = opsFor('c1');
    await push('s', 'c1', [a.append('p', 's', 'one')]);
    a.append('p', 's', 'skipped');
    const response = await push('s', 'c1', [a.append('p', 's', 'three')]);
    expect(response).toMatchObject({ status: 409, json: { error: { code: 'MUTATION_GAP' } } });
    expect((await snapshot('s')).sections[0]).toMatchObject({ content: 'one', version: 1 });
  });

  it('deletes a session for its owner', async () => {
    await push('s', 'c1', [opsFor('c1').replace('p', 's', 'x', 0)]);
    expect(await call('DELETE', '/v1/sessions/s')).toMatchObject({ status: 200, json: { deleted: true } });
    expect((await snapshot('s')).sections).toEqual([]);
    expect((await call('GET', '/v1/sessions/s/pull?since=0')).status).toBe(410);
  });
});

describe('HTTP limits', () => {
  afterEach(() => server.close());

  it('answers 413 for a body over the limit, with or without Content-Length, and changes nothing', async () => {
    await start({ maxBodyBytes: 4096 });
    const a = opsFor('c1');
    const big = { clientId: 'c1', ops: [a.replace('p', 's', 'x'.repeat(5000), 0)] };
    const response = await call('POST', '/v1/sessions/s/push', { body: big });
    expect(response).toMatchObject({ status: 413, json: { error: { code: 'PAYLOAD_TOO_LARGE' } } });

    // Chunked, so the server cannot refuse it from the header: it must count while reading.
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(`${base}/v1/sessions/s/push`);
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { authorization: `Bearer ${alice}`, 'transfer-encoding': 'chunked' } },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      const text = JSON.stringify(big);
      for (let i = 0; i < text.length; i += 1000) req.write(text.slice(i, i + 1000));
      req.end();
    });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect((await snapshot('s')).sections).toEqual([]);
  });

  it('answers 413 for a batch with more ops than allowed, and changes nothing', async () => {
    await start({ maxOpsPerPush: 5 });
    const a = opsFor('c1');
    const ops = Array.from({ length: 6 }, () => a.append('p', 's', 'x'));
    expect(await push('s', 'c1', ops)).toMatchObject({ status: 413, json: { error: { code: 'BATCH_TOO_LARGE' } } });
    expect((await snapshot('s')).sections).toEqual([]);
    expect((await push('s', 'c1', ops.slice(0, 5))).status).toBe(200);
  });

  it('answers CORS preflights for allowed origins only', async () => {
    await start({}, { origin: ['https://app.example'] });
    const allowed = await call('OPTIONS', '/v1/sessions/s/push', {
      token: null,
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    const other = await call('OPTIONS', '/v1/sessions/s/push', {
      token: null,
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    // Errors carry the header too, so the page can read them.
    const unauthorized = await call('GET', '/v1/sessions/s/snapshot', { token: null, headers: { origin: 'https://app.example' } });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });

  it('sends no CORS headers unless configured', async () => {
    await start();
    const response = await call('GET', '/healthz', { token: null, headers: { origin: 'https://app.example' } });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('shutdown', () => {
  it('finishes in-flight requests, then refuses new ones and closes the database', async () => {
    await start();
    // Tells when the push has reached the store, so that close() starts while it is being handled.
    let entered!: () => void;
    const reached = new Promise<void>((resolve) => (entered = resolve));
    const push0 = server.store.push.bind(server.store);
    Object.assign(server.store, {
      push: (input: Parameters<typeof push0>[0]) => {
        entered();
        return push0(input);
      },
    });
    const a = opsFor('c1');
    const ops = Array.from({ length: 200 }, (_, i) => a.append('p', `s${i % 10}`, `line ${i}`));
    const inFlight = push('s', 'c1', ops);
    await reached;
    const closing = server.close();
    const response = await inFlight;
    await closing;
    expect(response.status).toBe(200);
    expect((response.json as PushResponse).lastMutationId).toBe(200);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    await expect(server.store.health()).rejects.toThrow();
  });
});
