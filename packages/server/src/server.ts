import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { createApp, StreamRegistry, type CorsOptions, type ScratchpadApp } from './app.js';
import type { Authenticator } from './auth.js';
import { resolveServerLimits } from './limits.js';
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
  /** Where server faults are reported. Default: console.error. */
  readonly log?: (message: string, error?: unknown) => void;
  /** How long `close()` waits for in-flight requests before cutting connections. Default 10 s. */
  readonly shutdownTimeoutMs?: number;
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

export function createServer(options: ServerOptions): ScratchpadServer {
  const limits = resolveServerLimits(options.limits);
  const log = options.log ?? ((message: string, error?: unknown) => console.error(`scratchpad-store: ${message}`, error ?? ''));
  let closing = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;
  const track = {
    begin: () => void inFlight++,
    end: () => {
      inFlight--;
      if (inFlight === 0) idle?.();
    },
  };
  const streams = new StreamRegistry();
  const app = createApp({ store: options.store, auth: options.auth, limits, cors: options.cors, closing: () => closing, log, streams });

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
        const socketsClosed = listening ? new Promise<void>((resolve) => listening.close(() => resolve())) : Promise.resolve();
        listening?.closeIdleConnections();
        // Event streams never finish on their own: end them, and their clients reconnect to another instance or poll.
        streams.endAll();
        const deadline = new Promise<void>((resolve) => setTimeout(resolve, options.shutdownTimeoutMs ?? 10_000).unref());
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
