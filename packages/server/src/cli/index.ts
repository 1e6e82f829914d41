#!/usr/bin/env node
/**
 * The command `scratchpad-store-server`: runs the reference sync server (the options of `serve.ts`), or, as
 * `scratchpad-store-server token <userId>`, prints an HMAC bearer token for a user.
 */
import { parseArgs } from 'node:util';
import { signToken } from '../auth.js';
import { UsageError, duration, readSecret } from './args.js';

const NAME = 'scratchpad-store-server';

const TOKEN_HELP = `Usage: ${NAME} token [--secret-file <file> | --secret <secret>] [--expires-in <duration>] <userId>

Prints a bearer token "<userId>.<expiry>.<signature>" that a server started with the same secret accepts
until it expires. --expires-in: e.g. 30d (the default), 12h, 90m. The secret may also come from SCRATCHPAD_SECRET.
`;

async function serve(argv: readonly string[]): Promise<void> {
  const { serve } = await import('./serve.js');
  const handle = await serve(argv);
  if (!handle) return;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`${NAME}: ${signal} again, exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    process.stdout.write(`${NAME}: ${signal}, finishing in-flight requests\n`);
    handle.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${NAME}: shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function token(argv: readonly string[]): void {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { secret: { type: 'string' }, 'secret-file': { type: 'string' }, 'expires-in': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(TOKEN_HELP);
    return;
  }
  const secret = readSecret(values.secret, values['secret-file'], process.env);
  if (secret === undefined || positionals.length !== 1) throw new UsageError(TOKEN_HELP.trimEnd());
  const expiresInMs = values['expires-in'] === undefined ? undefined : duration(values['expires-in'], '--expires-in');
  try {
    process.stdout.write(`${signToken(positionals[0]!, secret, expiresInMs === undefined ? {} : { expiresInMs })}\n`);
  } catch (error) {
    // A bad user id or lifetime is a mistake on the command line.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

async function main(argv: readonly string[]): Promise<void> {
  if (argv[0] === 'token') return token(argv.slice(1));
  return serve(argv);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const usage = error instanceof UsageError || (error as { code?: unknown }).code?.toString().startsWith('ERR_PARSE_ARGS');
  process.stderr.write(`${NAME}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(usage ? 2 : 1);
});
