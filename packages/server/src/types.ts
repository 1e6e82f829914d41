import type { DeleteSessionResponse, PullResponse, PushResponse, ScratchpadLimits, SnapshotResponse, SyncOp } from 'scratchpad-store/protocol';

/** Limits the server enforces. Every field has a default (see `resolveServerLimits`). */
export interface ServerLimits extends ScratchpadLimits {
  /** Bytes of one request body; larger bodies get 413. Default: room for one op at `maxSectionBytes` (6 × + 1 MiB). */
  readonly maxBodyBytes: number;
  /** Ops in one push; more get 413. Default 500. */
  readonly maxOpsPerPush: number;
  /** Entries in one pull page; `limit` above it is clamped. Default 1,000 (the default page is 500). */
  readonly maxPullLimit: number;
  /** Server history gets a full snapshot at most every this many versions, like the client's. Default 32. */
  readonly checkpointEvery: number;
  /**
   * Characters of one pull page (entries' patches, the rows of the sections they touch, bases) or one snapshot page,
   * beyond which the page is cut short (one entry or row always goes). Default 4 Mi.
   */
  readonly maxPageBytes: number;
  /** Characters of history and anchors one session may hold; an op beyond it is rejected QUOTA_EXCEEDED. Default 256 Mi. */
  readonly maxSessionBytes: number;
  /** The same over all sessions of one user (stores that can sum it: SQLite, PostgreSQL). Default 1 Gi. */
  readonly maxUserBytes: number;
}

export interface PushInput {
  /** The authenticated user. */
  readonly userId: string;
  readonly sessionId: string;
  readonly clientId: string;
  readonly ops: readonly SyncOp[];
  /** Server clock, for retention. Default Date.now(). */
  readonly now?: number;
}

export interface PullInput {
  readonly userId: string;
  readonly sessionId: string;
  /** The cursor of the previous pull; undefined or '' for the start. */
  readonly since: string | undefined;
  /** Reports this client's lastMutationId; it must belong to the same user and session. */
  readonly clientId: string | undefined;
  readonly limit: number;
}

export interface SnapshotInput {
  readonly userId: string;
  readonly sessionId: string;
  readonly clientId: string | undefined;
  /** The `next` of the previous page; undefined for the first. */
  readonly after?: string | undefined;
}

export interface HeadInput {
  readonly userId: string;
  readonly sessionId: string;
}

/** A session's epoch and newest cursor. */
export interface SessionHead {
  readonly epoch: number;
  readonly cursor: string;
}

/** A committed change of a session (a push that changed something, a delete), for the event stream. */
export interface SessionChange extends SessionHead {
  /** Whose session: sessions are keyed by user and session id (two users may each have a session `default`). */
  readonly userId: string;
  /** The client's session id. */
  readonly sessionId: string;
}

/**
 * Where a store reports committed changes. The SQL and Azure stores report this instance's own commits; the
 * PostgreSQL store also those of every other instance on the database (LISTEN/NOTIFY).
 */
export interface ChangeFeed {
  subscribe(listener: (change: SessionChange) => void): () => void;
}

export interface DeleteSessionInput {
  readonly userId: string;
  readonly sessionId: string;
}

export interface PruneOptions {
  /** History entries the server received more than this many ms ago are dropped (each section keeps its current version). */
  readonly maxAgeMs: number;
  /** Server clock. Default Date.now(). */
  readonly now?: number;
}

export interface PruneReport {
  readonly sessions: number;
  readonly sections: number;
  readonly entriesDropped: number;
}

/**
 * Where the sync server keeps sessions. Every method is one database transaction. Failures the client caused are
 * thrown as `HttpError` (403 another user's session or client id, 409 a gap in mutation ids, 410 an expired cursor);
 * anything else is a server fault.
 *
 * The reference stores (SQLite, PostgreSQL) share one schema and one implementation of the push rules
 * (src/server/sql/apply.ts); another backend can implement this interface directly and run the shared test suite
 * (test/helpers/store-suite.ts) to check that it behaves the same.
 */
export interface ServerStore {
  /** 'sqlite', 'postgres', 'azure-cosmos' or 'azure-blob', for logs. */
  readonly kind: string;
  push(input: PushInput): Promise<PushResponse>;
  pull(input: PullInput): Promise<PullResponse>;
  snapshot(input: SnapshotInput): Promise<SnapshotResponse>;
  /**
   * Removes the session's sections, history and anchors (for `sp.deleteSession()`). The session stays owned by its
   * user, and its clients keep their mutation ids, so that a client that goes on writing is not refused as a gap;
   * its epoch goes up, so pulls from cursors before the deletion get 410 SESSION_RESET and ops made before it are
   * rejected SESSION_RESET. `deleted` is false when there was no session.
   */
  deleteSession(input: DeleteSessionInput): Promise<DeleteSessionResponse>;
  /** The session's epoch and newest cursor, after the same access checks as a pull (for the event stream). */
  head(input: HeadInput): Promise<SessionHead>;
  /** Committed changes, for the event stream (optional: without it the server sends no pokes and clients poll). */
  readonly changes?: ChangeFeed;
  /** Retention by age. Later versions stay rebuildable: a full snapshot is written at each section's first kept version. */
  prune(options: PruneOptions): Promise<PruneReport>;
  /** Resolves when the database answers; for /healthz. */
  health(): Promise<void>;
  /** Waits for running transactions, then closes the database. Further calls reject. */
  close(): Promise<void>;
}
