import type { Authenticator } from '../auth.js';
import type { ScratchpadApp } from '../app.js';
import type { RateLimiter } from '../rate-limit.js';
import type { ServerLimits } from '../types.js';
import type { SessionPokes } from './pokes.js';

/** `createServer({ mcp })`: MCP over Streamable HTTP at `/mcp` (docs/mcp.md#remote-hosts-mcp-over-http). */
export interface ServerMcpOptions {
  /** Attribute every change to this agent. Default: the name the MCP client reports in `initialize`. */
  readonly agent?: string;
  /** Resources per resources/list page. Default 100. */
  readonly pageSize?: number;
  /** Diff lines shown per diff in tool results. Default 50. */
  readonly maxDiffLines?: number;
  /** An MCP session without requests or open streams for this long is closed. Default 30 min. */
  readonly idleTimeoutMs?: number;
  /** Open MCP sessions in all; more get 503. Default 1000. */
  readonly maxSessions?: number;
  /** Open MCP sessions of one user; a new one beyond it closes that user's least recently used idle one. Default 20. */
  readonly maxSessionsPerUser?: number;
  /**
   * How often each MCP session pulls while idle, for changes it is not poked about (those made through another
   * server instance). Changes made through this instance are pulled at once. Default 10 s; 0: only when poked.
   */
  readonly pullIntervalMs?: number;
}

/** What the lazily loaded endpoint (./sessions.ts) needs. */
export interface McpEndpointOptions {
  readonly store: SessionPokes['store'];
  readonly pokes: SessionPokes;
  readonly limits: ServerLimits;
  readonly options: ServerMcpOptions;
  readonly log: (message: string, error?: unknown) => void;
}

export interface McpEndpoint {
  handle(request: Request, userId: string): Promise<Response>;
  close(): Promise<void>;
}

export const MCP_PEER = '@scratchpad-store/mcp';

/**
 * Mounts `/mcp` on the app. The endpoint and `@scratchpad-store/mcp` load now, in the background, so that the first
 * client does not wait and a missing package is reported at start; requests wait for them.
 */
export function mountMcp(
  app: ScratchpadApp,
  deps: McpEndpointOptions & { readonly auth: Authenticator; readonly rateLimiter?: RateLimiter },
): { close(): Promise<void> } {
  checkOptions(deps.options);
  const loading: Promise<McpEndpoint | undefined> = import('./sessions.js')
    .then(({ createMcpEndpoint }) => createMcpEndpoint(deps))
    .catch((error: unknown) => {
      deps.log(isMissingPeer(error) ? `MCP is enabled, but ${MCP_PEER} is not installed: npm install ${MCP_PEER}` : 'MCP could not be loaded', error);
      return undefined;
    });

  app.all('/mcp', async (c) => {
    // Every request authenticates, not only initialize: a session id is no substitute for the user's token.
    const header = c.req.header('Authorization');
    const match = header === undefined ? null : /^Bearer +(\S+) *$/i.exec(header);
    const userId = match ? await deps.auth(match[1]!) : undefined;
    if (userId === undefined) {
      return rpcError(401, header === undefined ? 'Send Authorization: Bearer <token>.' : 'The bearer token is not valid.', { 'WWW-Authenticate': 'Bearer' });
    }
    // The same per-user budget as the sync API: an MCP host is one more client of the user.
    const waitMs = deps.rateLimiter?.take(userId) ?? 0;
    if (waitMs > 0) {
      return rpcError(429, 'Too many requests for this user. Retry after the number of seconds in Retry-After.', { 'Retry-After': String(Math.max(1, Math.ceil(waitMs / 1000))) });
    }
    const endpoint = await loading;
    if (endpoint === undefined) return rpcError(503, `MCP is not available on this server (${MCP_PEER} is not installed).`);
    return endpoint.handle(c.req.raw, userId);
  });

  return {
    async close() {
      await (await loading)?.close();
      deps.pokes.close();
    },
  };
}

/** Checked when the server is created, not at the first MCP request, which loads the endpoint. */
function checkOptions(options: ServerMcpOptions): void {
  const counts = ['pageSize', 'maxDiffLines', 'idleTimeoutMs', 'maxSessions', 'maxSessionsPerUser'] as const;
  for (const key of counts) {
    const value = options[key];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) throw new TypeError(`createServer: mcp.${key} must be a whole number of at least 1`);
  }
  const interval = options.pullIntervalMs;
  if (interval !== undefined && (!Number.isSafeInteger(interval) || interval < 0)) throw new TypeError('createServer: mcp.pullIntervalMs must be a whole number of at least 0');
  if (options.agent !== undefined && (typeof options.agent !== 'string' || options.agent.trim() === '')) throw new TypeError('createServer: mcp.agent must be a non-empty string');
}

export function isMissingPeer(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' &&
    (error.message.includes(`'${MCP_PEER}'`) || error.message.includes("'@modelcontextprotocol/sdk"))
  );
}

function rpcError(status: 401 | 429 | 503, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  });
}
