export { httpSync, type HttpSyncOptions } from './http.js';
export { SyncTransportError, type SyncAdapter, type SyncStatus, type SyncState, type PushRequest, type PullRequest } from './types.js';
export type { PushResponse, PullResponse, SnapshotResponse, ServerSection, OpOutcome, ErrorResponse } from '../core/protocol.js';
export { PROTOCOL_VERSION } from '../core/protocol.js';
export type { SyncOp } from '../storage/types.js';
