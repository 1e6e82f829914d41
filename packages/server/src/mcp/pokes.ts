import type { DeleteSessionInput, PushInput, ServerStore } from '../types.js';

/**
 * "Session X changed": what the MCP sessions of X wait for to pull at once rather than at their next poll, so that
 * resource notifications follow a write within a round trip, whoever made it (an httpSync browser, another MCP
 * session, a CLI).
 */
export interface SessionPokes {
  /** The store to serve with: the same store, reporting the changes committed through it. */
  readonly store: ServerStore;
  /** `listener` runs when `userId`'s session `sessionId` changed (or, from a feed that does not say whose, any user's). */
  subscribe(userId: string, sessionId: string, listener: () => void): () => void;
  close(): void;
}

type Feed = { subscribe(listener: (change: { sessionId: string; userId?: string }) => void): () => void };

export function sessionPokes(store: ServerStore): SessionPokes {
  // By session id, then user: sessions are keyed by user and id, so alice's "default" is not bob's.
  type Listener = { readonly userId: string; readonly run: () => void };
  const listeners = new Map<string, Set<Listener>>();
  const emit = (sessionId: string, userId?: string): void => {
    for (const listener of [...(listeners.get(sessionId) ?? [])]) if (userId === undefined || listener.userId === userId) listener.run();
  };
  const subscribe = (userId: string, sessionId: string, run: () => void): (() => void) => {
    let set = listeners.get(sessionId);
    if (!set) listeners.set(sessionId, (set = new Set()));
    const listener = { userId, run };
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && listeners.get(sessionId) === set) listeners.delete(sessionId);
    };
  };

  // A store that reports committed changes itself (a `changes` feed, which says whose session; on PostgreSQL it carries
  // every instance's commits, through LISTEN/NOTIFY) is followed as it is. Otherwise this instance's own commits are seen by wrapping the store: changes
  // made through other instances then arrive with the MCP sessions' periodic pull.
  const feed = (store as { changes?: Partial<Feed> }).changes;
  if (feed !== undefined && typeof feed.subscribe === 'function') {
    const stop = (feed as Feed).subscribe((change) => emit(change.sessionId, change.userId));
    return { store, subscribe, close: stop };
  }

  // A Proxy rather than a copy: a store may be a class instance, and methods added to ServerStore later pass through.
  const reporting = new Proxy(store, {
    get(target, key) {
      if (key === 'push') {
        return async (input: PushInput) => {
          const response = await target.push(input);
          if (response.results.some((r) => r.status === 'applied')) emit(input.sessionId, input.userId);
          return response;
        };
      }
      if (key === 'deleteSession') {
        return async (input: DeleteSessionInput) => {
          const response = await target.deleteSession(input);
          emit(input.sessionId, input.userId);
          return response;
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: reporting, subscribe, close: () => listeners.clear() };
}
