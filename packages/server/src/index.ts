/**
 * `@scratchpad-store/server`: the reference sync server (docs/server.md). Hono on Node. The stores live in subpaths of
 * their own, so that importing this root loads no database driver:
 *
 *   import { createServer, hmacAuth } from '@scratchpad-store/server';
 *   import { sqliteStore } from '@scratchpad-store/server/sqlite';      // or /postgres, /azure-cosmos, /azure-blob
 *
 *   const server = createServer({ store: sqliteStore({ path: './scratchpad.db' }), auth: hmacAuth(secret) });
 *   await server.listen(8787);
 *
 * To write a store of your own, implement `StoreTx` and a `TransactionRunner` and hand them to `createTxStore`: the
 * push/pull/snapshot rules are the same for every store.
 */
export { createServer, type ScratchpadServer, type ServerOptions, type ListenInfo, type RetentionOptions } from './server.js';
export type { ServerMcpOptions } from './mcp/route.js';
export { createApp, StreamRegistry, type CorsOptions, type ScratchpadApp, type AppOptions } from './app.js';
export { tokenFileAuth, tokenMapAuth, hmacAuth, signToken, anyAuth, DEFAULT_TOKEN_LIFETIME_MS, type Authenticator, type HmacAuthOptions, type SignTokenOptions } from './auth.js';
export { createRateLimiter, type RateLimitOptions, type RateLimiter } from './rate-limit.js';
export { HttpError, type HttpStatus } from './errors.js';
export { resolveServerLimits } from './limits.js';
export type { ServerStore, ServerLimits, PushInput, PullInput, SnapshotInput, PruneOptions, PruneReport, DeleteSessionInput, HeadInput, SessionHead, SessionChange, ChangeFeed } from './types.js';
export { createSqlStore as createTxStore, type SqlStoreOptions as TxStoreOptions } from './rules/apply.js';
export type { StoreTx, TransactionRunner, SessionRow, ClientRow, EntryMeta, SeqEntry, PrunableSection } from './rules/tx.js';
