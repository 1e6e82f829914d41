import { createScratchpad, type Scratchpad } from 'scratchpad-store';
import { httpSync, type SyncAdapter } from 'scratchpad-store/sync';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { guardLines, MAX_MESSAGE_BYTES } from './lines.js';
import { createMcpServer } from './server.js';

export const MCP_USAGE = `Usage: scratchpad-store-mcp [options]

Serves a scratchpad to an MCP host (Claude Desktop, Cursor, ...) over stdio: the scratchpad tools, and every pad
and section as a resource (scratchpad://<pad>, scratchpad://<pad>/<section>).

Options:
  --session <id>   Session to serve (default: 'default').
  --agent <name>   Attribute every change to this name. Default: the name the MCP client reports.
  --sync <url>     Sync with a scratchpad-store server at this URL. Without it the scratchpad lives in memory
                   and is gone when the host stops the server.
  --token <t>      Bearer token for --sync (or set SCRATCHPAD_TOKEN, which keeps it out of the process list).
  -h, --help       Show this help.
`;

export interface McpCommandOptions {
  readonly session: string;
  readonly agent?: string;
  readonly sync?: { readonly url: string; readonly token: string };
}

/** Where the command reads and writes; the process's own streams by default. Tests pass their own. */
export interface McpCommandIO {
  readonly stdin?: Readable;
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** How long to wait for the sync server when starting and when stopping. */
const SYNC_WAIT_MS = 5_000;

/** A mistake on the command line: reported with the usage, exit code 2. */
class UsageError extends Error {}

/** Parses the command's arguments. Returns 'help' for -h/--help; throws on anything it does not understand. */
export function parseMcpArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): McpCommandOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        session: { type: 'string' },
        agent: { type: 'string' },
        sync: { type: 'string' },
        token: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) return 'help';

  const session = values.session ?? 'default';
  if (session.trim() === '') throw new UsageError('--session must not be empty');
  if (values.agent !== undefined && values.agent.trim() === '') throw new UsageError('--agent must not be empty');
  const token = values.token ?? env['SCRATCHPAD_TOKEN'];
  if (values.sync === undefined) {
    if (values.token !== undefined) throw new UsageError('--token is only used with --sync <url>');
    return { session, ...(values.agent === undefined ? {} : { agent: values.agent }) };
  }
  if (!/^https?:\/\//i.test(values.sync)) throw new UsageError(`--sync needs an http:// or https:// URL, got '${values.sync}'`);
  if (token === undefined || token === '') throw new UsageError('--sync needs a token: pass --token <t> or set SCRATCHPAD_TOKEN');
  return { session, ...(values.agent === undefined ? {} : { agent: values.agent }), sync: { url: values.sync, token } };
}

/**
 * The `mcp` subcommand: serves one scratchpad over stdio until the host closes stdin. `argv` is what follows `mcp`.
 * Resolves with the exit code; stdout carries only the protocol, every diagnostic goes to stderr.
 */
export async function runMcpCommand(argv: readonly string[], io: McpCommandIO = {}): Promise<number> {
  const stdin = io.stdin ?? process.stdin;
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const say = (line: string): void => void stderr.write(`scratchpad-store-mcp: ${line}\n`);

  let options: McpCommandOptions;
  try {
    const parsed = parseMcpArgs(argv, io.env ?? process.env);
    if (parsed === 'help') {
      stderr.write(MCP_USAGE);
      return 0;
    }
    options = parsed;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    say(error.message);
    stderr.write(`\n${MCP_USAGE}`);
    return 2;
  }

  const sync: SyncAdapter | undefined = options.sync === undefined ? undefined : httpSync({ url: options.sync.url, token: options.sync.token });

  const sp = createScratchpad({ sessionId: options.session, ...(sync === undefined ? {} : { sync }) });
  try {
    await sp.ready;
  } catch (error) {
    say(`could not open session '${options.session}': ${error instanceof Error ? error.message : String(error)}`);
    sp.close();
    return 1;
  }

  if (sync !== undefined) {
    // Pull before serving, so that the host's first look shows what other devices wrote; later pulls arrive as
    // resource notifications. An unreachable server is not fatal: the sync engine keeps retrying in the background.
    const pulled = await flushWithin(sp, SYNC_WAIT_MS);
    if (pulled.outcome !== 'done') {
      say(`could not reach the sync server yet (${pulled.outcome === 'failed' ? pulled.message : `no answer in ${SYNC_WAIT_MS / 1000}s`}); serving and retrying in the background`);
    }
  }

  const mcp = createMcpServer(sp, options.agent === undefined ? {} : { agent: options.agent });
  mcp.server.onerror = (error) => say(`protocol error: ${error.message}`);
  // Whole lines of at most 10 MiB reach the SDK (lines.ts); its buffer gets room for one such line and its newline.
  const transport = new StdioServerTransport(guardLines(stdin, stdout, say), stdout, { maxBufferSize: MAX_MESSAGE_BYTES + 1024 });

  return new Promise<number>((resolve) => {
    let done = false;
    const shutdown = async (code: number): Promise<void> => {
      if (done) return;
      done = true;
      stdin.off('end', onEnd);
      stdin.off('close', onEnd);
      if (stdin === process.stdin) {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      await mcp.close().catch(() => {});
      // With sync, changes not yet pushed should reach the server before the process goes, within reason: an
      // unreachable server must not keep the host waiting. With nothing pending there is nothing to wait for (a flush
      // would also pull, which is of no use to a process that is leaving).
      if (sync === undefined || sp.syncStatus.pending > 0) {
        const flushed = await flushWithin(sp, sync === undefined ? 0 : SYNC_WAIT_MS);
        if (flushed.outcome === 'failed') say(`could not save the last changes: ${flushed.message}`);
        if (flushed.outcome === 'timeout') say(`gave up waiting for sync after ${SYNC_WAIT_MS / 1000}s; changes not yet pushed are lost`);
      }
      sp.close();
      resolve(code);
    };
    // The SDK's stdio transport does not watch for the end of stdin, which is how hosts stop a server.
    const onEnd = (): void => void shutdown(0);
    const onSignal = (): void => void shutdown(0);
    stdin.once('end', onEnd);
    stdin.once('close', onEnd);
    if (stdin === process.stdin) {
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    }
    mcp.connect(transport).then(
      () => say(`serving session '${options.session}' over stdio${options.sync === undefined ? ' (in memory)' : `, synced with ${options.sync.url}`}`),
      (error: unknown) => {
        say(`could not start: ${error instanceof Error ? error.message : String(error)}`);
        void shutdown(1);
      },
    );
  });
}

/**
 * `sp.flush()`, bounded by `ms` (0: unbounded). Resolves with what happened, so that the caller can say it in its own
 * words: 'done', 'failed' (with the error's message) or 'timeout'.
 */
async function flushWithin(sp: Scratchpad, ms: number): Promise<{ outcome: 'done' } | { outcome: 'failed'; message: string } | { outcome: 'timeout' }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flushed = sp.flush().then(
    () => ({ outcome: 'done' }) as const,
    (error: unknown) => ({ outcome: 'failed', message: error instanceof Error ? error.message : String(error) }) as const,
  );
  if (ms === 0) return flushed;
  const late = new Promise<{ outcome: 'timeout' }>((resolve) => {
    timer = setTimeout(() => resolve({ outcome: 'timeout' }), ms);
  });
  const result = await Promise.race([flushed, late]);
  clearTimeout(timer);
  return result;
}
