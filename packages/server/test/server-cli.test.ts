/**
 * The `scratchpad-store serve` command in a child process: help, graceful SIGTERM, and a SIGKILL'd server that
 * restarts with everything it acknowledged (SQLite and PostgreSQL).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacAuth, signToken } from '../src/auth.js';
import type { SyncOp } from 'scratchpad-store/protocol';
import type { PullResponse, PushResponse, SnapshotResponse } from 'scratchpad-store/protocol';
import { freePort, startPostgres, type PostgresCluster } from './helpers/postgres.js';
import { opsFor } from './helpers/store-suite.js';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = ['--import', 'tsx', join(ROOT, 'src/cli/index.ts')];
const SECRET = 'cli-test-secret-0123456789-0123456789';
const token = signToken('carol', SECRET);

let dir: string;
let cluster: PostgresCluster;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scratchpad-cli-'));
  writeFileSync(join(dir, 'secret'), `${SECRET}\n`);
  cluster = await startPostgres();
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

interface Running {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function serve(args: string[]): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [...CLI, '--port', String(port), '--secret-file', join(dir, 'secret'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  await new Promise<void>((ready, fail) => {
    const check = () => {
      if (output.includes('listening on')) ready();
    };
    child.stdout!.on('data', check);
    void exited.then(({ code }) => fail(new Error(`serve exited with ${code} before listening:\n${output}`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, output: () => output, exited };
}

async function push(url: string, clientId: string, ops: readonly SyncOp[]): Promise<PushResponse> {
  const response = await fetch(`${url}/v1/sessions/notes/push`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ clientId, ops }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as PushResponse;
}

async function get<T>(url: string, path: string): Promise<T> {
  const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

describe('scratchpad-store-server', () => {
  it('prints its help and exits 0', () => {
    const result = spawnSync(process.execPath, [...CLI, '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: scratchpad-store-server [options]');
    expect(result.stdout).toContain('--postgres <url>');
    expect(result.stdout).toContain('scratchpad-store-server token');
  });

  it('refuses to start without auth, and on unknown options, with exit code 2', () => {
    const noAuth = spawnSync(process.execPath, [...CLI, '--db', join(dir, 'x.db')], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, SCRATCHPAD_SECRET: '' } });
    expect(noAuth.status).toBe(2);
    expect(noAuth.stderr).toContain('--tokens');
    const unknown = spawnSync(process.execPath, [...CLI, '--bogus'], { cwd: ROOT, encoding: 'utf8' });
    expect(unknown.status).toBe(2);
  });

  it('prints tokens that the server accepts', async () => {
    const minted = spawnSync(process.execPath, [...CLI, 'token', '--secret-file', join(dir, 'secret'), 'carol'], { cwd: ROOT, encoding: 'utf8' });
    expect(minted.status).toBe(0);
    // Tokens carry their expiry (30 days by default), so two mints a second apart differ: check what it grants.
    expect(hmacAuth(SECRET)(minted.stdout.trim())).toBe('carol');
  });

  it('stops on SIGTERM with exit code 0 after answering', async () => {
    const server = await serve(['--db', join(dir, 'term.db')]);
    await push(server.url, 'c1', [opsFor('c1').replace('p', 's', 'before shutdown', 0)]);
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.output()).toContain('SIGTERM');
  });

  describe.each([
    { name: 'SQLite', args: () => ['--db', join(dir, 'kill.db')] },
    { name: 'PostgreSQL', args: async () => ['--postgres', await cluster.createDatabase()] },
  ])('killed with SIGKILL on $name', ({ args }) => {
    it('restarts with everything it acknowledged', async () => {
      const argv = await args();
      const first = await serve(argv);
      const a = opsFor('c1');
      const b = opsFor('c2');
      for (let i = 0; i < 25; i++) {
        await push(first.url, 'c1', [a.append('log', 'lines', `a${i}`), a.replace('doc', `part-${i % 4}`, `text ${i}\n`, Math.floor(i / 4))]);
        await push(first.url, 'c2', [b.append('log', 'lines', `b${i}`)]);
      }
      const before = await get<PullResponse>(first.url, '/v1/sessions/notes/pull?clientId=c1&limit=1000');
      const snapshotBefore = await get<SnapshotResponse>(first.url, '/v1/sessions/notes/snapshot?clientId=c2');
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');

      const second = await serve(argv);
      try {
        const after = await get<PullResponse>(second.url, '/v1/sessions/notes/pull?clientId=c1&limit=1000');
        expect(after).toEqual(before);
        expect(after.lastMutationId).toBe(50);
        expect(await get<SnapshotResponse>(second.url, '/v1/sessions/notes/snapshot?clientId=c2')).toEqual(snapshotBefore);
        const lines = snapshotBefore.sections.find((s) => s.section === 'lines')!.content.split('\n');
        expect(lines).toHaveLength(50);
        // The clients go on where they were: no gap, no duplicate.
        const next = await push(second.url, 'c1', [a.append('log', 'lines', 'after restart')]);
        expect(next.results).toEqual([{ mutationId: 51, status: 'applied', version: 51 }]);
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    });
  });
});
