/**
 * Issue 12, finding 9: /healthz answers outside the write queue and says 503 when the disk is full (a real tmpfs,
 * mounted by the test); SIGTERM under load answers every request, 503 with Retry-After once shutting down, instead of
 * resetting connections (the real command, real SQLite).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacAuth, signToken } from '../src/auth.js';
import { createServer } from '../src/server.js';
import { sqliteStore } from '../src/sql/sqlite.js';
import { freePort } from './helpers/postgres.js';
import { opsFor } from './helpers/store-suite.js';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = ['--import', 'tsx', join(ROOT, 'src/cli/index.ts')];
const SECRET = 'health-test-secret-0123456789-0123456789';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'scratchpad-health-'));
  writeFileSync(join(dir, 'secret'), `${SECRET}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('/healthz', () => {
  it('answers while pushes wait in the write queue', async () => {
    const server = createServer({ store: sqliteStore({ path: join(dir, 'queue.db') }), auth: hmacAuth(SECRET), log: () => undefined });
    try {
      // Twenty pushes of half a MiB each take their places in the store's queue now, before /healthz is asked.
      const big = (i: number) => `${String(i).repeat(80)}\n`.repeat(6500);
      let done = 0;
      const pushes = Array.from({ length: 20 }, (_, i) =>
        server.store.push({ userId: 'u', sessionId: `s${i}`, clientId: `c${i}`, ops: [opsFor(`c${i}`).replace('p', 's', big(i), 0)] }).then(() => done++),
      );
      const health = await server.fetch(new Request('http://pads.test/healthz'));
      const doneWhenHealthAnswered = done;
      expect(health.status).toBe(200);
      await Promise.all(pushes);
      // Ordering, not timing: it did not wait for the queue to empty.
      expect(doneWhenHealthAnswered).toBeLessThan(20);
    } finally {
      await server.close();
    }
  });

  it('answers 503 when the disk holding the database is full, and 200 again when space is back', async () => {
    const mount = join(dir, 'tiny');
    mkdirSync(mount);
    // A real small file system: this needs root (the test machine runs the suite as root).
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mount], { encoding: 'utf8' });
    if (mounted.status !== 0) throw new Error(`mounting a tmpfs failed (this test needs root): ${mounted.stderr}`);
    const server = createServer({ store: sqliteStore({ path: join(mount, 'full.db') }), auth: hmacAuth(SECRET), log: () => undefined });
    try {
      const { url } = await server.listen(0);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const filler = join(mount, 'filler');
      const fd = openSync(filler, 'w');
      try {
        const chunk = Buffer.alloc(1024 * 1024);
        for (;;) writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        closeSync(fd);
      }
      const full = await fetch(`${url}/healthz`);
      expect(full.status).toBe(503);
      expect(await full.json()).toMatchObject({ error: { code: 'UNAVAILABLE' } });
      rmSync(filler);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
      spawnSync('umount', [mount]);
    }
  });
});

describe('SIGTERM under load', () => {
  it('answers every request: finished, or 503 with Retry-After; no connection resets', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [...CLI, '--db', join(dir, 'term-load.db'), '--port', String(port), '--secret-file', join(dir, 'secret')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    await new Promise<void>((ready, fail) => {
      child.stdout!.on('data', () => output.includes('listening on') && ready());
      void exited.then((code) => fail(new Error(`exited with ${code}:\n${output}`)));
    });

    const keepAlive = new Agent({ keepAlive: true, maxSockets: 64 });
    const token = signToken('loader', SECRET);
    let ok = 0;
    const unavailable: (string | undefined)[] = [];
    const failures: string[] = [];
    let signalled!: () => void;
    const enoughLoad = new Promise<void>((r) => (signalled = r));

    /** One push; resolves with the status, or the error code of a failed connection. */
    const pushOnce = (c: number, ops: unknown[], fresh: boolean) =>
      new Promise<{ status: number; retryAfter?: string } | { error: string }>((done) => {
        const body = JSON.stringify({ clientId: `load-${c}`, ops });
        const req = request(
          { host: '127.0.0.1', port, method: 'POST', path: `/v1/sessions/load-${c}/push`, agent: fresh ? false : keepAlive, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
          (res) => {
            res.resume();
            res.on('end', () => done({ status: res.statusCode!, ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}) }));
            res.on('error', (e: NodeJS.ErrnoException) => done({ error: e.code ?? e.message }));
          },
        );
        req.on('error', (e: NodeJS.ErrnoException) => done({ error: e.code ?? e.message }));
        req.end(body);
      });

    // Half the clients keep their connection alive, half open a new one for every request (the accept backlog).
    const clients = Array.from({ length: 16 }, async (_, c) => {
      const make = opsFor(`load-${c}`);
      for (;;) {
        const result = await pushOnce(c, [make.append('log', 'lines', `line from ${c}`)], c % 2 === 1);
        if ('error' in result) {
          // Refused: the server has stopped listening, as it should after the drain. Anything else is a reset.
          if (result.error !== 'ECONNREFUSED') failures.push(result.error);
          return;
        }
        if (result.status === 503) {
          unavailable.push(result.retryAfter);
          return; // a client backs off for Retry-After; the server is gone by then
        }
        if (result.status !== 200) failures.push(`status ${result.status}`);
        if (++ok === 200) signalled();
      }
    });
    await enoughLoad;
    child.kill('SIGTERM');
    await Promise.all(clients);
    keepAlive.destroy();
    expect(await exited).toBe(0);
    expect(failures).toEqual([]);
    expect(unavailable.length).toBeGreaterThan(0);
    for (const retryAfter of unavailable) expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
