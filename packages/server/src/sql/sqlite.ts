import { statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { closeSync, fdatasync, openSync } from 'node:fs';
import { resolveServerLimits } from '../limits.js';
import type { ServerLimits, ServerStore } from '../types.js';
import { createSqlStore } from '../rules/apply.js';
import {
  SCHEMA_VERSION,
  entryFromRow,
  migrationStatements,
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

export interface SqliteStoreOptions {
  /** A file path, or ':memory:' for a throwaway database. */
  readonly path: string;
  readonly limits?: Partial<ServerLimits>;
  /**
   * 'full' (default): an acknowledged push survives a power loss. 'normal': it survives a crash of the process but
   * the last transactions may be lost with the machine; faster where fsync is slow.
   */
  readonly synchronous?: 'full' | 'normal';
  /**
   * /healthz reports the store unhealthy (503) when the file system holding the database has less free space than
   * this, so that a load balancer stops sending writes that would fail. Default 8 MiB: room for one push at the
   * default body limit.
   */
  readonly minFreeBytes?: number;
}

/**
 * The embedded default: one SQLite file in WAL mode, for one server process. All transactions of the process go
 * through one connection, one at a time; they are short, and better-sqlite3 runs each statement synchronously.
 */
export function sqliteStore(options: SqliteStoreOptions): ServerStore {
  const limits = resolveServerLimits(options.limits);
  const db = new Database(options.path);
  db.pragma('journal_mode = WAL');
  // 'full' is kept off the event loop: SQLite commits with NORMAL (no fsync inside COMMIT, which would block every
  // request for the length of the fsync), then the WAL file is fdatasync'ed on libuv's thread pool before the
  // transaction's caller hears of it. Commits that land while one fsync runs share the next one (group commit).
  // An in-memory database has nothing to sync.
  const offLoopSync = options.synchronous !== 'normal' && options.path !== ':memory:' && options.path !== '';
  db.pragma(`synchronous = NORMAL`);
  // Another process on the same file (a backup, a second server by mistake) waits instead of failing at once.
  db.pragma('busy_timeout = 5000');
  migrate(db);

  const s = prepareStatements(db);
  const health = db.prepare(`SELECT value FROM sp_meta WHERE key = 'schema_version'`);
  const memory = options.path === ':memory:' || options.path === '';
  const folder = memory ? undefined : dirname(resolve(options.path));
  const minFreeBytes = options.minFreeBytes ?? 8 * 1024 * 1024;
  const tx = sqliteTx(s);
  const wal = offLoopSync ? walSyncer(`${db.name}-wal`) : undefined;
  let queue: Promise<void> = Promise.resolve();
  let closed = false;

  const run: TransactionRunner = async (mode, body) => {
    if (closed) throw new Error('The SQLite store is closed.');
    const release = await acquire();
    let result: Awaited<ReturnType<typeof body>>;
    try {
      if (closed) throw new Error('The SQLite store is closed.');
      // IMMEDIATE takes the write lock at once, so a transaction never fails half-way on a lock upgrade.
      db.exec(mode === 'write' ? 'BEGIN IMMEDIATE' : 'BEGIN');
      try {
        result = await body(tx);
        db.exec('COMMIT');
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    } finally {
      release();
    }
    // Durable before acknowledged; the next transaction already runs meanwhile. A read waits too when a write it may
    // have seen is not yet on disk, so that nothing is shown that a power loss could take back.
    if (wal && (mode === 'write' || wal.pending())) await wal.sync();
    return result;
  };

  // The connection is shared, and a transaction's body awaits between statements: transactions must not interleave.
  function acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const previous = queue;
    queue = previous.then(() => held);
    return previous.then(() => release);
  }

  return createSqlStore('sqlite', run, limits, {
    async health() {
      // Not through the transaction queue: a health check must answer while writes queue up. One synchronous read
      // on the shared connection cannot interleave with another statement, and reading inside another
      // transaction's span changes nothing.
      if (closed) throw new Error('The SQLite store is closed.');
      health.get();
      if (folder !== undefined) {
        const { bavail, bsize } = statfsSync(folder);
        const free = Number(bavail) * Number(bsize);
        if (free < minFreeBytes) throw new Error(`The file system holding ${options.path} has ${free} bytes free, less than ${minFreeBytes}.`);
      }
    },
    async close() {
      if (closed) return;
      const release = await acquire();
      closed = true;
      try {
        await wal?.close();
        db.close();
      } finally {
        release();
      }
    },
  });
}

/**
 * fdatasync of the WAL file on libuv's thread pool, coalesced: a caller waits for a sync that started after its
 * commit, and every commit made while a sync runs is covered by the one after it.
 */
function walSyncer(path: string): { sync(): Promise<void>; pending(): boolean; close(): Promise<void> } {
  let fd: number | undefined;
  let running: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  let dirty = false;
  const once = () =>
    new Promise<void>((resolve, reject) => {
      dirty = false;
      // The WAL file exists once the first write committed; it stays (same inode) until the database is closed.
      fd ??= openSync(path, 'r+');
      fdatasync(fd, (error) => (error ? reject(error) : resolve()));
    });
  const sync = (): Promise<void> => {
    dirty = true;
    if (!running) {
      running = once().finally(() => (running = undefined));
      return running;
    }
    // A sync is under way but may have started before this commit: wait for the one after it.
    next ??= running
      .catch(() => undefined)
      .then(() => {
        next = undefined;
        return sync();
      });
    return next;
  };
  return {
    sync,
    pending: () => dirty || running !== undefined,
    async close() {
      await running?.catch(() => undefined);
      await next?.catch(() => undefined);
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

function migrate(db: Database.Database): void {
  db.transaction(() => {
    for (const statement of schemaStatements('sqlite')) db.exec(statement);
    const columns = (table: string) => new Set((db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));
    for (const statement of upgradeStatements('sqlite', columns('sp_sessions'), columns('sp_history'))) db.exec(statement);
    const row = db.prepare(`SELECT value FROM sp_meta WHERE key = 'schema_version'`).get() as { value: string } | undefined;
    if (!row) db.prepare(`INSERT INTO sp_meta (key, value) VALUES ('schema_version', ?)`).run(String(SCHEMA_VERSION));
    else if (Number(row.value) > SCHEMA_VERSION) {
      throw new Error(`The database has schema version ${row.value}; this server knows up to ${SCHEMA_VERSION}. Upgrade scratchpad-store.`);
    } else if (Number(row.value) < SCHEMA_VERSION) {
      for (const statement of migrationStatements(Number(row.value), 'sqlite')) db.exec(statement);
      db.prepare(`UPDATE sp_meta SET value = ? WHERE key = 'schema_version'`).run(String(SCHEMA_VERSION));
    }
  }).immediate();
}

function prepareStatements(db: Database.Database) {
  return {
    session: db.prepare(`SELECT session_id, user_id, next_seq, pruned_seq, epoch, bytes FROM sp_sessions WHERE session_id = ?`),
    insertSession: db.prepare(`INSERT INTO sp_sessions (session_id, user_id, next_seq, pruned_seq, created_at) VALUES (?, ?, ?, ?, ?)`),
    updateSession: db.prepare(`UPDATE sp_sessions SET next_seq = ?, pruned_seq = ?, bytes = COALESCE(?, bytes) WHERE session_id = ?`),
    resetSession: db.prepare(`UPDATE sp_sessions SET epoch = epoch + 1, bytes = 0 WHERE session_id = ?`),
    userBytes: db.prepare(`SELECT COALESCE(SUM(bytes), 0) AS n FROM sp_sessions WHERE user_id = ?`),
    entrySizes: db.prepare(`SELECT seq, chars AS n FROM sp_history WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?`),
    entriesBetween: db.prepare(`SELECT seq, pad, section, patch FROM sp_history WHERE session_id = ? AND seq > ? AND seq <= ? ORDER BY seq`),
    hasEntry: db.prepare(`SELECT 1 AS x FROM sp_history WHERE session_id = ? AND pad = ? AND section = ? AND version = ?`),
    sectionKeysAfter: db.prepare(
      `SELECT pad, section FROM sp_sections WHERE session_id = ? AND (pad > ? OR (pad = ? AND section > ?)) ORDER BY pad, section LIMIT ?`,
    ),
    client: db.prepare(`SELECT client_id, user_id, session_id, last_mutation_id FROM sp_clients WHERE client_id = ?`),
    putClient: db.prepare(
      `INSERT INTO sp_clients (client_id, user_id, session_id, last_mutation_id, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (client_id) DO UPDATE SET last_mutation_id = excluded.last_mutation_id, updated_at = excluded.updated_at
       WHERE sp_clients.user_id = excluded.user_id AND sp_clients.session_id = excluded.session_id`,
    ),
    section: db.prepare(`SELECT * FROM sp_sections WHERE session_id = ? AND pad = ? AND section = ?`),
    allSections: db.prepare(`SELECT * FROM sp_sections WHERE session_id = ? ORDER BY pad, section`),
    putSection: db.prepare(
      `INSERT INTO sp_sections (session_id, pad, section, version, content, updated_at, updated_by, deleted, anchor_version, chain_bytes, open_prefix)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (session_id, pad, section) DO UPDATE SET version = excluded.version, content = excluded.content,
         updated_at = excluded.updated_at, updated_by = excluded.updated_by, deleted = excluded.deleted,
         anchor_version = excluded.anchor_version, chain_bytes = excluded.chain_bytes, open_prefix = excluded.open_prefix`,
    ),
    insertEntry: db.prepare(
      `INSERT INTO sp_history (session_id, seq, pad, section, version, op, agent, timestamp, received_at, conflict, client_id, mutation_id, patch, chars)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    putSnapshot: db.prepare(
      `INSERT INTO sp_snapshots (session_id, pad, section, version, content, prefix_length) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (session_id, pad, section, version) DO UPDATE SET content = excluded.content, prefix_length = excluded.prefix_length`,
    ),
    versionOfMutation: db.prepare(`SELECT pad, section, version FROM sp_history WHERE session_id = ? AND client_id = ? AND mutation_id = ?`),
    anchorAtOrBefore: db.prepare(
      `SELECT version, content, prefix_length FROM sp_snapshots WHERE session_id = ? AND pad = ? AND section = ? AND version <= ? ORDER BY version DESC LIMIT 1`,
    ),
    fullSnapshotAfter: db.prepare(
      `SELECT version, content, prefix_length FROM sp_snapshots WHERE session_id = ? AND pad = ? AND section = ? AND version > ? AND content IS NOT NULL ORDER BY version LIMIT 1`,
    ),
    entries: db.prepare(`SELECT pad, section, patch FROM sp_history WHERE session_id = ? AND pad = ? AND section = ? AND version BETWEEN ? AND ? ORDER BY version`),
    entriesAfter: db.prepare(`SELECT seq, pad, section, patch FROM sp_history WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?`),
    minMutationAfter: db.prepare(`SELECT MIN(mutation_id) AS m FROM sp_history WHERE session_id = ? AND client_id = ? AND seq > ?`),
    deleteSections: db.prepare(`DELETE FROM sp_sections WHERE session_id = ?`),
    deleteHistory: db.prepare(`DELETE FROM sp_history WHERE session_id = ?`),
    deleteSnapshots: db.prepare(`DELETE FROM sp_snapshots WHERE session_id = ?`),
    sessionsWithHistoryBefore: db.prepare(`SELECT DISTINCT session_id FROM sp_history WHERE received_at < ?`),
    prunable: db.prepare(
      `SELECT pad, section, MIN(version) AS first_version, MAX(version) AS last_old FROM sp_history WHERE session_id = ? AND received_at < ? GROUP BY pad, section`,
    ),
    droppable: db.prepare(`SELECT COUNT(*) AS n, MAX(seq) AS max_seq, COALESCE(SUM(chars), 0) AS chars FROM sp_history WHERE session_id = ? AND pad = ? AND section = ? AND version < ?`),
    dropEntries: db.prepare(`DELETE FROM sp_history WHERE session_id = ? AND pad = ? AND section = ? AND version < ?`),
    dropSnapshots: db.prepare(`DELETE FROM sp_snapshots WHERE session_id = ? AND pad = ? AND section = ? AND version < ?`),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

interface SessionDbRow {
  session_id: string;
  user_id: string;
  next_seq: number;
  pruned_seq: number;
  epoch: number;
  bytes: number;
}

interface ClientDbRow {
  client_id: string;
  user_id: string;
  session_id: string;
  last_mutation_id: number;
}

function sqliteTx(s: Statements): StoreTx {
  return {
    async session(sessionId): Promise<SessionRow | undefined> {
      // The lock is the write transaction itself: BEGIN IMMEDIATE already excludes every other writer.
      const row = s.session.get(sessionId) as SessionDbRow | undefined;
      return row && { sessionId: row.session_id, userId: row.user_id, nextSeq: row.next_seq, prunedSeq: row.pruned_seq, epoch: row.epoch, bytes: row.bytes };
    },
    async userBytes(userId) {
      return (s.userBytes.get(userId) as { n: number }).n;
    },
    async hasEntry(sessionId, pad, section, version) {
      return s.hasEntry.get(sessionId, pad, section, version) !== undefined;
    },
    async sectionKeysAfter(sessionId, after, limit) {
      const pad = after?.pad ?? '';
      return s.sectionKeysAfter.all(sessionId, pad, pad, after?.section ?? '', limit) as { pad: string; section: string }[];
    },
    async insertSession(row, now) {
      s.insertSession.run(row.sessionId, row.userId, row.nextSeq, row.prunedSeq, now);
    },
    async updateSession(sessionId, nextSeq, prunedSeq, bytes) {
      s.updateSession.run(nextSeq, prunedSeq, bytes ?? null, sessionId);
    },
    async client(clientId): Promise<ClientRow | undefined> {
      const row = s.client.get(clientId) as ClientDbRow | undefined;
      return row && { clientId: row.client_id, userId: row.user_id, sessionId: row.session_id, lastMutationId: row.last_mutation_id };
    },
    async putClient(row, now) {
      return s.putClient.run(row.clientId, row.userId, row.sessionId, row.lastMutationId, now).changes === 1;
    },
    async section(sessionId, pad, section) {
      const row = s.section.get(sessionId, pad, section) as SectionRow | undefined;
      return row && sectionFromRow(row);
    },
    async sections(sessionId, keys) {
      if (keys === undefined) return (s.allSections.all(sessionId) as SectionRow[]).map(sectionFromRow);
      return keys.flatMap((k) => {
        const row = s.section.get(sessionId, k.pad, k.section) as SectionRow | undefined;
        return row ? [sectionFromRow(row)] : [];
      });
    },
    async putSection(sessionId, record) {
      s.putSection.run(...sectionParams(sessionId, record));
    },
    async insertEntry(sessionId, seq, entry, meta) {
      s.insertEntry.run(...entryParams(sessionId, seq, entry, meta));
    },
    async putSnapshot(sessionId, snapshot) {
      s.putSnapshot.run(...snapshotParams(sessionId, snapshot));
    },
    async versionOfMutation(sessionId, clientId, mutationId) {
      return s.versionOfMutation.get(sessionId, clientId, mutationId) as { pad: string; section: string; version: number } | undefined;
    },
    async anchorAtOrBefore(sessionId, pad, section, version) {
      const row = s.anchorAtOrBefore.get(sessionId, pad, section, version) as SnapshotRow | undefined;
      return row && snapshotFromRow(pad, section, row);
    },
    async fullSnapshotAfter(sessionId, pad, section, version) {
      const row = s.fullSnapshotAfter.get(sessionId, pad, section, version) as SnapshotRow | undefined;
      return row && snapshotFromRow(pad, section, row);
    },
    async entries(sessionId, pad, section, from, to) {
      if (to < from) return [];
      return (s.entries.all(sessionId, pad, section, from, to) as EntryRow[]).map((row) => entryFromRow(sessionId, row));
    },
    async entriesAfter(sessionId, after, limit, maxBytes) {
      let found: (EntryRow & { seq: number })[];
      if (maxBytes === undefined) found = s.entriesAfter.all(sessionId, after, limit) as (EntryRow & { seq: number })[];
      else {
        // Sizes first, then only the patches that fit: a page of large patches is never read whole.
        const upTo = lastWithin(s.entrySizes.all(sessionId, after, limit) as { seq: number; n: number }[], maxBytes);
        found = upTo === undefined ? [] : (s.entriesBetween.all(sessionId, after, upTo) as (EntryRow & { seq: number })[]);
      }
      return found.map((row) => ({ seq: row.seq, entry: entryFromRow(sessionId, row) }));
    },
    async minMutationAfter(sessionId, clientId, after) {
      const row = s.minMutationAfter.get(sessionId, clientId, after) as { m: number | null };
      return row.m ?? undefined;
    },
    async deleteSessionData(sessionId) {
      s.deleteSections.run(sessionId);
      s.deleteHistory.run(sessionId);
      s.deleteSnapshots.run(sessionId);
      s.resetSession.run(sessionId);
    },
    async sessionsWithHistoryBefore(cutoff) {
      return (s.sessionsWithHistoryBefore.all(cutoff) as { session_id: string }[]).map((r) => r.session_id);
    },
    async prunable(sessionId, cutoff): Promise<PrunableSection[]> {
      const rows = s.prunable.all(sessionId, cutoff) as { pad: string; section: string; first_version: number; last_old: number }[];
      return rows.map((r) => ({ pad: r.pad, section: r.section, firstVersion: r.first_version, lastOldVersion: r.last_old }));
    },
    async dropHistory(sessionId, pad, section, version) {
      const row = s.droppable.get(sessionId, pad, section, version) as { n: number; max_seq: number | null; chars: number };
      s.dropEntries.run(sessionId, pad, section, version);
      s.dropSnapshots.run(sessionId, pad, section, version);
      return { dropped: row.n, maxSeq: row.max_seq ?? 0, bytes: row.chars };
    },
  };
}
