/**
 * A throwaway PostgreSQL cluster for tests: `initdb` into a temp folder, `pg_ctl start` on a free loopback port,
 * removed by `stop()`. Nothing is skipped when PostgreSQL is missing or does not start: `startPostgres` throws, so
 * the tests that need it fail with the reason.
 *
 * PostgreSQL refuses to run as root. Where the tests run as root (CI), the server runs as an unprivileged user: the
 * `postgres` user when it exists (Debian's packages create it), otherwise `scratchpad-pg`, created with `useradd`.
 */
import { execFile as execFileCb, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';

const execFile = promisify(execFileCb);

export interface PostgresCluster {
  readonly port: number;
  /** Connection string of a database in this cluster. */
  url(database?: string): string;
  /** Creates a fresh, empty database and returns its connection string. */
  createDatabase(): Promise<string>;
  /** Stops the server (fast shutdown: no waiting for clients) and removes the folder. */
  stop(): Promise<void>;
}

function findBin(name: string): string {
  const candidates = [process.env.PG_BIN && join(process.env.PG_BIN, name), `/usr/local/bin/${name}`];
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(`/usr/lib/postgresql/${v}/bin/${name}`);
  }
  for (const c of candidates) if (c && existsSync(c)) return c;
  const which = spawnSync('which', [name], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  throw new Error(`PostgreSQL's ${name} was not found (looked in PG_BIN, /usr/local/bin, /usr/lib/postgresql/*/bin, PATH). Install PostgreSQL (apt-get install postgresql).`);
}

function uidOf(user: string): { uid: number; gid: number } | undefined {
  const result = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  if (result.status !== 0) return undefined;
  const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' });
  return { uid: Number(result.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** The user to run PostgreSQL as, and how: directly when we are not root, through runuser when we are. */
function runAs(): { user: string; ids: { uid: number; gid: number } } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const user of ['postgres', 'scratchpad-pg']) {
    const ids = uidOf(user);
    if (ids) return { user, ids };
  }
  const created = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'scratchpad-pg'], { encoding: 'utf8' });
  const ids = uidOf('scratchpad-pg');
  if (!ids) throw new Error(`Running as root, and no unprivileged user to run PostgreSQL as: useradd failed: ${created.stderr}`);
  return { user: 'scratchpad-pg', ids };
}

async function run(bin: string, args: string[], as: ReturnType<typeof runAs>): Promise<void> {
  const [cmd, argv] = as ? ['runuser', ['-u', as.user, '--', bin, ...args]] : [bin, args];
  try {
    await execFile(cmd, argv, { timeout: 60_000 });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${[cmd, ...argv].join(' ')} failed: ${e.stderr || e.stdout || e.message}`);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

let databases = 0;

export async function startPostgres(): Promise<PostgresCluster> {
  const initdb = findBin('initdb');
  const pgCtl = findBin('pg_ctl');
  const as = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'scratchpad-pg-'));
  const data = join(dir, 'data');
  if (as) {
    chownSync(dir, as.ids.uid, as.ids.gid);
    chmodSync(dir, 0o700);
  }
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    await run(initdb, ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C'], as);
    let lastError: unknown;
    // The port is free when we look, but another process may take it before the server binds: try a few.
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      const options = [`-p ${port}`, `-k ${dir}`, `-c listen_addresses=127.0.0.1`, '-c fsync=off', '-c max_connections=200', '-c shared_buffers=32MB'].join(' ');
      try {
        await run(pgCtl, ['-D', data, '-l', join(dir, 'log'), '-o', options, '-w', '-t', '60', 'start'], as);
      } catch (error) {
        lastError = error;
        continue;
      }
      const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
      return {
        port,
        url,
        async createDatabase() {
          const name = `t_${process.pid}_${++databases}`;
          const client = new pg.Client({ connectionString: url() });
          await client.connect();
          try {
            await client.query(`CREATE DATABASE ${name}`);
          } finally {
            await client.end();
          }
          return url(name);
        },
        async stop() {
          try {
            await run(pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop'], as);
          } finally {
            cleanup();
          }
        },
      };
    }
    throw lastError;
  } catch (error) {
    cleanup();
    throw error;
  }
}

/**
 * For a test file: a throwaway cluster and a temp folder, made before its tests and removed after them. Read
 * `fixture.dir` and `fixture.cluster` inside tests and hooks (they exist once `beforeAll` has run).
 */
export function postgresFixture(prefix: string): { readonly dir: string; readonly cluster: PostgresCluster } {
  let dir: string | undefined;
  let cluster: PostgresCluster | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    cluster = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);
  return {
    get dir() {
      if (!dir) throw new Error('postgresFixture: read dir inside a test or hook');
      return dir;
    },
    get cluster() {
      if (!cluster) throw new Error('postgresFixture: read cluster inside a test or hook');
      return cluster;
    },
  };
}
