/**
 * Load benchmark of the reference sync server, in two parts:
 *
 * 1. Throughput as a ratio to the limit: N concurrent clients each push M ops over loopback HTTP, in batches, to their
 *    own session; ops per second and push latency (p50/p99) for SQLite and PostgreSQL, and for an empty Hono handler
 *    (bench/empty-server.mts: parses the push, stores nothing) on the same machine in the same run, so that each
 *    store's figure is also given as a fraction of what HTTP and JSON alone allow. Pushes slower than the client's
 *    15 s timeout are counted.
 * 2. Write-to-visible: two server instances on one PostgreSQL; a writer scratchpad on one, a reader on the other (both
 *    the real client, httpSync with its defaults: live pokes, 10 s polling as the fallback); the time from `write()`
 *    on the writer until the reader's state shows it.
 *
 *   npm run bench:server                          # 50 and 200 clients × 200 ops, batches of 20
 *   npm run bench:server -- --clients 50,200 --ops 200 --batch 20 --stores empty,sqlite,postgres --visible 100
 *
 * The servers run in their own processes (the `serve` command), as in production; this process only generates load.
 * They share the machine's cores, so the figures are what one small machine does end to end, load generator included.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { signToken } from '../packages/server/src/auth.js';
import type { SyncOp } from '../src/storage/types.js';
import type { PushResponse } from '../src/core/protocol.js';
import { freePort, startPostgres, type PostgresCluster } from '../packages/server/test/helpers/postgres.js';
import { createScratchpad } from '../src/index.js';
import { httpSync } from '../src/sync/index.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '50,200' },
    ops: { type: 'string', default: '200' },
    batch: { type: 'string', default: '20' },
    stores: { type: 'string', default: 'empty,sqlite,postgres' },
    visible: { type: 'string', default: '100' },
  },
});
const CLIENT_COUNTS = values.clients.split(',').map(Number);
const VISIBLE = Number(values.visible);
/** httpSync's default per-request timeout: a push slower than this would have been abandoned by a real client. */
const CLIENT_TIMEOUT_MS = 15_000;
const STORES = values.stores.split(',');

const ROOT = resolve(import.meta.dirname, '..');
const SECRET = 'bench-secret-0123456789-0123456789-0123';
const dir = mkdtempSync(join(tmpdir(), 'scratchpad-bench-'));
writeFileSync(join(dir, 'secret'), SECRET);

async function startServer(args: string[], empty = false): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const command = empty
    ? ['--import', 'tsx', join(ROOT, 'bench/empty-server.mts'), String(port)]
    : ['--import', 'tsx', join(ROOT, 'packages/server/src/cli/index.ts'), '--port', String(port), '--secret-file', join(dir, 'secret'), ...args];
  const child = spawn(process.execPath, command, {
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
function opsOf(clientId: string, OPS: number): SyncOp[] {
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

const OPS = Number(values.ops);
const BATCH = Number(values.batch.split(',')[0]);

interface RunResult {
  ops: number;
  seconds: number;
  opsPerSecond: number;
  pushes: number;
  p50: number;
  p99: number;
  timeouts: number;
}

async function run(url: string, clients: number, batch: number, label: string): Promise<RunResult> {
  const latencies: number[] = [];
  let done = 0;
  let timeouts = 0;
  const started = performance.now();
  // Progress on long phases: ops acknowledged so far, every 5 s.
  const progress = setInterval(() => console.log(`  … ${label}: ${done.toLocaleString('en-US')} / ${(clients * OPS).toLocaleString('en-US')} ops after ${((performance.now() - started) / 1000).toFixed(0)} s`), 5_000);
  try {
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        const clientId = `${label}-client-${c}`;
        const token = signToken(`user-${c}`, SECRET);
        const ops = opsOf(clientId, OPS);
        for (let i = 0; i < ops.length; i += batch) {
          const body = JSON.stringify({ clientId, ops: ops.slice(i, i + batch) });
          const t = performance.now();
          const response = await fetch(`${url}/v1/sessions/${label}-session-${c}/push`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body,
          });
          const result = (await response.json()) as PushResponse;
          const ms = performance.now() - t;
          latencies.push(ms);
          if (ms > CLIENT_TIMEOUT_MS) timeouts++;
          if (response.status !== 200 || result.lastMutationId !== Math.min(i + batch, ops.length)) throw new Error(`push failed: ${response.status} ${JSON.stringify(result)}`);
          done += Math.min(batch, ops.length - i);
        }
      }),
    );
  } finally {
    clearInterval(progress);
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { ops: clients * OPS, seconds, opsPerSecond: (clients * OPS) / seconds, pushes: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), timeouts };
}

/** Write on one instance, see it on the other: the real client on both sides, with httpSync's defaults. */
async function writeToVisible(writerUrl: string, readerUrl: string, samples: number): Promise<number[]> {
  const token = signToken('visible-user', SECRET);
  const sessionId = 'visible-session';
  const writer = createScratchpad({ sessionId, sync: httpSync({ url: writerUrl, token }) });
  const reader = createScratchpad({ sessionId, sync: httpSync({ url: readerUrl, token }) });
  await Promise.all([writer.ready, reader.ready]);
  // Both connected: the stream's first event arrives on connect.
  for (let i = 0; i < 200 && !(writer.syncStatus.live && reader.syncStatus.live); i++) await new Promise((r) => setTimeout(r, 50));
  if (!reader.syncStatus.live) throw new Error('the reader never connected to the event stream');
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const text = `value ${i}`;
    const seen = new Promise<void>((resolve) => {
      const stop = reader.subscribe(() => {
        if (reader.read('live', 'counter') === text) {
          stop();
          resolve();
        }
      });
    });
    const t = performance.now();
    await writer.write('live', 'counter', text, { agent: 'bench' });
    await seen;
    times.push(performance.now() - t);
    if ((i + 1) % 25 === 0) console.log(`  … write-to-visible: ${i + 1} / ${samples}`);
    // A pause, so that each sample is a lone write (not a burst the debounce would merge).
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
  }
  writer.close();
  reader.close();
  return times.sort((a, b) => a - b);
}

let cluster: PostgresCluster | undefined;
const rows: string[] = [];
try {
  const load = loadavg().map((l) => l.toFixed(2)).join(', ');
  console.log(`scratchpad-store server benchmark: ${CLIENT_COUNTS.join(' and ')} concurrent clients × ${OPS} ops each in pushes of ${BATCH}, own session per client, loopback HTTP`);
  console.log(`node ${process.version}, ${availableParallelism()} cores, load average ${load} at start; servers in separate processes, load generator in this one\n`);
  const empties = new Map<number, number>();
  for (const clients of CLIENT_COUNTS) {
    for (const store of STORES) {
      let args: string[] = [];
      if (store === 'sqlite') args = ['--db', join(dir, `bench-${clients}.db`)];
      else if (store === 'postgres') {
        cluster ??= await startPostgres();
        args = ['--postgres', await cluster.createDatabase()];
      } else if (store !== 'empty') throw new Error(`unknown store ${store}`);
      const { child, url } = await startServer(args, store === 'empty');
      try {
        // Warm-up: JIT, prepared statements, connection pools.
        await run(url, Math.min(clients, 50), BATCH, `${store}-${clients}-warmup`);
        const r = await run(url, clients, BATCH, `${store}-${clients}`);
        if (store === 'empty') empties.set(clients, r.opsPerSecond);
        const ceiling = empties.get(clients);
        const ratio = ceiling && store !== 'empty' ? `${((r.opsPerSecond / ceiling) * 100).toFixed(0)}%` : '—';
        const row = `| ${store} | ${clients} | ${BATCH} | ${r.ops.toLocaleString('en-US')} | ${r.seconds.toFixed(2)} s | ${Math.round(r.opsPerSecond).toLocaleString('en-US')} | ${ratio} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.timeouts} |`;
        rows.push(row);
        console.log(row);
      } finally {
        await stopServer(child);
      }
    }
  }
  console.log('\n| server | clients | ops per push | ops | time | ops/s | of the empty handler | push p50 | push p99 | pushes over 15 s |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) console.log(row);

  if (VISIBLE > 0) {
    cluster ??= await startPostgres();
    const database = await cluster.createDatabase();
    const a = await startServer(['--postgres', database]);
    const b = await startServer(['--postgres', database]);
    try {
      console.log(`\nwrite-to-visible: writer on ${a.url}, reader on ${b.url}, one PostgreSQL; ${VISIBLE} lone writes`);
      const times = await writeToVisible(a.url, b.url, VISIBLE);
      console.log(`| write-to-visible, two instances on one PostgreSQL | p50 ${percentile(times, 50).toFixed(0)} ms | p99 ${percentile(times, 99).toFixed(0)} ms | max ${times.at(-1)!.toFixed(0)} ms |`);
    } finally {
      await stopServer(a.child);
      await stopServer(b.child);
    }
  }
  console.log(`\nload average at the end: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`);
} finally {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}
