import type { SyncOp } from '../storage/types.js';
import type { DeleteSessionResponse, PullResponse, PushResponse, SessionEvent, SnapshotResponse } from '../core/protocol.js';

export type { SyncState, SyncStatus } from '../core/types.js';

export interface PushRequest {
  readonly sessionId: string;
  readonly clientId: string;
  /** Consecutive mutation ids of one client, ascending. */
  readonly ops: readonly SyncOp[];
}

export interface PullRequest {
  readonly sessionId: string;
  readonly clientId: string;
  /** From the previous pull; undefined for everything. */
  readonly cursor: string | undefined;
}

/**
 * A server backend: the transport only. `httpSync` speaks to the reference server; implement this to flush to
 * your own backend. Both calls may throw: a `SyncTransportError` with `retryable: false` stops retries (a refused
 * token, another user's session); anything else is retried with backoff.
 */
export interface SyncAdapter {
  push(request: PushRequest): Promise<PushResponse>;
  pull(request: PullRequest): Promise<PullResponse>;
  /** The server's current rows, for a client whose cursor is too old (the server dropped that history): 410 on pull. */
  snapshot?(request: Omit<PullRequest, 'cursor'>): Promise<SnapshotResponse>;
  /**
   * Removes the session on the server, for `deleteSession()`. The reference server answers the session's new epoch and
   * a cursor at its start, from which this client pulls on.
   */
  deleteSession?(sessionId: string): Promise<DeleteSessionResponse | void>;
  /**
   * Live pokes: calls `onEvent` whenever the server says the session changed (and `onState` as the stream connects or
   * drops), until the returned function is called. Optional: without it the client only polls.
   */
  subscribe?(sessionId: string, handlers: { onEvent(event: SessionEvent): void; onState(connected: boolean): void }): () => void;
  /** How often to pull other clients' changes while idle; 0 pulls only after pushes and on `flush()`. Default 10 s. */
  readonly pullIntervalMs?: number;
  /** Ops per push request. Default 500 (the reference server's limit). */
  readonly batchSize?: number;
  /** Upper bound of a push request's body; a batch is cut before it. Default 4 MiB (the server takes about 7). */
  readonly maxBatchBytes?: number;
}

/** A transport failure with what a retry policy needs to know. */
export class SyncTransportError extends Error {
  override readonly name = 'SyncTransportError';
  constructor(
    message: string,
    /** HTTP status, or 0 when the server could not be reached. */
    readonly status: number,
    readonly retryable: boolean,
    readonly code?: string,
    /** How long the server asked the client to wait (Retry-After on 429 and 503), in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
