import { SyncTransportError, type PullRequest, type PushRequest, type SyncAdapter } from 'scratchpad-store/sync';
import { HttpError } from '../errors.js';
import type { ServerLimits, ServerStore } from '../types.js';
import { parseLimit } from '../validate.js';

/**
 * A `SyncAdapter` that talks to the server's own store in process, as `userId`: the same push, pull and snapshot
 * rules, ownership checks and limits as the HTTP API, without a socket or a token. The store's refusals become
 * the `SyncTransportError`s that httpSync would raise for the same HTTP answers, so the sync engine retries and
 * gives up exactly as it does over HTTP.
 */
export function storeSync(store: ServerStore, userId: string, limits: ServerLimits, pullIntervalMs: number): SyncAdapter {
  const pageSize = parseLimit(undefined, limits);
  return {
    pullIntervalMs,
    batchSize: limits.maxOpsPerPush,
    push: ({ sessionId, clientId, ops }: PushRequest) => call(() => store.push({ userId, sessionId, clientId, ops })),
    pull: ({ sessionId, clientId, cursor }: PullRequest) => call(() => store.pull({ userId, sessionId, since: cursor, clientId, limit: pageSize })),
    snapshot: ({ sessionId, clientId }: Omit<PullRequest, 'cursor'>) => call(() => store.snapshot({ userId, sessionId, clientId })),
    deleteSession: async (sessionId: string) => {
      await call(() => store.deleteSession({ userId, sessionId }));
    },
  };
}

async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof HttpError) {
      // As httpSync decides: server trouble passes, a refusal stays a refusal until something changes.
      const status: number = error.status;
      throw new SyncTransportError(`The store answered ${status}: ${error.message}`, status, status >= 500 || status === 408 || status === 429, error.code);
    }
    // A database fault: the HTTP API would answer 500, which httpSync retries.
    throw new SyncTransportError(`The store failed: ${error instanceof Error ? error.message : String(error)}`, 500, true);
  }
}
