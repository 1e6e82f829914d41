/**
 * The MCP endpoint's sessions: loaded only when MCP is enabled, because it brings in the scratchpad itself and
 * `@scratchpad-store/mcp` (with the MCP SDK), an optional peer of this package.
 */
import { createScratchpad, type Scratchpad } from 'scratchpad-store';
import { createMcpHttpHandler, McpHttpError, type McpHttpScratchpad } from '@scratchpad-store/mcp';
import { HttpError } from '../errors.js';
import { checkId } from '../validate.js';
import { storeSync } from './store-sync.js';
import type { McpEndpoint, McpEndpointOptions } from './route.js';

/** How long closing an MCP session waits for its last changes to reach the store. */
const FINAL_PUSH_MS = 5_000;

export function createMcpEndpoint({ store, pokes, limits, options, log }: McpEndpointOptions): McpEndpoint {
  const handler = createMcpHttpHandler({
    server: {
      ...(options.agent === undefined ? {} : { agent: options.agent }),
      ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
      ...(options.maxDiffLines === undefined ? {} : { maxDiffLines: options.maxDiffLines }),
    },
    ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
    ...(options.maxSessions === undefined ? {} : { maxSessions: options.maxSessions }),
    ...(options.maxSessionsPerUser === undefined ? {} : { maxSessionsPerOwner: options.maxSessionsPerUser }),
    maxBodyBytes: limits.maxBodyBytes,
    onError: log,

    async open({ request, owner: userId }): Promise<McpHttpScratchpad> {
      const sessionId = refusable(() => checkId(new URL(request.url).searchParams.get('session') ?? 'default', 'sessionId', limits));
      // Access first, with the pull's own checks, so that a refusal comes before anything is set up.
      try {
        await store.pull({ userId, sessionId, since: undefined, clientId: undefined, limit: 1 });
      } catch (error) {
        throw error instanceof HttpError ? new McpHttpError(error.status, error.message) : error;
      }
      const sp = createScratchpad({
        sessionId,
        sync: storeSync(store, userId, limits, options.pullIntervalMs ?? 10_000),
        limits: { maxSectionBytes: limits.maxSectionBytes, maxNameLength: limits.maxNameLength },
      });
      const follower = follow(sp);
      const unsubscribe = pokes.subscribe(userId, sessionId, follower.poke);
      const release = async (): Promise<void> => {
        unsubscribe();
        follower.stop();
        await pushWithin(sp, FINAL_PUSH_MS);
        sp.close();
      };
      try {
        // The first pull before initialize is answered: the client's first resources/list already sees the session.
        await sp.flush();
      } catch (error) {
        await release();
        throw error;
      }
      return { scratchpad: sp, close: release };
    },
  });
  return { handle: (request, userId) => handler.handle(request, userId), close: () => handler.close() };
}

function refusable<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw error instanceof HttpError ? new McpHttpError(error.status, error.message) : error;
  }
}

/**
 * Pulls when poked. Pokes that arrive while a pull runs become one more pull after it, not one each: a burst of
 * pushes by a busy browser costs each MCP session two pulls.
 */
function follow(sp: Scratchpad): { poke(): void; stop(): void } {
  let running = false;
  let again = false;
  let stopped = false;
  const poke = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    // A failed pull is retried by the sync engine itself, with backoff; the next poke tries again too.
    void sp
      .flush()
      .catch(() => undefined)
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          poke();
        }
      });
  };
  return { poke, stop: () => void (stopped = true) };
}

async function pushWithin(sp: Scratchpad, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms).unref()));
  await Promise.race([sp.flush().catch(() => undefined), deadline]);
  clearTimeout(timer);
}
