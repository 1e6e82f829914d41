import type { Scratchpad } from 'scratchpad-store';
import { randomUUID } from 'node:crypto';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { createMcpServer, type McpServerOptions, type ScratchpadMcpServer } from './server.js';

/** What `open` gives for a new MCP session: the scratchpad it serves, and how to let go of it when the session ends. */
export interface McpHttpScratchpad {
  readonly scratchpad: Scratchpad;
  /** Called once when the MCP session ends (DELETE, idle, `close()`), after the MCP server has stopped. */
  readonly close?: () => void | Promise<void>;
}

export interface McpHttpOpenContext {
  /** The `initialize` request, for what it names (a query parameter, a header). Its body has been read. */
  readonly request: Request;
  /** Whoever `handle` was called for. */
  readonly owner: string;
}

export interface McpHttpHandlerOptions {
  /**
   * Opens the scratchpad of a new MCP session, when a client sends `initialize`. Throw `McpHttpError` to refuse
   * with an HTTP status (403: not this owner's scratchpad); anything else is answered 500.
   */
  readonly open: (context: McpHttpOpenContext) => Promise<McpHttpScratchpad>;
  /** For each session's `createMcpServer`. */
  readonly server?: McpServerOptions;
  /** A session without requests or open streams for this long is closed; its client then gets 404 and starts over. Default 30 min. */
  readonly idleTimeoutMs?: number;
  /** Open sessions in all; an `initialize` beyond it gets 503. Default 1000. */
  readonly maxSessions?: number;
  /** Open sessions of one owner; a new one beyond it closes that owner's least recently used idle session. Default 20. */
  readonly maxSessionsPerOwner?: number;
  /** Bytes of one POST body. Default 4 MiB, the SDK transport's own default. */
  readonly maxBodyBytes?: number;
  /** Failures that are not the client's (a throwing `open`, a failing `close`). Default: none reported. */
  readonly onError?: (message: string, error: unknown) => void;
}

/**
 * MCP over Streamable HTTP for many clients, on web-standard `Request` and `Response` (Hono, Next.js route handlers,
 * anything with a fetch handler). Each MCP session gets its own `createMcpServer` over the scratchpad that `open`
 * gives, and is bound to the owner it was opened for: a request of another owner that names it gets 404, as for a
 * session that does not exist, so session ids are never a way into another owner's scratchpad.
 */
export interface McpHttpHandler {
  /** Answers one request to the MCP endpoint (POST, GET or DELETE) for `owner`, whom the caller has authenticated. */
  handle(request: Request, owner: string): Promise<Response>;
  /** Open MCP sessions. */
  readonly sessions: number;
  /** Closes every session (their streams end) and refuses further requests with 503. */
  close(): Promise<void>;
}

/** Refuses to open a session, with an HTTP status and a message for the client's developer. */
export class McpHttpError extends Error {
  override readonly name = 'McpHttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MiB = 1024 * 1024;

interface Session {
  readonly owner: string;
  readonly transport: WebStandardStreamableHTTPServerTransport;
  readonly mcp: ScratchpadMcpServer;
  readonly opened: McpHttpScratchpad;
  id: string | undefined;
  /** Requests being answered, and response streams still open (a GET stream stays open while the client listens). */
  active: number;
  lastActive: number;
  ended: Promise<void> | undefined;
}

export function createMcpHttpHandler(options: McpHttpHandlerOptions): McpHttpHandler {
  const idleTimeoutMs = positive(options.idleTimeoutMs, 30 * 60_000, 'idleTimeoutMs');
  const maxSessions = positive(options.maxSessions, 1000, 'maxSessions');
  const maxPerOwner = positive(options.maxSessionsPerOwner, 20, 'maxSessionsPerOwner');
  const maxBodyBytes = positive(options.maxBodyBytes, 4 * MiB, 'maxBodyBytes');
  const report = options.onError ?? (() => undefined);
  const sessions = new Map<string, Session>();
  let opening = 0;
  let closed = false;

  // Often enough that a session outlives its timeout by at most half of it; at most once a minute.
  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const session of sessions.values()) if (session.active === 0 && now - session.lastActive >= idleTimeoutMs) void end(session);
    },
    Math.min(60_000, Math.max(10, Math.floor(idleTimeoutMs / 2))),
  );
  sweep.unref?.();

  function end(session: Session): Promise<void> {
    // Started in a microtask, after `ended` is set: closing the MCP server calls back here through its onclose.
    session.ended ??= Promise.resolve().then(async () => {
      if (session.id !== undefined && sessions.get(session.id) === session) sessions.delete(session.id);
      try {
        await session.mcp.close();
      } catch (error) {
        report('closing an MCP session failed', error);
      }
      try {
        await session.opened.close?.();
      } catch (error) {
        report("closing an MCP session's scratchpad failed", error);
      }
    });
    return session.ended;
  }

  async function serve(session: Session, request: Request, parsedBody?: unknown): Promise<Response> {
    session.active++;
    session.lastActive = Date.now();
    let response: Response;
    try {
      response = await session.transport.handleRequest(request, parsedBody === undefined ? undefined : { parsedBody });
    } catch (error) {
      done(session);
      throw error;
    }
    if (response.body === null) {
      done(session);
      return response;
    }
    // The session is busy until its answer has been read to the end or dropped: an SSE stream can stay open for hours.
    return new Response(whenEnded(response.body, () => done(session)), { status: response.status, statusText: response.statusText, headers: response.headers });
  }

  function done(session: Session): void {
    session.active--;
    session.lastActive = Date.now();
  }

  async function initialize(request: Request, owner: string): Promise<Response> {
    const text = await readBody(request, maxBodyBytes);
    if (text === undefined) return rpcError(413, -32000, `The request body is larger than ${maxBodyBytes} bytes.`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return rpcError(400, -32700, 'Parse error: the body is not JSON.');
    }
    if (!isInitializeRequest(body)) {
      return rpcError(400, -32000, 'Bad Request: send initialize first, then the Mcp-Session-Id header it answers with on every request.');
    }
    if (sessions.size + opening >= maxSessions) return rpcError(503, -32000, 'Too many MCP sessions are open on this server. Try again later.');
    const own = [...sessions.values()].filter((s) => s.owner === owner);
    if (own.length >= maxPerOwner) {
      // A host that restarts without ending its session leaves it behind: the oldest idle one makes room.
      const idle = own.filter((s) => s.active === 0).sort((a, b) => a.lastActive - b.lastActive)[0];
      if (idle === undefined) return rpcError(503, -32000, `You have ${own.length} MCP sessions open and busy. End one (DELETE) or try again later.`);
      await end(idle);
    }

    opening++;
    let opened: McpHttpScratchpad;
    try {
      opened = await options.open({ request, owner });
    } catch (error) {
      if (error instanceof McpHttpError) return rpcError(error.status, -32000, error.message);
      report('opening the scratchpad of an MCP session failed', error);
      return rpcError(500, -32603, 'The server could not open the scratchpad. Try again later.');
    } finally {
      opening--;
    }
    if (closed) {
      await opened.close?.();
      return shuttingDown();
    }

    let session: Session | undefined;
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      maxRequestBodySize: maxBodyBytes,
      onsessioninitialized: (id) => {
        session!.id = id;
        sessions.set(id, session!);
      },
      onsessionclosed: () => {
        if (session) void end(session);
      },
    });
    const mcp = createMcpServer(opened.scratchpad, options.server);
    session = { owner, transport, mcp, opened, id: undefined, active: 0, lastActive: Date.now(), ended: undefined };
    const previousOnClose = mcp.server.onclose;
    mcp.server.onclose = () => {
      previousOnClose?.();
      void end(session!);
    };
    await mcp.connect(transport);
    const response = await serve(session, request, body);
    // Refused by the transport (a bad Accept header, a second initialize in a batch): nothing to keep.
    if (session.id === undefined) await end(session);
    return response;
  }

  return {
    get sessions() {
      return sessions.size;
    },

    async handle(request, owner) {
      if (closed) return shuttingDown();
      const id = request.headers.get('mcp-session-id');
      if (id === null) {
        if (request.method === 'POST') return initialize(request, owner);
        if (request.method === 'GET' || request.method === 'DELETE') return rpcError(400, -32000, 'Bad Request: Mcp-Session-Id header is required.');
        return new Response(null, { status: 405, headers: { allow: 'GET, POST, DELETE' } });
      }
      const session = sessions.get(id);
      // Another owner's session is answered like one that does not exist: its id must not tell anything.
      if (session === undefined || session.owner !== owner || session.ended) return rpcError(404, -32001, 'Session not found. Send initialize again without Mcp-Session-Id.');
      return serve(session, request);
    },

    async close() {
      closed = true;
      clearInterval(sweep);
      await Promise.all([...sessions.values()].map(end));
    },
  };
}

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`createMcpHttpHandler: options.${what} must be a whole number of at least 1`);
  return value;
}

function rpcError(status: number, code: number, message: string): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

function shuttingDown(): Response {
  return rpcError(503, -32000, 'The server is shutting down. Try again shortly.');
}

/** The body as text, or undefined when it is longer than `max` bytes (read no further than that). */
async function readBody(request: Request, max: number): Promise<string | undefined> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) return undefined;
  if (request.body === null) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/** `body`, passed through, calling `ended` once when it has been read to the end, failed, or was cancelled. */
function whenEnded(body: ReadableStream<Uint8Array>, ended: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    ended();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          finish();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        finish();
        controller.error(error);
      }
    },
    async cancel(reason) {
      finish();
      await reader.cancel(reason).catch(() => undefined);
    },
  });
}
