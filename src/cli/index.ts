#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { signToken } from '../server/auth.js';
import { UsageError, readSecret } from './args.js';

const HELP = `Usage: scratchpad-store <command> [options]

Commands:
  serve      run the reference sync server (SQLite, PostgreSQL, Azure Cosmos DB or Blob Storage)
  mcp        serve a scratchpad's tools over the Model Context Protocol (stdio)
  token      print an HMAC bearer token for a user: token --secret-file <file> <userId>

Run 'scratchpad-store <command> --help' for a command's options.
`;

const TOKEN_HELP = `Usage: scratchpad-store token [--secret-file <file> | --secret <secret>] <userId>

Prints a bearer token "<userId>.<signature>" that a server started with the same secret accepts.
The secret may also come from SCRATCHPAD_SECRET.
`;

/** The commands; others (e.g. 'mcp') add themselves here. Each resolves when it has finished starting. */
const commands: Record<string, (argv: readonly string[]) => Promise<void>> = {
  async serve(argv) {
    // Loaded on demand: the database drivers are not needed by the other commands.
    const { serve } = await import('./serve.js');
    const handle = await serve(argv);
    if (!handle) return;
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`scratchpad-store: ${signal} again, exiting now\n`);
        process.exit(1);
      }
      stopping = true;
      process.stdout.write(`scratchpad-store: ${signal}, finishing in-flight requests\n`);
      handle.close().then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`scratchpad-store: shutdown failed: ${String(error)}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  },

  // The MCP server lives in its own module (and pulls in the MCP SDK): loaded only when asked for.
  async mcp(argv) {
    const { runMcpCommand } = await import('../mcp/cli.js');
    process.exitCode = await runMcpCommand(argv);
  },

  async token(argv) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { secret: { type: 'string' }, 'secret-file': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
    if (values.help) {
      process.stdout.write(TOKEN_HELP);
      return;
    }
    const secret = readSecret(values.secret, values['secret-file'], process.env);
    if (secret === undefined || positionals.length !== 1) throw new UsageError(TOKEN_HELP.trimEnd());
    process.stdout.write(`${signToken(positionals[0]!, secret)}\n`);
  },
};

async function main(argv: readonly string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (rest[0] !== undefined && Object.hasOwn(commands, rest[0])) return commands[rest[0]]!(['--help']);
    process.stdout.write(HELP);
    if (name === undefined) process.exitCode = 1;
    return;
  }
  const command = commands[name];
  if (!command || !Object.hasOwn(commands, name)) throw new UsageError(`Unknown command '${name}'.\n\n${HELP.trimEnd()}`);
  await command(rest);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const usage = error instanceof UsageError || (error as { code?: unknown }).code?.toString().startsWith('ERR_PARSE_ARGS');
  process.stderr.write(`scratchpad-store: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(usage ? 2 : 1);
});
