import type { HistoryEntry } from '../core/types.js';
import type { SyncOp } from '../storage/types.js';

export type SyncState = 'idle' | 'pushing' | 'offline' | 'error';

export interface SyncStatus {
  readonly state: SyncState;
  /** Local changes not yet acknowledged by the server. */
  readonly pending: number;
  readonly lastError?: string;
}

export interface PushResult {
  /** Highest mutation id the server has applied for this client. */
  readonly lastMutationId: number;
  /** Server entries created by the push, in server order. */
  readonly entries?: readonly HistoryEntry[];
}

export interface PullResult {
  readonly cursor: string;
  readonly entries: readonly HistoryEntry[];
}

/** A server backend. `httpSync` is one; write your own for another backend. */
export interface SyncAdapter {
  push(sessionId: string, clientId: string, ops: readonly SyncOp[]): Promise<PushResult>;
  pull(sessionId: string, cursor: string | undefined): Promise<PullResult>;
}
