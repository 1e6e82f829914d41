import { readFileSync } from 'node:fs';

/** A mistake in the command line: reported with exit code 2. */
export class UsageError extends Error {}

export function readSecret(secret: string | undefined, file: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (secret !== undefined && file !== undefined) throw new UsageError('Give either --secret or --secret-file, not both.');
  if (file !== undefined) return readFileSync(file, 'utf8').trim();
  return secret ?? (env.SCRATCHPAD_SECRET || undefined);
}

/** A store chosen on the command line whose driver (an optional peer of this package) is not installed: exit code 2. */
export class MissingPeerError extends UsageError {
  constructor(readonly peer: string) {
    super(`this store needs the package ${peer}: install it next to @scratchpad-store/server (npm install ${peer})`);
  }
}
