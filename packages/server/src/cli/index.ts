#!/usr/bin/env node
/**
 * The command `scratchpad-store-server`: runs the reference sync server (the options of `serve.ts`), or, as
 * `scratchpad-store-server token <userId>`, prints an HMAC bearer token for a user.
 */
import { parseArgs } from 'node:util';
import { signToken } from '../auth.js';
import { UsageError, readSecret } from './args.js';

const NAME = 'scratchpad-store-server';

const TOKEN_HELP = `Usage: ${NAME} token [--secret-file <file> | --secret <secret>] <userId>

Prints a bearer token "<userId>.<signature>" that a server started with the same secret accepts.
The secret may also come from SCRATCHPAD_SECRET.
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
