import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresStore } from '../src/sql/postgres.js';
import { sqliteStore } from '../src/sql/sqlite.js';
import { startPostgres, type PostgresCluster } from './helpers/postgres.js';
import { runStoreSuite, type StoreFactory } from './helpers/store-suite.js';

let dir = '';
let files = 0;
const sqlite: StoreFactory = {
  name: 'sqlite',
  async start() {
    dir = mkdtempSync(join(tmpdir(), 'scratchpad-sqlite-'));
  },
  async stop() {
    rmSync(dir, { recursive: true, force: true });
  },
  async fresh(limits) {
    const path = join(dir, `store-${++files}.db`);
    return { open: async () => sqliteStore({ path, ...(limits ? { limits } : {}) }) };
  },
};

let cluster: PostgresCluster | undefined;
const postgres: StoreFactory = {
  name: 'postgres',
  async start() {
    cluster = await startPostgres();
  },
  async stop() {
    await cluster?.stop();
  },
  async fresh(limits) {
    if (!cluster) throw new Error('PostgreSQL did not start.');
    const connectionString = await cluster.createDatabase();
    return { open: () => postgresStore({ connectionString, maxConnections: 4, ...(limits ? { limits } : {}) }) };
  },
};

runStoreSuite([sqlite, postgres]);
