import { parseArgs } from 'node:util';
import { anyAuth, hmacAuth, tokenFileAuth, type Authenticator } from '../auth.js';
import { createServer } from '../server.js';
import type { ServerLimits, ServerStore } from '../types.js';
import { MissingPeerError, UsageError, duration, readSecret } from './args.js';
import { MCP_PEER, isMissingPeer } from '../mcp/route.js';

export const SERVE_HELP = `Usage: scratchpad-store-server [options]
       scratchpad-store-server token [--secret-file <file> | --secret <secret>] <userId>

Runs the reference sync server (HTTP API /v1/sessions/:id/{push,pull,snapshot}, /healthz).

Storage (one of):
  --db <file>              SQLite file, created if missing (default: ./scratchpad.db)
  --postgres <url>         PostgreSQL connection string; several instances may share one database
                           (or set SCRATCHPAD_POSTGRES_URL); needs the package pg
  --cosmos <endpoint>      Azure Cosmos DB account endpoint (or SCRATCHPAD_COSMOS_ENDPOINT), with
  --cosmos-key <key>       its key (or SCRATCHPAD_COSMOS_KEY); several instances may share one container;
                           needs the package @azure/cosmos
  --cosmos-database <id>   default scratchpad (created if missing)
  --cosmos-container <id>  default sessions (created if missing, partition key /sessionId)
  --blob <connection>      Azure Blob Storage connection string (or SCRATCHPAD_BLOB_CONNECTION_STRING);
                           for light sessions: one session's writes take turns on its blob;
                           needs the package @azure/storage-blob
  --blob-container <name>  default scratchpad (created if missing)

Auth (at least one; a request must carry Authorization: Bearer <token>):
  --tokens <file>          JSON file { "<token>": "<userId>" }, re-read when it changes
  --secret-file <file>     file holding the HMAC secret (32+ characters) for tokens "<userId>.<expiry>.<signature>"
  --secret <secret>        the HMAC secret itself (visible in the process list: prefer --secret-file
                           or SCRATCHPAD_SECRET)
  --accept-non-expiring-tokens
                           also accept HMAC tokens "<userId>.<signature>" without an expiry (made by
                           earlier versions); off by default

Network:
  --port <n>               default 8787 (or PORT)
  --host <address>         default 127.0.0.1; 0.0.0.0 to listen on every interface
  --cors <origins>         comma-separated allowed origins, or '*'; off by default
  --mcp                    also serve MCP over Streamable HTTP at /mcp (same tokens; ?session=<id>);
                           needs the package @scratchpad-store/mcp

Limits and retention:
  --max-body <bytes>       request body limit (default: 6 × section limit + 1 MiB)
  --max-ops <n>            ops per push (default 500)
  --max-section <bytes>    section size limit (default 1048576)
  --quota-session <chars>  history and anchors one session may hold (default 268435456); over it ops are rejected QUOTA_EXCEEDED
  --quota-user <chars>     the same over all sessions of one user (default 1073741824; SQLite and PostgreSQL)
  --max-page <chars>       characters of one pull or snapshot page (default 4194304)
  --retention <duration>   drop history received longer ago than this, e.g. 30d, 12h (default: keep all)
  --rate-limit <n>         requests per second per user (token bucket); over it: 429 with Retry-After
                           (default: no limit)
  --rate-burst <n>         requests a user may make at once (default: 2 × --rate-limit, at least 10)

  -h, --help               this text

Stops gracefully on SIGTERM or SIGINT: in-flight requests finish, then the database is closed.
Make a token for a user with: scratchpad-store-server token --secret-file <file> <userId>
`;

export interface ServeHandle {
  readonly url: string;
  close(): Promise<void>;
}

export async function serve(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<ServeHandle | undefined> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      db: { type: 'string' },
      postgres: { type: 'string' },
      cosmos: { type: 'string' },
      'cosmos-key': { type: 'string' },
      'cosmos-database': { type: 'string' },
      'cosmos-container': { type: 'string' },
      blob: { type: 'string' },
      'blob-container': { type: 'string' },
      tokens: { type: 'string' },
      secret: { type: 'string' },
      'secret-file': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      cors: { type: 'string' },
      'max-body': { type: 'string' },
      'max-ops': { type: 'string' },
      'max-section': { type: 'string' },
      'quota-session': { type: 'string' },
      'quota-user': { type: 'string' },
      'max-page': { type: 'string' },
      retention: { type: 'string' },
      'rate-limit': { type: 'string' },
      'rate-burst': { type: 'string' },
      'accept-non-expiring-tokens': { type: 'boolean' },
      mcp: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return undefined;
  }

  const postgresUrl = values.postgres ?? (env.SCRATCHPAD_POSTGRES_URL || undefined);
  const cosmosEndpoint = values.cosmos ?? (env.SCRATCHPAD_COSMOS_ENDPOINT || undefined);
  const cosmosKey = values['cosmos-key'] ?? (env.SCRATCHPAD_COSMOS_KEY || undefined);
  const blobConnection = values.blob ?? (env.SCRATCHPAD_BLOB_CONNECTION_STRING || undefined);
  const chosen = [values.db && '--db', postgresUrl && '--postgres', cosmosEndpoint && '--cosmos', blobConnection && '--blob'].filter(Boolean);
  if (chosen.length > 1) throw new UsageError(`Give one storage option, not ${chosen.join(' and ')}.`);
  if (cosmosEndpoint && !cosmosKey) throw new UsageError('--cosmos needs --cosmos-key (or SCRATCHPAD_COSMOS_KEY).');
  if (!cosmosEndpoint && (values['cosmos-key'] || values['cosmos-database'] || values['cosmos-container'])) {
    throw new UsageError('--cosmos-key, --cosmos-database and --cosmos-container go with --cosmos.');
  }
  if (!blobConnection && values['blob-container']) throw new UsageError('--blob-container goes with --blob.');
  const auth = buildAuth(values.tokens, readSecret(values.secret, values['secret-file'], env), values['accept-non-expiring-tokens'] === true);
  const limits: Partial<ServerLimits> = {
    ...(values['max-body'] ? { maxBodyBytes: integer(values['max-body'], '--max-body') } : {}),
    ...(values['max-ops'] ? { maxOpsPerPush: integer(values['max-ops'], '--max-ops') } : {}),
    ...(values['max-section'] ? { maxSectionBytes: integer(values['max-section'], '--max-section') } : {}),
    ...(values['quota-session'] ? { maxSessionBytes: integer(values['quota-session'], '--quota-session') } : {}),
    ...(values['quota-user'] ? { maxUserBytes: integer(values['quota-user'], '--quota-user') } : {}),
    ...(values['max-page'] ? { maxPageBytes: integer(values['max-page'], '--max-page') } : {}),
  };
  const port = integer(values.port ?? env.PORT ?? '8787', '--port');
  const host = values.host ?? '127.0.0.1';
  const cors = values.cors ? { origin: values.cors === '*' ? '*' : values.cors.split(',').map((o) => o.trim()).filter(Boolean) } : undefined;
  const retention = values.retention ? { maxAgeMs: duration(values.retention, '--retention') } : undefined;
  const rateLimit = values['rate-limit'] ? { requestsPerSecond: positive(values['rate-limit'], '--rate-limit'), ...(values['rate-burst'] ? { burst: positive(values['rate-burst'], '--rate-burst') } : {}) } : undefined;
  if (!rateLimit && values['rate-burst']) throw new UsageError('--rate-burst goes with --rate-limit.');

  // Checked before anything opens, so that a missing package is one line and exit code 2, like a missing driver.
  if (values.mcp) {
    try {
      await import('../mcp/sessions.js');
    } catch (error) {
      if (isMissingPeer(error)) throw new UsageError(`--mcp needs the package ${MCP_PEER}: install it next to @scratchpad-store/server (npm install ${MCP_PEER})`);
      throw error;
    }
  }

  // Each store is loaded only when chosen: pg and the Azure SDKs are optional peers of this package.
  let store: ServerStore;
  let where: string;
  if (postgresUrl) {
    const { postgresStore } = await loadStore(() => import('../postgres.js'), 'pg');
    store = await postgresStore({ connectionString: postgresUrl, limits });
    where = 'postgres';
  } else if (cosmosEndpoint && cosmosKey) {
    const { cosmosStore } = await loadStore(() => import('../azure-cosmos.js'), '@azure/cosmos');
    store = await cosmosStore({
      endpoint: cosmosEndpoint,
      key: cosmosKey,
      limits,
      ...(values['cosmos-database'] ? { database: values['cosmos-database'] } : {}),
      ...(values['cosmos-container'] ? { container: values['cosmos-container'] } : {}),
    });
    where = `azure cosmos db ${new URL(cosmosEndpoint).host}`;
  } else if (blobConnection) {
    const { blobStore } = await loadStore(() => import('../azure-blob.js'), '@azure/storage-blob');
    store = await blobStore({ connectionString: blobConnection, limits, ...(values['blob-container'] ? { container: values['blob-container'] } : {}) });
    where = 'azure blob storage';
  } else {
    const { sqliteStore } = await loadStore(() => import('../sqlite.js'), 'better-sqlite3');
    store = sqliteStore({ path: values.db ?? './scratchpad.db', limits });
    where = `sqlite ${values.db ?? './scratchpad.db'}`;
  }
  const server = createServer({
    store,
    auth,
    limits,
    ...(cors ? { cors } : {}),
    ...(retention ? { retention } : {}),
    ...(rateLimit ? { rateLimit } : {}),
    ...(values.mcp ? { mcp: true } : {}),
  });
  let info;
  try {
    info = await server.listen(port, host);
  } catch (error) {
    await server.close();
    throw error;
  }
  process.stdout.write(`scratchpad-store server listening on ${info.url} (${where})${values.mcp ? `, MCP at ${info.url}/mcp` : ''}\n`);
  return { url: info.url, close: () => server.close() };
}

/** Imports a store's module, turning "the driver is not installed" into an error that names the package to install. */
async function loadStore<T>(load: () => Promise<T>, peer: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const missing =
      error instanceof Error &&
      (error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' &&
      (error.message.includes(`'${peer}'`) || error.message.includes(`'${peer}/`));
    if (missing) throw new MissingPeerError(peer);
    throw error;
  }
}

function buildAuth(tokensFile: string | undefined, secret: string | undefined, acceptNonExpiring: boolean): Authenticator {
  const authenticators: Authenticator[] = [];
  try {
    if (tokensFile) authenticators.push(tokenFileAuth(tokensFile));
    if (secret !== undefined) authenticators.push(hmacAuth(secret, { acceptNonExpiring }));
  } catch (error) {
    // A missing or malformed token file, a short secret: the operator's to fix, not a crash.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (authenticators.length === 0) throw new UsageError('Give --tokens <file> and/or an HMAC secret (--secret-file, --secret or SCRATCHPAD_SECRET).');
  return authenticators.length === 1 ? authenticators[0]! : anyAuth(...authenticators);
}

function integer(value: string, what: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${what} must be a whole number, got ${JSON.stringify(value)}.`);
  return Number(value);
}

function positive(value: string, what: string): number {
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0) throw new UsageError(`${what} must be a positive number, got ${JSON.stringify(value)}.`);
  return Number(value);
}
