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

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30d`, `12h`, `90m`, `60s`, `500ms` in ms; `what` names the flag in the error. */
export function duration(value: string, what: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value);
  if (!match) throw new UsageError(`${what} must look like 30d, 12h, 90m, 60s or 500ms, got ${JSON.stringify(value)}.`);
  return Number(match[1]) * UNITS[match[2]!]!;
}
