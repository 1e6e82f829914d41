import type { ErrorResponse, SessionEvent } from 'scratchpad-store/protocol';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import type { Authenticator } from './auth.js';
import { HttpError } from './errors.js';
import type { RateLimiter } from './rate-limit.js';
import type { ServerLimits, ServerStore } from './types.js';
import { checkId, parseLimit, parsePush } from './validate.js';

export interface CorsOptions {
  /** Allowed origins: '*', one origin, or a list. */
  readonly origin: string | readonly string[];
  /** Seconds a browser may cache a preflight answer. Default 600. */
  readonly maxAge?: number;
}

export interface AppOptions {
  readonly store: ServerStore;
  readonly auth: Authenticator;
  readonly limits: ServerLimits;
  readonly cors: CorsOptions | undefined;
  /** True while the server shuts down: new requests get 503. */
  readonly closing: () => boolean;
  /** Per-user request budget; none when undefined. */
  readonly rateLimiter?: RateLimiter;
  readonly log: (message: string, error?: unknown) => void;
  /** Open event streams register here, so that a shutdown can end them instead of waiting for them. */
  readonly streams?: StreamRegistry;
}

/** The event streams a server holds open. */
export class StreamRegistry {
  private readonly open = new Set<() => void>();
  add(end: () => void): () => void {
    this.open.add(end);
    return () => this.open.delete(end);
  }
  /** Ends every open stream (their clients reconnect elsewhere, or poll). */
  endAll(): void {
    for (const end of [...this.open]) end();
  }
  get size(): number {
    return this.open.size;
  }
}

/** Comment lines on an idle event stream, so that proxies and load balancers do not time it out. */
const KEEP_ALIVE_MS = 25_000;

type Env = { Variables: { userId: string } };

export type ScratchpadApp = Hono<Env>;

/** The HTTP API of src/sync/protocol.ts. Every error is JSON `{ error: { code, message } }`. */
export function createApp(options: AppOptions): ScratchpadApp {
  const { store, limits } = options;
  const app = new Hono<Env>();

  app.onError((error, c) => {
    if (error instanceof HttpError) {
      // A 500 the store raised on purpose (e.g. data it cannot read) is still a fault the operator must see.
      if (error.status === 500) options.log(`${c.req.method} ${c.req.path} failed`, error);
      if (error.retryAfterSeconds !== undefined) c.header('Retry-After', String(error.retryAfterSeconds));
      return c.json(error.toJSON(), error.status);
    }
    // Database and programming faults: the details go to the log, never to the client.
    options.log(`${c.req.method} ${c.req.path} failed`, error);
    return errorJson(c, 500, 'INTERNAL', 'The server could not handle the request. Try again later.');
  });
  app.notFound((c) => errorJson(c, 404, 'NOT_FOUND', `There is no ${c.req.method} ${c.req.path}.`));

  app.use('*', async (c, next) => {
    if (options.closing()) {
      c.header('Connection', 'close');
      c.header('Retry-After', '2');
      return errorJson(c, 503, 'UNAVAILABLE', 'The server is shutting down. Try again shortly.');
    }
    await next();
    // A request that began before the shutdown: answered, and its connection not kept for another.
    if (options.closing()) c.res.headers.set('Connection', 'close');
  });

  if (options.cors) {
    app.use(
      '*',
      cors({
        origin: typeof options.cors.origin === 'string' ? options.cors.origin : [...options.cors.origin],
        allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
        // The Mcp-* headers and Last-Event-ID are for browser-based MCP clients of /mcp.
        allowHeaders: ['Authorization', 'Content-Type', 'Mcp-Session-Id', 'Mcp-Protocol-Version', 'Last-Event-ID'],
        exposeHeaders: ['Mcp-Session-Id', 'WWW-Authenticate'],
        maxAge: options.cors.maxAge ?? 600,
      }),
    );
  }

  app.get('/healthz', async (c) => {
    try {
      await store.health();
      return c.json({ ok: true, store: store.kind });
    } catch (error) {
      options.log('health check failed', error);
      return errorJson(c, 503, 'UNAVAILABLE', 'The database does not answer.');
    }
  });

  app.use('/v1/*', async (c, next) => {
    c.header('Cache-Control', 'no-store');
    const header = c.req.header('Authorization');
    const match = header === undefined ? null : /^Bearer +(\S+) *$/i.exec(header);
    const userId = match ? await options.auth(match[1]!) : undefined;
    if (userId === undefined) {
      c.header('WWW-Authenticate', 'Bearer');
      return errorJson(c, 401, 'UNAUTHORIZED', header === undefined ? 'Send Authorization: Bearer <token>.' : 'The bearer token is not valid.');
    }
    c.set('userId', userId);
    const waitMs = options.rateLimiter?.take(userId) ?? 0;
    if (waitMs > 0) {
      // Whole seconds, rounded up: a client that waits that long finds a request in its bucket.
      c.header('Retry-After', String(Math.max(1, Math.ceil(waitMs / 1000))));
      return errorJson(c, 429, 'RATE_LIMITED', 'Too many requests for this user. Retry after the number of seconds in Retry-After.');
    }
    await next();
  });

  app.post(
    '/v1/sessions/:sessionId/push',
    bodyLimit({
      maxSize: limits.maxBodyBytes,
      onError: (c) => errorJson(c, 413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${limits.maxBodyBytes} bytes. Push in smaller batches.`),
    }),
    async (c) => {
      const sessionId = checkId(c.req.param('sessionId'), 'sessionId', limits);
      const push = parsePush(await c.req.text(), limits);
      return c.json(await store.push({ userId: c.get('userId'), sessionId, clientId: push.clientId, ops: push.ops }));
    },
  );

  app.get('/v1/sessions/:sessionId/pull', async (c) => {
    const sessionId = checkId(c.req.param('sessionId'), 'sessionId', limits);
    const clientId = optionalId(c.req.query('clientId'), limits);
    const limit = parseLimit(c.req.query('limit'), limits);
    return c.json(await store.pull({ userId: c.get('userId'), sessionId, since: c.req.query('since'), clientId, limit }));
  });

  app.get('/v1/sessions/:sessionId/snapshot', async (c) => {
    const sessionId = checkId(c.req.param('sessionId'), 'sessionId', limits);
    const clientId = optionalId(c.req.query('clientId'), limits);
    return c.json(await store.snapshot({ userId: c.get('userId'), sessionId, clientId, after: c.req.query('after') }));
  });

  app.delete('/v1/sessions/:sessionId', async (c) => {
    const sessionId = checkId(c.req.param('sessionId'), 'sessionId', limits);
    return c.json(await store.deleteSession({ userId: c.get('userId'), sessionId }));
  });

  // Live pokes (Server-Sent Events): "pull now" after each committed change of the session, on any instance whose
  // store reports it (PostgreSQL: all of them). Same bearer auth as every /v1 route; browsers read it with fetch
  // streaming, which can send the header (EventSource cannot).
  app.get('/v1/sessions/:sessionId/events', async (c) => {
    const sessionId = checkId(c.req.param('sessionId'), 'sessionId', limits);
    const userId = c.get('userId');
    const head = await store.head({ userId, sessionId });
    const encoder = new TextEncoder();
    let cleanup = () => undefined as void;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        let ended = false;
        const send = (text: string) => {
          if (ended) return;
          try {
            controller.enqueue(encoder.encode(text));
          } catch {
            cleanup();
          }
        };
        const poke = (epoch: number, cursor: string) => {
          const event: SessionEvent = { type: 'poke', epoch, cursor };
          send(`event: poke\ndata: ${JSON.stringify(event)}\n\n`);
        };
        send('retry: 2000\n\n');
        poke(head.epoch, head.cursor);
        const unsubscribe = store.changes?.subscribe((change) => {
          if (change.sessionId === sessionId && change.userId === userId) poke(change.epoch, change.cursor);
        });
        const keepAlive = setInterval(() => send(': keep-alive\n\n'), KEEP_ALIVE_MS);
        const unregister = options.streams?.add(() => {
          cleanup();
          try {
            controller.close();
          } catch {
            // Already closed by the client.
          }
        });
        cleanup = () => {
          ended = true;
          clearInterval(keepAlive);
          unsubscribe?.();
          unregister?.();
        };
      },
      cancel() {
        cleanup();
      },
    });
    return new Response(body, {
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' },
    });
  });

  return app;
}

function optionalId(value: string | undefined, limits: ServerLimits): string | undefined {
  return value === undefined || value === '' ? undefined : checkId(value, 'clientId', limits);
}

function errorJson(c: Context, status: 401 | 404 | 413 | 429 | 500 | 503, code: string, message: string): Response {
  const body: ErrorResponse = { error: { code, message } };
  return c.json(body, status);
}
