/**
 * Load benchmark of the reference sync server: N concurrent clients each push M ops over loopback HTTP, in batches,
 * to their own session; ops per second and push latency (p50/p99), for SQLite and PostgreSQL.
 *
 *   npm run bench:server                          # 50 clients × 200 ops, batches of 20 and of 1
 *   npm run bench:server -- --clients 50 --ops 200 --batch 20,1 --stores sqlite,postgres
 *
 * The server runs in its own process (the `serve` command), as in production; this process only generates load. Both
 * share the machine's cores, so the figures are what one small machine does end to end, load generator included.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { signToken } from '../packages/server/src/auth.js';
import type { SyncOp } from '../src/storage/types.js';
import type { PushResponse } from '../src/core/protocol.js';
import { freePort, startPostgres, type PostgresCluster } from '../packages/server/test/helpers/postgres.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '50' },
    ops: { type: 'string', default: '200' },
    batch: { type: 'string', default: '20,1' },
    stores: { type: 'string', default: 'sqlite,postgres' },
  },
});
const CLIENTS = Number(values.clients);
const OPS = Number(values.ops);
const BATCHES = values.batch.split(',').map(Number);
const STORES = values.stores.split(',');

const ROOT = resolve(import.meta.dirname, '..');
const SECRET = 'bench-secret-0123456789-0123456789-0123';
const dir = mkdtempSync(join(tmpdir(), 'scratchpad-bench-'));
writeFileSync(join(dir, 'secret'), SECRET);

async function startServer(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'packages/server/src/cli/index.ts'), '--port', String(port), '--secret-file', join(dir, 'secret'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((ready, fail) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('listening on')) ready();
    });
    child.once('exit', (code) => fail(new Error(`server exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
}

/** Ops of one client: mostly appends to a few sections, every fifth a replace of another section on its current version. */
function opsOf(clientId: string): SyncOp[] {
  const ops: SyncOp[] = [];
  let replaced = 0;
  for (let i = 1; i <= OPS; i++) {
    const common = { clientId, mutationId: i, agent: 'bench', timestamp: Date.now() };
    if (i % 5 === 0) {
      ops.push({ ...common, pad: 'notes', section: 'summary', kind: 'replace', content: `Summary after ${i} ops\n${'detail line\n'.repeat(5)}`, baseVersion: replaced++ });
    } else {
      ops.push({ ...common, pad: 'log', section: `part-${i % 4}`, kind: 'append', content: `step ${i}: observed value ${(i * 7919) % 1000} for ${clientId}`, baseVersion: 0 });
    }
  }
  return ops;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function run(url: string, batch: number, label: string) {
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      const clientId = `${label}-client-${c}`;
      const token = signToken(`user-${c}`, SECRET);
      const ops = opsOf(clientId);
      for (let i = 0; i < ops.length; i += batch) {
        const body = JSON.stringify({ clientId, ops: ops.slice(i, i + batch) });
        const t = performance.now();
        const response = await fetch(`${url}/v1/sessions/${label}-session-${c}/push`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body,
        });
        const result = (await response.json()) as PushResponse;
        latencies.push(performance.now() - t);
        if (response.status !== 200 || result.lastMutationId !== Math.min(i + batch, ops.length)) throw new Error(`push failed: ${response.status} ${JSON.stringify(result)}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { ops: CLIENTS * OPS, seconds, opsPerSecond: (CLIENTS * OPS) / seconds, pushes: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

let cluster: PostgresCluster | undefined;
const rows: string[] = [];
try {
  console.log(`scratchpad-store server benchmark: ${CLIENTS} concurrent clients × ${OPS} ops each, own session per client, loopback HTTP`);
  console.log(`node ${process.version}, ${availableParallelism()} cores; server in a separate process, load generator in this one\n`);
  for (const store of STORES) {
    let args: string[];
    if (store === 'sqlite') args = ['--db', join(dir, 'bench.db')];
    else if (store === 'postgres') {
      cluster ??= await startPostgres();
      args = ['--postgres', await cluster.createDatabase()];
    } else throw new Error(`unknown store ${store}`);
    const { child, url } = await startServer(args);
    try {
      // Warm-up: JIT, prepared statements, connection pools.
      await run(url, 20, `${store}-warmup`);
      for (const batch of BATCHES) {
        const r = await run(url, batch, `${store}-b${batch}`);
        const row = `| ${store} | ${batch} | ${r.ops} | ${r.pushes} | ${r.seconds.toFixed(2)} s | ${Math.round(r.opsPerSecond).toLocaleString('en-US')} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms |`;
        rows.push(row);
        console.log(row);
      }
    } finally {
      await stopServer(child);
    }
  }
  console.log('\n| store | ops per push | ops | pushes | time | ops/s | push p50 | push p99 |\n|---|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
} finally {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}
