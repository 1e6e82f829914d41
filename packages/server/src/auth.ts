import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

/** Maps a bearer token to the user it stands for, or undefined when the token is not valid (401). */
export type Authenticator = (token: string) => string | undefined | Promise<string | undefined>;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const MAX_USER_ID = 256;

function isUserId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_USER_ID && !CONTROL.test(value);
}

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Tokens from a fixed map `{ token: userId }`. Lookups go by the token's SHA-256, so the map holds no raw tokens
 * and never compares a guess with a real token character by character.
 */
export function tokenMapAuth(tokens: Readonly<Record<string, string>>): Authenticator {
  const users = new Map<string, string>();
  for (const [token, userId] of Object.entries(tokens)) {
    if (token.length < 16) throw new Error('Every token must be at least 16 characters long.');
    if (!isUserId(userId)) throw new Error(`The user id for a token must be 1 to ${MAX_USER_ID} characters without control characters.`);
    users.set(digest(token), userId);
  }
  return (token) => users.get(digest(token));
}

/**
 * Tokens from a JSON file `{ "<token>": "<userId>" }`. The file is read again when it changes (checked at most once a
 * second), so tokens can be added and revoked without a restart; a file that stops parsing keeps the previous map.
 */
export function tokenFileAuth(path: string): Authenticator {
  const load = () => {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${path} must hold a JSON object { "<token>": "<userId>" }.`);
    return tokenMapAuth(parsed as Record<string, string>);
  };
  let current = load();
  let mtime = statSync(path).mtimeMs;
  let checkedAt = Date.now();
  return (token) => {
    const now = Date.now();
    if (now - checkedAt >= 1000) {
      checkedAt = now;
      try {
        const changed = statSync(path).mtimeMs;
        if (changed !== mtime) {
          current = load();
          mtime = changed;
        }
      } catch {
        // Mid-write or briefly missing: keep serving with the tokens we have.
      }
    }
    return current(token);
  };
}

const HMAC_CONTEXT = 'scratchpad-store/v1:';

function signature(userId: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(HMAC_CONTEXT + userId).digest();
}

/**
 * A token for `userId` under `secret`: `<userId>.<base64url HMAC-SHA256>`. Anyone with the secret can mint tokens
 * for any user, so keep it on the server (and in whatever backend issues tokens to your users). Tokens do not
 * expire; changing the secret revokes all of them.
 */
export function signToken(userId: string, secret: string): string {
  if (!isUserId(userId)) throw new Error(`A user id must be 1 to ${MAX_USER_ID} characters without control characters.`);
  return `${userId}.${signature(userId, secret).toString('base64url')}`;
}

/** Accepts tokens made by `signToken` with this secret (at least 32 characters). */
export function hmacAuth(secret: string): Authenticator {
  if (secret.length < 32) throw new Error('The HMAC secret must be at least 32 characters long.');
  return (token) => {
    const dot = token.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const userId = token.slice(0, dot);
    if (!isUserId(userId)) return undefined;
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = signature(userId, secret);
    return given.length === expected.length && timingSafeEqual(given, expected) ? userId : undefined;
  };
}

/** The first authenticator that knows the token wins: e.g. a token file for services plus HMAC tokens for people. */
export function anyAuth(...authenticators: readonly Authenticator[]): Authenticator {
  return async (token) => {
    for (const authenticate of authenticators) {
      const userId = await authenticate(token);
      if (userId !== undefined) return userId;
    }
    return undefined;
  };
}
