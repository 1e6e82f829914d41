import { unpackEntry, type HistoryEntry, type PackedEntry, type SectionKey, type SectionRecord, type SectionRow, type SnapshotRecord } from 'scratchpad-store/protocol';

export interface SessionRow {
  readonly sessionId: string;
  /** The user that first wrote to the session: the only one that may reach it. */
  readonly userId: string;
  /** The seq the next history entry gets. */
  readonly nextSeq: number;
  /** Highest seq that retention has dropped. */
  readonly prunedSeq: number;
  /**
   * Bumped by each `deleteSessionData`: cursors and ops of an older epoch are answered SESSION_RESET, so that every
   * client learns of a delete, caught up or not. Stores written before epochs existed answer 0.
   */
  readonly epoch?: number;
  /** Characters of history (packed entries) and anchors the session holds, for the quota. Stores that do not count: 0. */
  readonly bytes?: number;
}

export interface ClientRow {
  readonly clientId: string;
  readonly userId: string;
  readonly sessionId: string;
  readonly lastMutationId: number;
}

export interface EntryMeta {
  readonly clientId: string;
  readonly mutationId: number;
  /** Server clock when the entry was made; retention goes by it, not by the client's timestamp. */
  readonly receivedAt: number;
}

export interface SeqEntry {
  readonly seq: number;
  readonly entry: HistoryEntry;
}

export interface PrunableSection {
  readonly pad: string;
  readonly section: string;
  readonly firstVersion: number;
  /** The newest version received before the cutoff. */
  readonly lastOldVersion: number;
}

/** History rows received before a retention cutoff, grouped by section: what every store's `prunable` answers. */
export function groupPrunable(rows: Iterable<{ readonly pad: string; readonly section: string; readonly version: number }>): PrunableSection[] {
  const groups = new Map<string, PrunableSection>();
  for (const r of rows) {
    const key = JSON.stringify([r.pad, r.section]);
    const g = groups.get(key);
    groups.set(key, {
      pad: r.pad,
      section: r.section,
      firstVersion: Math.min(g?.firstVersion ?? r.version, r.version),
      lastOldVersion: Math.max(g?.lastOldVersion ?? r.version, r.version),
    });
  }
  return [...groups.values()];
}

/**
 * The one session a write transaction changed, for stores whose unit of atomicity is a session (a Cosmos DB
 * partition, a state blob): every write transaction of apply.ts touches one session, and more is a bug.
 */
export function onlyChangedSession<T>(sessions: Map<string, T>, changed: (state: T) => boolean, store: string): [string, T] | undefined {
  const dirty = [...sessions.entries()].filter(([, state]) => changed(state));
  if (dirty.length > 1) throw new Error(`A ${store} transaction may change one session only.`);
  return dirty[0];
}

/** A section record's row as the server shows and keeps it, without a client's bookkeeping (`synced`, `chain`). */
export function sectionRow(record: SectionRecord): SectionRow {
  return {
    pad: record.pad,
    section: record.section,
    content: record.content,
    version: record.version,
    updatedAt: record.updatedAt,
    updatedBy: record.updatedBy,
    deleted: record.deleted,
  };
}

/**
 * What one database transaction can do. The SQLite and PostgreSQL stores implement it with the same schema
 * (src/server/sql/schema.ts); the push, pull and retention rules are written once against it (apply.ts).
 */
export interface StoreTx {
  /** With `lock`, the row is locked until the transaction ends: every writer of a session takes this lock first. */
  session(sessionId: string, lock: boolean): Promise<SessionRow | undefined>;
  insertSession(row: SessionRow, now: number): Promise<void>;
  /** `bytes`, when given, is the session's new byte count (stores that do not count may ignore it). */
  updateSession(sessionId: string, nextSeq: number, prunedSeq: number, bytes?: number): Promise<void>;
  client(clientId: string): Promise<ClientRow | undefined>;
  /**
   * Inserts the client or updates its last mutation id. False when the id is bound to another user or session (a
   * concurrent first push elsewhere won the race): nothing is written then.
   */
  putClient(row: ClientRow, now: number): Promise<boolean>;

  section(sessionId: string, pad: string, section: string): Promise<SectionRecord | undefined>;
  /** Every row of the session when `keys` is undefined. */
  sections(sessionId: string, keys: readonly SectionKey[] | undefined): Promise<SectionRecord[]>;
  putSection(sessionId: string, record: SectionRecord): Promise<void>;

  insertEntry(sessionId: string, seq: number, entry: HistoryEntry, meta: EntryMeta): Promise<void>;
  /** Upserts: a full snapshot replaces a prefix checkpoint of the same version. */
  putSnapshot(sessionId: string, snapshot: SnapshotRecord): Promise<void>;
  /** The version that this client's op produced, if it produced one and retention has not dropped it. */
  versionOfMutation(sessionId: string, clientId: string, mutationId: number): Promise<(SectionKey & { version: number }) | undefined>;

  anchorAtOrBefore(sessionId: string, pad: string, section: string, version: number): Promise<SnapshotRecord | undefined>;
  fullSnapshotAfter(sessionId: string, pad: string, section: string, version: number): Promise<SnapshotRecord | undefined>;
  /** Entries of one section with versions in [from, to], ascending. */
  entries(sessionId: string, pad: string, section: string, from: number, to: number): Promise<HistoryEntry[]>;

  /**
   * Up to `limit` entries with seq > `after`, ascending by seq. With `maxBytes`, a store that can should stop before
   * the entry whose packed patch would take the total past it (the first entry always comes), so that a page of large
   * entries is never read whole into memory; the rules cut the page again either way.
   */
  entriesAfter(sessionId: string, after: number, limit: number, maxBytes?: number): Promise<SeqEntry[]>;
  /** Whether the entry of this version is still there (optional; otherwise `entries` answers it). */
  hasEntry?(sessionId: string, pad: string, section: string, version: number): Promise<boolean>;
  /**
   * Up to `limit` section keys after `after` in (pad, section) order, for paged snapshots, which then read the rows
   * one at a time (optional: without it a snapshot reads every row and pages in memory).
   */
  sectionKeysAfter?(sessionId: string, after: SectionKey | undefined, limit: number): Promise<SectionKey[]>;
  /** The byte count of all of this user's sessions, for the per-user quota (optional: no per-user quota without it). */
  userBytes?(userId: string): Promise<number>;
  /** The lowest mutation id of this client among entries with seq > `after`. */
  minMutationAfter(sessionId: string, clientId: string, after: number): Promise<number | undefined>;

  /**
   * Deletes the session's sections, history and anchors (not the session row, not its clients), bumps its epoch and
   * sets its byte count to 0.
   */
  deleteSessionData(sessionId: string): Promise<void>;

  sessionsWithHistoryBefore(cutoff: number): Promise<string[]>;
  prunable(sessionId: string, cutoff: number): Promise<PrunableSection[]>;
  /**
   * Deletes entries and anchors below `version`; returns how many entries went, the highest seq among them, and (stores
   * that count) the characters they held.
   */
  dropHistory(sessionId: string, pad: string, section: string, version: number): Promise<{ dropped: number; maxSeq: number; bytes?: number }>;
}

/** Runs `body` in one transaction: committed when it resolves, rolled back when it throws. */
export type TransactionRunner = <T>(mode: 'read' | 'write', body: (tx: StoreTx) => Promise<T>) => Promise<T>;

/** A history row as every store keeps it: the packed entry as JSON beside its section. */
export interface EntryRow {
  pad: string;
  section: string;
  patch: string;
}

export function entryFromRow(sessionId: string, row: EntryRow): HistoryEntry {
  return unpackEntry(JSON.parse(row.patch) as PackedEntry, sessionId, row.pad, row.section);
}
