import { type HistoryEntry, packEntry, type SectionRecord, type SnapshotRecord } from 'scratchpad-store/protocol';
import { entryFromRow, type EntryMeta, type EntryRow } from '../rules/tx.js';

export { entryFromRow, type EntryRow };

/**
 * Bumped when the tables or what they hold change; a store refuses a database written by a newer schema.
 * 1: first version. 2: session_id holds the tenancy key of (user, session id) (rules/tenancy.ts), migrated at open.
 * 3: each session's epoch and byte count, each history entry's size (`upgradeStatements`, added in place at open).
 */
export const SCHEMA_VERSION = 3;

/**
 * What brings a database of schema `from` to SCHEMA_VERSION, run in the transaction that checks the version.
 * 1 → 2: every session's rows move from its session id to the key `<owner>\u001f<session id>`; a client's binding
 * moves with it (a client id is only ever bound to its session's owner). No old key contains U+001F, so no moved row
 * can collide with one not yet moved. 2 → 3: columns only, added by `upgradeStatements` whatever the version.
 */
export function migrationStatements(from: number, dialect: 'sqlite' | 'postgres'): string[] {
  if (from >= 2) return [];
  const sep = dialect === 'postgres' ? 'chr(31)' : 'char(31)';
  const owned = (table: string) =>
    `UPDATE ${table} SET session_id = (SELECT s.user_id || ${sep} || s.session_id FROM sp_sessions s WHERE s.session_id = ${table}.session_id)
     WHERE session_id IN (SELECT session_id FROM sp_sessions)`;
  return [
    owned('sp_sections'),
    owned('sp_history'),
    owned('sp_snapshots'),
    `UPDATE sp_clients SET session_id = user_id || ${sep} || session_id`,
    `UPDATE sp_sessions SET session_id = user_id || ${sep} || session_id`,
  ];
}

/**
 * One schema for SQLite and PostgreSQL. Only the integer type differs: BIGINT where values exceed 2^31 (times, seqs),
 * which SQLite's INTEGER already covers. Booleans are 0/1 integers in both, so rows convert the same way.
 *
 * - sp_sessions: owner, the per-session history sequence, the epoch (bumped by each delete) and the characters of
 *   history it holds (for the quota). Its row is the lock every writer of the session takes.
 * - sp_sections: current row of each section (tombstones included), with the checkpoint chain state.
 * - sp_history: one row per version, keyed by (session, seq); (session, pad, section, version) is unique. The patch is
 *   the packed entry (src/core/packed.ts). client_id and mutation_id say which op made it, for `baseMutationId`.
 * - sp_snapshots: anchors (full content, or a prefix length) for rebuilding old versions.
 * - sp_clients: each client id's owner, session and last processed mutation id.
 */
export function schemaStatements(dialect: 'sqlite' | 'postgres'): string[] {
  const big = dialect === 'postgres' ? 'BIGINT' : 'INTEGER';
  return [
    `CREATE TABLE IF NOT EXISTS sp_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS sp_sessions (
      session_id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL,
      next_seq ${big} NOT NULL,
      pruned_seq ${big} NOT NULL,
      created_at ${big} NOT NULL,
      epoch ${big} NOT NULL DEFAULT 0,
      bytes ${big} NOT NULL DEFAULT 0
    )`,
    `CREATE TABLE IF NOT EXISTS sp_sections (
      session_id TEXT NOT NULL,
      pad TEXT NOT NULL,
      section TEXT NOT NULL,
      version INTEGER NOT NULL,
      content TEXT NOT NULL,
      updated_at ${big} NOT NULL,
      updated_by TEXT NOT NULL,
      deleted INTEGER NOT NULL,
      anchor_version INTEGER NOT NULL,
      chain_bytes ${big} NOT NULL,
      open_prefix INTEGER NOT NULL,
      PRIMARY KEY (session_id, pad, section)
    )`,
    `CREATE TABLE IF NOT EXISTS sp_history (
      session_id TEXT NOT NULL,
      seq ${big} NOT NULL,
      pad TEXT NOT NULL,
      section TEXT NOT NULL,
      version INTEGER NOT NULL,
      op TEXT NOT NULL,
      agent TEXT NOT NULL,
      timestamp ${big} NOT NULL,
      received_at ${big} NOT NULL,
      conflict INTEGER NOT NULL,
      client_id TEXT NOT NULL,
      mutation_id ${big} NOT NULL,
      patch TEXT NOT NULL,
      chars ${big} NOT NULL DEFAULT 0,
      PRIMARY KEY (session_id, seq),
      UNIQUE (session_id, pad, section, version)
    )`,
    `CREATE INDEX IF NOT EXISTS sp_history_mutation ON sp_history (session_id, client_id, mutation_id)`,
    `CREATE INDEX IF NOT EXISTS sp_history_received ON sp_history (received_at)`,
    `CREATE TABLE IF NOT EXISTS sp_snapshots (
      session_id TEXT NOT NULL,
      pad TEXT NOT NULL,
      section TEXT NOT NULL,
      version INTEGER NOT NULL,
      content TEXT,
      prefix_length INTEGER,
      PRIMARY KEY (session_id, pad, section, version)
    )`,
    `CREATE TABLE IF NOT EXISTS sp_clients (
      client_id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL,
      session_id TEXT NOT NULL,
      last_mutation_id ${big} NOT NULL,
      updated_at ${big} NOT NULL
    )`,
  ];
}

export interface SectionRow {
  pad: string;
  section: string;
  version: number;
  content: string;
  updated_at: number;
  updated_by: string;
  deleted: number;
  anchor_version: number;
  chain_bytes: number;
  open_prefix: number;
}

export function sectionFromRow(row: SectionRow): SectionRecord {
  return {
    pad: row.pad,
    section: row.section,
    content: row.content,
    version: row.version,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
    deleted: row.deleted === 1,
    chain: { anchorVersion: row.anchor_version, bytesSinceAnchor: row.chain_bytes, openPrefix: row.open_prefix === 1 },
  };
}

/** Parameters in column order: session_id, pad, section, version, content, updated_at, updated_by, deleted, anchor_version, chain_bytes, open_prefix. */
export function sectionParams(sessionId: string, r: SectionRecord): (string | number)[] {
  return [
    sessionId,
    r.pad,
    r.section,
    r.version,
    r.content,
    r.updatedAt,
    r.updatedBy,
    r.deleted ? 1 : 0,
    r.chain.anchorVersion,
    r.chain.bytesSinceAnchor,
    r.chain.openPrefix ? 1 : 0,
  ];
}

/** Parameters of the `insertEntry` statement, in column order (both stores share the statement's shape). */
export function entryParams(sessionId: string, seq: number, entry: HistoryEntry, meta: EntryMeta): (string | number)[] {
  const patch = JSON.stringify(packEntry(entry));
  return [
    sessionId,
    seq,
    entry.pad,
    entry.section,
    entry.version,
    entry.op,
    entry.agent,
    entry.timestamp,
    meta.receivedAt,
    entry.conflict ? 1 : 0,
    meta.clientId,
    meta.mutationId,
    patch,
    // Kept beside the patch so that a pull sizes its page without reading the patches (length() would read them all).
    patch.length,
  ];
}

/** Parameters of the `putSnapshot` statement. */
export function snapshotParams(sessionId: string, snapshot: SnapshotRecord): (string | number | null)[] {
  return [sessionId, snapshot.pad, snapshot.section, snapshot.version, snapshot.content ?? null, snapshot.prefixLength ?? null];
}

export interface SnapshotRow {
  version: number;
  content: string | null;
  prefix_length: number | null;
}

export function snapshotFromRow(pad: string, section: string, row: SnapshotRow): SnapshotRecord {
  return row.content !== null
    ? { pad, section, version: row.version, content: row.content }
    : { pad, section, version: row.version, prefixLength: row.prefix_length ?? 0 };
}

/**
 * Schema 1 to 2: the epoch and byte count of each session, the size of each history entry. A session's bytes start at 0 for data written before
 * (the quota counts from the upgrade on). Idempotent: the columns are added only when missing.
 */
export function upgradeStatements(dialect: 'sqlite' | 'postgres', columns: ReadonlySet<string>, historyColumns: ReadonlySet<string>): string[] {
  const big = dialect === 'postgres' ? 'BIGINT' : 'INTEGER';
  const out: string[] = [];
  // Entries written before count 0 towards a page: their pages are cut by count only.
  if (!historyColumns.has('chars')) out.push(`ALTER TABLE sp_history ADD COLUMN chars ${big} NOT NULL DEFAULT 0`);
  if (!columns.has('epoch')) out.push(`ALTER TABLE sp_sessions ADD COLUMN epoch ${big} NOT NULL DEFAULT 0`);
  if (!columns.has('bytes')) out.push(`ALTER TABLE sp_sessions ADD COLUMN bytes ${big} NOT NULL DEFAULT 0`);
  // Sizing a page reads this index only: the sizes sit after the patch in the row, and reading them from the table
  // would walk every large patch's overflow pages.
  out.push(`CREATE INDEX IF NOT EXISTS sp_history_sizes ON sp_history (session_id, seq, chars)`);
  return out;
}

/** The seq of the last entry that keeps the running total of sizes within `maxBytes` (the first always counts). */
export function lastWithin(sizes: readonly { seq: number; n: number }[], maxBytes: number): number | undefined {
  let total = 0;
  let last: number | undefined;
  for (const { seq, n } of sizes) {
    total += n;
    if (last !== undefined && total > maxBytes) break;
    last = seq;
  }
  return last;
}
