import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { createApp, StreamRegistry, type CorsOptions, type ScratchpadApp } from './app.js';
import type { Authenticator } from './auth.js';
import { resolveServerLimits } from './limits.js';
import { mountMcp, type ServerMcpOptions } from './mcp/route.js';
import { sessionPokes } from './mcp/pokes.js';
import { createRateLimiter, type RateLimitOptions } from './rate-limit.js';
import type { PruneReport, ServerLimits, ServerStore } from './types.js';

export interface RetentionOptions {
  /** History the server received more than this many ms ago is dropped; each section keeps its current version. */
  readonly maxAgeMs: number;
  /** How often retention runs. Default: hourly (and once shortly after start). */
  readonly intervalMs?: number;
}

export interface ServerOptions {
  readonly store: ServerStore;
  /** Maps bearer tokens to users: `tokenFileAuth`, `hmacAuth`, `anyAuth`, or your own function. */
  readonly auth: Authenticator;
  /** Should match the stores' limits (`sqliteStore({ limits })`): the HTTP layer checks sizes, the store checks names and content. */
  readonly limits?: Partial<ServerLimits>;
  /** Off unless given: browsers on other origins need it. */
  readonly cors?: CorsOptions;
  readonly retention?: RetentionOptions;
  /** A token bucket per user: over it, requests get 429 with Retry-After. Off unless given. */
  readonly rateLimit?: RateLimitOptions;
  /** Where server faults are reported. Default: console.error. */
  readonly log?: (message: string, error?: unknown) => void;
  /** How long `close()` waits for in-flight requests before cutting connections. Default 10 s. */
  readonly shutdownTimeoutMs?: number;
  /**
   * MCP over Streamable HTTP at `/mcp`, under the same auth (docs/mcp.md#remote-hosts-mcp-over-http): `true` or options. Needs the
   * optional peer `@scratchpad-store/mcp`, which is loaded only then.
   */
  readonly mcp?: boolean | ServerMcpOptions;
}

export interface ListenInfo {
  readonly port: number;
  readonly host: string;
  /** e.g. http://127.0.0.1:8787 */
  readonly url: string;
}

export interface ScratchpadServer {
  /** The Hono app, to mount in another Hono app or to call without a socket. */
  readonly app: ScratchpadApp;
  /** A fetch handler: Request in, Response out. */
  fetch(request: Request): Promise<Response>;
  /** Listens on `port` (0: any free port) and `host` (default 127.0.0.1). */
  listen(port?: number, host?: string): Promise<ListenInfo>;
  /** Stops taking requests, lets in-flight ones finish, stops retention, and closes the store. */
  close(): Promise<void>;
  /** Runs retention once now (when `retention` is configured). */
  prune(): Promise<PruneReport | undefined>;
  readonly store: ServerStore;
}

/** How long the listener stays open without requests before a shutdown closes it. */
const DRAIN_QUIET_MS = 300;

export function createServer(options: ServerOptions): ScratchpadServer {
  const limits = resolveServerLimits(options.limits);
  const log = options.log ?? ((message: string, error?: unknown) => console.error(`scratchpad-store: ${message}`, error ?? ''));
  let closing = false;
  let inFlight = 0;
  let lastRequestAt = 0;
  let idle: (() => void) | undefined;
  const track = {
    begin: () => {
      inFlight++;
      lastRequestAt = Date.now();
    },
    end: () => {
      inFlight--;
      if (inFlight === 0) idle?.();
    },
  };
  const rateLimiter = options.rateLimit ? createRateLimiter(options.rateLimit) : undefined;
  // With MCP, the app serves through a store that reports its commits, so that MCP sessions pull them at once.
  const pokes = options.mcp ? sessionPokes(options.store) : undefined;
  const streams = new StreamRegistry();
  const app = createApp({ store: pokes?.store ?? options.store, auth: options.auth, limits, cors: options.cors, closing: () => closing, log, streams, ...(rateLimiter ? { rateLimiter } : {}) });
  const mcp =
    pokes &&
    mountMcp(app, { store: pokes.store, pokes, auth: options.auth, limits, options: options.mcp === true ? {} : options.mcp || {}, log, ...(rateLimiter ? { rateLimiter } : {}) });

  let pruning: Promise<PruneReport | undefined> | undefined;
  const prune = (): Promise<PruneReport | undefined> => {
    const retention = options.retention;
    if (!retention || closing) return Promise.resolve(undefined);
    // One pass at a time: a slow pass is not stacked on by the next tick.
    pruning ??= options.store
      .prune({ maxAgeMs: retention.maxAgeMs })
      .catch((error: unknown) => {
        log('retention failed', error);
        return undefined;
      })
      .finally(() => (pruning = undefined));
    return pruning;
  };
  const timers: NodeJS.Timeout[] = [];
  if (options.retention) {
    timers.push(setTimeout(() => void prune(), 5_000).unref());
    timers.push(setInterval(() => void prune(), options.retention.intervalMs ?? 3_600_000).unref());
  }

  let server: Server | undefined;
  let closed: Promise<void> | undefined;

  return {
    app,
    store: options.store,
    fetch: async (request) => app.fetch(request),
    prune,

    listen(port = 0, host = '127.0.0.1') {
      if (server) return Promise.reject(new Error('The server is already listening.'));
      // No global Request/Response override: the server may run inside an app that uses them.
      const created = createAdaptorServer({ fetch: app.fetch, overrideGlobalObjects: false }) as Server;
      server = created;
      // Counted at the socket level: a request is done when its response has been written, not when the handler returns.
      created.on('request', (_request: IncomingMessage, response: ServerResponse) => {
        track.begin();
        response.once('close', track.end);
      });
      return new Promise<ListenInfo>((resolve, reject) => {
        // A port that is taken must not leave the server half-started: listen() may be tried again on another.
        const failed = (error: Error) => {
          server = undefined;
          reject(error);
        };
        created.once('error', failed);
        created.listen(port, host, () => {
          created.off('error', failed);
          const address = created.address() as AddressInfo;
          const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve({ port: address.port, host: address.address, url: `http://${shownHost}:${address.port}` });
        });
      });
    },

    close() {
      closed ??= (async () => {
        closing = true;
        for (const timer of timers) clearTimeout(timer);
        const listening = server;
        const timeoutMs = options.shutdownTimeoutMs ?? 10_000;
        const until = Date.now() + timeoutMs;
        // MCP sessions hold streams open (in flight until they end) and may still push: ended first, and flushed
        // while the store is open.
        await mcp?.close();
        // Event streams never finish on their own and count as in flight: end them before the drain, and their
        // clients reconnect to another instance or poll.
        streams.endAll();
        // Drain while still listening: requests already in flight finish, and requests that arrive meanwhile (on
        // kept-alive connections, or waiting in the accept backlog) get 503 with Retry-After and Connection: close
        // instead of a reset. The listener closes once nothing is in flight and no request has come for a moment.
        if (listening) {
          while (Date.now() < until && (inFlight > 0 || Date.now() - lastRequestAt < DRAIN_QUIET_MS)) {
            await new Promise((resolve) => setTimeout(resolve, 25));
          }
        }
        const socketsClosed = listening ? new Promise<void>((resolve) => listening.close(() => resolve())) : Promise.resolve();
        listening?.closeIdleConnections();
        const deadline = new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, until - Date.now())).unref());
        if (inFlight > 0) await Promise.race([new Promise<void>((resolve) => (idle = resolve)), deadline]);
        // Keep-alive connections that served their last request would otherwise hold `close` open.
        listening?.closeAllConnections();
        await socketsClosed;
        await pruning;
        await options.store.close();
      })();
      return closed;
    },
  };
}
