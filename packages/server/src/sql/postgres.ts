import pg from 'pg';
import { resolveServerLimits } from '../limits.js';
import type { ServerLimits, ServerStore } from '../types.js';
import { createSqlStore, localChangeFeed } from '../rules/apply.js';
import { randomUUID } from 'node:crypto';
import type { SessionChange } from '../types.js';
import {
  SCHEMA_VERSION,
  migrationStatements,
  entryFromRow,
  schemaStatements,
  upgradeStatements,
  lastWithin,
  sectionFromRow,
  sectionParams, entryParams, snapshotParams,
  snapshotFromRow,
  type EntryRow,
  type SectionRow,
  type SnapshotRow,
} from './schema.js';
import type { ClientRow, PrunableSection, SessionRow, StoreTx, TransactionRunner } from '../rules/tx.js';

/**
 * A `pg.Pool` (or a pg-compatible pool). Declared by the methods the store calls so that this module's types do not
 * need `@types/pg`: `pg` is an optional peer of this package.
 */
export interface PgPoolLike {
  connect(): Promise<{ release(error?: boolean | Error): void }>;
  end(): Promise<void>;
}

export interface PostgresStoreOptions {
  /** A connection string (`postgres://user:pass@host:5432/db`), or an existing pool, which `close()` then leaves open. */
  readonly connectionString?: string;
  readonly pool?: PgPoolLike;
  /** Connections of this instance's pool. Default 10. */
  readonly maxConnections?: number;
  readonly limits?: Partial<ServerLimits>;
}

// int8 (BIGINT, COUNT) as a number: every BIGINT here (times in ms, seqs, mutation ids) stays below 2^53.
const INT8_OID = 20;
const getTypeParser = ((oid: number, format?: 'text' | 'binary') =>
  oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser;

/** Transactions retried from the start: serialization failures, deadlocks, and a race to create a session or client. */
const RETRYABLE = new Set(['40001', '40P01', '23505']);
const MAX_ATTEMPTS = 8;

/**
 * PostgreSQL, for several server instances on one database. Every writer of a session first locks the session's row
 * (SELECT … FOR UPDATE), so versions and seqs are handed out one transaction at a time across instances; reads run
 * in REPEATABLE READ so that a pull's entries, section rows and lastMutationId agree.
 */
export async function postgresStore(options: PostgresStoreOptions): Promise<ServerStore> {
  const limits = resolveServerLimits(options.limits);
  if (!options.pool && !options.connectionString) throw new Error('postgresStore needs a connectionString or a pool.');
  const ownPool = !options.pool;
  const pool =
    (options.pool as pg.Pool | undefined) ?? new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10 });
  // An idle connection that the server drops must not crash the process: the next query gets a new one.
  pool.on('error', () => undefined);
  await migrate(pool).catch(async (error: unknown) => {
    if (ownPool) await pool.end().catch(() => undefined);
    throw error;
  });

  let closed = false;
  let running = 0;
  let drained: (() => void) | undefined;

  const run: TransactionRunner = async (mode, body) => {
    if (closed) throw new Error('The PostgreSQL store is closed.');
    running++;
    try {
      for (let attempt = 1; ; attempt++) {
        const client = await pool.connect();
        let broken: Error | undefined;
        try {
          await client.query(mode === 'read' ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
          const result = await body(pgTx(client));
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch((rollbackError: unknown) => {
            broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
          });
          const code = (error as { code?: unknown }).code;
          if (typeof code === 'string' && RETRYABLE.has(code) && attempt < MAX_ATTEMPTS) {
            await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
            continue;
          }
          throw error;
        } finally {
          client.release(broken);
        }
      }
    } finally {
      running--;
      if (running === 0) drained?.();
    }
  };

  // Pokes cross instances through LISTEN/NOTIFY: every instance hears every commit of every other one, and its own
  // directly (its own notifications, echoed back, are skipped by instance id).
  const feed = localChangeFeed();
  const instance = randomUUID();
  const listener = listenForChanges(pool, instance, feed.publish, () => closed);

  return createSqlStore('postgres', run, limits, {
    async health() {
      await pool.query('SELECT 1');
    },
    async close() {
      if (closed) return;
      closed = true;
      await listener.close();
      if (running > 0) await new Promise<void>((resolve) => (drained = resolve));
      if (ownPool) await pool.end();
    },
    publish(change) {
      feed.publish(change);
      if (closed) return;
      // After the commit and outside it: a lost notification costs a poke, never data (clients still poll).
      pool.query(`SELECT pg_notify('${CHANGES_CHANNEL}', $1)`, [JSON.stringify({ i: instance, ...change })]).catch(() => undefined);
    },
    changes: feed,
  });
}

const CHANGES_CHANNEL = 'scratchpad_changes';

/** One pooled connection LISTENs for other instances' commits; it reconnects after a failure. */
function listenForChanges(pool: pg.Pool, instance: string, publish: (change: SessionChange) => void, closed: () => boolean): { close(): Promise<void> } {
  let client: pg.PoolClient | undefined;
  let retry: NodeJS.Timeout | undefined;
  let stopped = false;
  const onNotification = (message: pg.Notification) => {
    try {
      const value = JSON.parse(message.payload ?? '') as Partial<SessionChange> & { i?: string };
      if (value.i === instance || typeof value.userId !== 'string' || typeof value.sessionId !== 'string' || typeof value.epoch !== 'number' || typeof value.cursor !== 'string') return;
      publish({ userId: value.userId, sessionId: value.sessionId, epoch: value.epoch, cursor: value.cursor });
    } catch {
      // Not ours: ignore.
    }
  };
  const connect = async () => {
    if (stopped || closed()) return;
    try {
      const c = await pool.connect();
      c.on('notification', onNotification);
      c.on('error', () => {
        c.release(true);
        if (client === c) client = undefined;
        retry = setTimeout(() => void connect(), 1_000).unref();
      });
      await c.query(`LISTEN ${CHANGES_CHANNEL}`);
      if (stopped) {
        c.release();
        return;
      }
      client = c;
    } catch {
      retry = setTimeout(() => void connect(), 1_000).unref();
    }
  };
  const started = connect();
  return {
    async close() {
      stopped = true;
      if (retry) clearTimeout(retry);
      await started;
      const c = client;
      client = undefined;
      if (c) {
        await c.query(`UNLISTEN ${CHANGES_CHANNEL}`).catch(() => undefined);
        c.release();
      }
    },
  };
}

async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Instances starting together would race on CREATE TABLE IF NOT EXISTS (it is not atomic in PostgreSQL).
    await client.query(`SELECT pg_advisory_xact_lock(7325100815)`);
    for (const statement of schemaStatements('postgres')) await client.query(statement);
    const columns = async (table: string) =>
      new Set(
        (
          await client.query<{ column_name: string }>(
            `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`,
            [table],
          )
        ).rows.map((c) => c.column_name),
      );
    for (const statement of upgradeStatements('postgres', await columns('sp_sessions'), await columns('sp_history'))) await client.query(statement);
    const { rows } = await client.query<{ value: string }>(`SELECT value FROM sp_meta WHERE key = 'schema_version'`);
    if (rows.length === 0) await client.query(`INSERT INTO sp_meta (key, value) VALUES ('schema_version', $1)`, [String(SCHEMA_VERSION)]);
    else if (Number(rows[0]!.value) > SCHEMA_VERSION) {
      throw new Error(`The database has schema version ${rows[0]!.value}; this server knows up to ${SCHEMA_VERSION}. Upgrade scratchpad-store.`);
    } else if (Number(rows[0]!.value) < SCHEMA_VERSION) {
      // Under the advisory lock: one instance migrates, the others then find the new version.
      for (const statement of migrationStatements(Number(rows[0]!.value), 'postgres')) await client.query(statement);
      await client.query(`UPDATE sp_meta SET value = $1 WHERE key = 'schema_version'`, [String(SCHEMA_VERSION)]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Named queries: PostgreSQL parses and plans each once per connection. */
const Q = {
  session: `SELECT session_id, user_id, next_seq, pruned_seq, epoch, bytes FROM sp_sessions WHERE session_id = $1`,
  sessionLock: `SELECT session_id, user_id, next_seq, pruned_seq, epoch, bytes FROM sp_sessions WHERE session_id = $1 FOR UPDATE`,
  insertSession: `INSERT INTO sp_sessions (session_id, user_id, next_seq, pruned_seq, created_at) VALUES ($1, $2, $3, $4, $5)`,
  updateSession: `UPDATE sp_sessions SET next_seq = $1, pruned_seq = $2, bytes = COALESCE($4::bigint, bytes) WHERE session_id = $3`,
  resetSession: `UPDATE sp_sessions SET epoch = epoch + 1, bytes = 0 WHERE session_id = $1`,
  userBytes: `SELECT COALESCE(SUM(bytes), 0) AS n FROM sp_sessions WHERE user_id = $1`,
  entrySizes: `SELECT seq, chars AS n FROM sp_history WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
  entriesBetween: `SELECT seq, pad, section, patch FROM sp_history WHERE session_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq`,
  hasEntry: `SELECT 1 AS x FROM sp_history WHERE session_id = $1 AND pad = $2 AND section = $3 AND version = $4`,
  sectionKeysAfter: `SELECT pad, section FROM sp_sections
    WHERE session_id = $1 AND (pad > $2 OR (pad = $2 AND section > $3)) ORDER BY pad, section LIMIT $4`,
  client: `SELECT client_id, user_id, session_id, last_mutation_id FROM sp_clients WHERE client_id = $1`,
  putClient: `INSERT INTO sp_clients (client_id, user_id, session_id, last_mutation_id, updated_at) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (client_id) DO UPDATE SET last_mutation_id = excluded.last_mutation_id, updated_at = excluded.updated_at
    WHERE sp_clients.user_id = excluded.user_id AND sp_clients.session_id = excluded.session_id`,
  section: `SELECT * FROM sp_sections WHERE session_id = $1 AND pad = $2 AND section = $3`,
  allSections: `SELECT * FROM sp_sections WHERE session_id = $1 ORDER BY pad, section`,
  someSections: `SELECT * FROM sp_sections WHERE session_id = $1 AND (pad, section) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
  putSection: `INSERT INTO sp_sections (session_id, pad, section, version, content, updated_at, updated_by, deleted, anchor_version, chain_bytes, open_prefix)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
    ON CONFLICT (session_id, pad, section) DO UPDATE SET version = excluded.version, content = excluded.content,
      updated_at = excluded.updated_at, updated_by = excluded.updated_by, deleted = excluded.deleted,
      anchor_version = excluded.anchor_version, chain_bytes = excluded.chain_bytes, open_prefix = excluded.open_prefix`,
  insertEntry: `INSERT INTO sp_history (session_id, seq, pad, section, version, op, agent, timestamp, received_at, conflict, client_id, mutation_id, patch, chars)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
  putSnapshot: `INSERT INTO sp_snapshots (session_id, pad, section, version, content, prefix_length) VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (session_id, pad, section, version) DO UPDATE SET content = excluded.content, prefix_length = excluded.prefix_length`,
  versionOfMutation: `SELECT pad, section, version FROM sp_history WHERE session_id = $1 AND client_id = $2 AND mutation_id = $3`,
  anchorAtOrBefore: `SELECT version, content, prefix_length FROM sp_snapshots
    WHERE session_id = $1 AND pad = $2 AND section = $3 AND version <= $4 ORDER BY version DESC LIMIT 1`,
  fullSnapshotAfter: `SELECT version, content, prefix_length FROM sp_snapshots
    WHERE session_id = $1 AND pad = $2 AND section = $3 AND version > $4 AND content IS NOT NULL ORDER BY version LIMIT 1`,
  entries: `SELECT pad, section, patch FROM sp_history WHERE session_id = $1 AND pad = $2 AND section = $3 AND version BETWEEN $4 AND $5 ORDER BY version`,
  entriesAfter: `SELECT seq, pad, section, patch FROM sp_history WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
  minMutationAfter: `SELECT MIN(mutation_id) AS m FROM sp_history WHERE session_id = $1 AND client_id = $2 AND seq > $3`,
  deleteSections: `DELETE FROM sp_sections WHERE session_id = $1`,
  deleteHistory: `DELETE FROM sp_history WHERE session_id = $1`,
  deleteSnapshots: `DELETE FROM sp_snapshots WHERE session_id = $1`,
  sessionsWithHistoryBefore: `SELECT DISTINCT session_id FROM sp_history WHERE received_at < $1`,
  prunable: `SELECT pad, section, MIN(version) AS first_version, MAX(version) AS last_old FROM sp_history
    WHERE session_id = $1 AND received_at < $2 GROUP BY pad, section`,
  droppable: `SELECT COUNT(*) AS n, MAX(seq) AS max_seq, COALESCE(SUM(chars), 0) AS chars FROM sp_history WHERE session_id = $1 AND pad = $2 AND section = $3 AND version < $4`,
  dropEntries: `DELETE FROM sp_history WHERE session_id = $1 AND pad = $2 AND section = $3 AND version < $4`,
  dropSnapshots: `DELETE FROM sp_snapshots WHERE session_id = $1 AND pad = $2 AND section = $3 AND version < $4`,
} as const;

type Param = string | number | null | readonly string[];

function pgTx(client: pg.PoolClient): StoreTx {
  const query = async <R extends pg.QueryResultRow>(name: keyof typeof Q, values: readonly Param[]) =>
    // Parsers per query, not per pool: a pool passed in by the caller keeps its own settings for its own queries.
    client.query<R>({ name: `sp_${name}`, text: Q[name], values: values as unknown[], types: { getTypeParser } });
  const rows = async <R extends pg.QueryResultRow>(name: keyof typeof Q, values: readonly Param[]) => (await query<R>(name, values)).rows;
  const one = async <R extends pg.QueryResultRow>(name: keyof typeof Q, values: readonly Param[]) => (await query<R>(name, values)).rows[0];

  return {
    async session(sessionId, lock): Promise<SessionRow | undefined> {
      const row = await one<{ session_id: string; user_id: string; next_seq: number; pruned_seq: number; epoch: number; bytes: number }>(
        lock ? 'sessionLock' : 'session',
        [sessionId],
      );
      return row && { sessionId: row.session_id, userId: row.user_id, nextSeq: row.next_seq, prunedSeq: row.pruned_seq, epoch: row.epoch, bytes: row.bytes };
    },
    async userBytes(userId) {
      return (await one<{ n: number }>('userBytes', [userId]))?.n ?? 0;
    },
    async hasEntry(sessionId, pad, section, version) {
      return (await one<{ x: number }>('hasEntry', [sessionId, pad, section, version])) !== undefined;
    },
    async sectionKeysAfter(sessionId, after, limit) {
      return rows<{ pad: string; section: string }>('sectionKeysAfter', [sessionId, after?.pad ?? '', after?.section ?? '', limit]);
    },
    async insertSession(row, now) {
      await query('insertSession', [row.sessionId, row.userId, row.nextSeq, row.prunedSeq, now]);
    },
    async updateSession(sessionId, nextSeq, prunedSeq, bytes) {
      await query('updateSession', [nextSeq, prunedSeq, sessionId, bytes ?? null]);
    },
    async client(clientId): Promise<ClientRow | undefined> {
      const row = await one<{ client_id: string; user_id: string; session_id: string; last_mutation_id: number }>('client', [clientId]);
      return row && { clientId: row.client_id, userId: row.user_id, sessionId: row.session_id, lastMutationId: row.last_mutation_id };
    },
    async putClient(row, now) {
      const result = await query('putClient', [row.clientId, row.userId, row.sessionId, row.lastMutationId, now]);
      return result.rowCount === 1;
    },
    async section(sessionId, pad, section) {
      const row = await one<SectionRow>('section', [sessionId, pad, section]);
      return row && sectionFromRow(row);
    },
    async sections(sessionId, keys) {
      const found =
        keys === undefined
          ? await rows<SectionRow>('allSections', [sessionId])
          : await rows<SectionRow>('someSections', [sessionId, keys.map((k) => k.pad), keys.map((k) => k.section)]);
      return found.map(sectionFromRow);
    },
    async putSection(sessionId, record) {
      await query('putSection', sectionParams(sessionId, record));
    },
    async insertEntry(sessionId, seq, entry, meta) {
      await query('insertEntry', entryParams(sessionId, seq, entry, meta));
    },
    async putSnapshot(sessionId, snapshot) {
      await query('putSnapshot', snapshotParams(sessionId, snapshot));
    },
    async versionOfMutation(sessionId, clientId, mutationId) {
      return one<{ pad: string; section: string; version: number }>('versionOfMutation', [sessionId, clientId, mutationId]);
    },
    async anchorAtOrBefore(sessionId, pad, section, version) {
      const row = await one<SnapshotRow>('anchorAtOrBefore', [sessionId, pad, section, version]);
      return row && snapshotFromRow(pad, section, row);
    },
    async fullSnapshotAfter(sessionId, pad, section, version) {
      const row = await one<SnapshotRow>('fullSnapshotAfter', [sessionId, pad, section, version]);
      return row && snapshotFromRow(pad, section, row);
    },
    async entries(sessionId, pad, section, from, to) {
      if (to < from) return [];
      return (await rows<EntryRow>('entries', [sessionId, pad, section, from, to])).map((row) => entryFromRow(sessionId, row));
    },
    async entriesAfter(sessionId, after, limit, maxBytes) {
      if (maxBytes === undefined) {
        const found = await rows<EntryRow & { seq: number }>('entriesAfter', [sessionId, after, limit]);
        return found.map((row) => ({ seq: row.seq, entry: entryFromRow(sessionId, row) }));
      }
      // Sizes first, then only the patches that fit: a page of large patches is never fetched whole.
      const upTo = lastWithin(await rows<{ seq: number; n: number }>('entrySizes', [sessionId, after, limit]), maxBytes);
      if (upTo === undefined) return [];
      const found = await rows<EntryRow & { seq: number }>('entriesBetween', [sessionId, after, upTo]);
      return found.map((row) => ({ seq: row.seq, entry: entryFromRow(sessionId, row) }));
    },
    async minMutationAfter(sessionId, clientId, after) {
      const row = await one<{ m: number | null }>('minMutationAfter', [sessionId, clientId, after]);
      return row?.m ?? undefined;
    },
    async deleteSessionData(sessionId) {
      await query('deleteSections', [sessionId]);
      await query('deleteHistory', [sessionId]);
      await query('deleteSnapshots', [sessionId]);
      await query('resetSession', [sessionId]);
    },
    async sessionsWithHistoryBefore(cutoff) {
      return (await rows<{ session_id: string }>('sessionsWithHistoryBefore', [cutoff])).map((r) => r.session_id);
    },
    async prunable(sessionId, cutoff): Promise<PrunableSection[]> {
      const found = await rows<{ pad: string; section: string; first_version: number; last_old: number }>('prunable', [sessionId, cutoff]);
      return found.map((r) => ({ pad: r.pad, section: r.section, firstVersion: r.first_version, lastOldVersion: r.last_old }));
    },
    async dropHistory(sessionId, pad, section, version) {
      const row = await one<{ n: number; max_seq: number | null; chars: number }>('droppable', [sessionId, pad, section, version]);
      await query('dropEntries', [sessionId, pad, section, version]);
      await query('dropSnapshots', [sessionId, pad, section, version]);
      return { dropped: row?.n ?? 0, maxSeq: row?.max_seq ?? 0, bytes: row?.chars ?? 0 };
    },
  };
}
