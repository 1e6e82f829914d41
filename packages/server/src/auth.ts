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

// Non-expiring tokens (v1) and expiring ones (v2) are signed under different contexts, so that neither can be
// read as the other: a v1 token of the user "bob.1999999999" is not a v2 token of "bob" valid until 2033.
const HMAC_CONTEXT_V1 = 'scratchpad-store/v1:';
const HMAC_CONTEXT_V2 = 'scratchpad-store/v2:';

/** 30 days: what `signToken` and `scratchpad-store-server token` give when no lifetime is asked for. */
export const DEFAULT_TOKEN_LIFETIME_MS = 30 * 86_400_000;

function hmac(context: string, payload: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(context + payload).digest();
}

/** A signature as it appears in a token: exactly 43 base64url characters, the only spelling of 32 bytes. */
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;

/**
 * The 32 bytes of a token's signature, or undefined unless it is written the one canonical way: Node's decoder
 * skips padding and junk characters and ignores the unused low bits of the last character, so several strings
 * decode to the same bytes. Only the string that re-encodes to itself is accepted.
 */
function canonicalSignature(text: string): Buffer | undefined {
  if (!SIGNATURE.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.length === 32 && bytes.toString('base64url') === text ? bytes : undefined;
}

export interface SignTokenOptions {
  /** How long the token is valid, in ms. Default 30 days. */
  readonly expiresInMs?: number;
  /** The clock, in ms since 1970. Default Date.now(). */
  readonly now?: number;
}

/**
 * A token for `userId` under `secret`: `<userId>.<expiry>.<base64url HMAC-SHA256>`, the expiry in whole seconds
 * since 1970. Anyone with the secret can mint tokens for any user, so keep it on the server (and in whatever
 * backend issues tokens to your users). Changing the secret revokes every token at once.
 */
export function signToken(userId: string, secret: string, options: SignTokenOptions = {}): string {
  if (!isUserId(userId)) throw new Error(`A user id must be 1 to ${MAX_USER_ID} characters without control characters.`);
  const lifetime = options.expiresInMs ?? DEFAULT_TOKEN_LIFETIME_MS;
  if (!Number.isFinite(lifetime) || lifetime < 1000) throw new Error('A token must be valid for at least one second.');
  const expires = Math.floor(((options.now ?? Date.now()) + lifetime) / 1000);
  if (expires > MAX_EXPIRY_SECONDS) throw new Error('A token may be valid until the year 5138 at most.');
  const payload = `${userId}.${expires}`;
  return `${payload}.${hmac(HMAC_CONTEXT_V2, payload, secret).toString('base64url')}`;
}

/** Expiry claims have at most 11 digits (the year 5138), so parsing one never loses precision. */
const MAX_EXPIRY_SECONDS = 99_999_999_999;
const EXPIRY = /^(.+)\.([1-9][0-9]{0,10})$/;

export interface HmacAuthOptions {
  /**
   * Also accept tokens without an expiry, `<userId>.<signature>`, as made by scratchpad-store before 0.2. Off by
   * default: such a token, once leaked, works until the secret changes. Turn it on for the time it takes your
   * backend to hand out new tokens, then off.
   */
  readonly acceptNonExpiring?: boolean;
  /** The clock, in ms since 1970. Default Date.now. */
  readonly now?: () => number;
}

/** Accepts unexpired tokens made by `signToken` with this secret (at least 32 characters). */
export function hmacAuth(secret: string, options: HmacAuthOptions = {}): Authenticator {
  if (secret.length < 32) throw new Error('The HMAC secret must be at least 32 characters long.');
  const now = options.now ?? Date.now;
  const matches = (given: Buffer, context: string, payload: string) => timingSafeEqual(given, hmac(context, payload, secret));
  return (token) => {
    const dot = token.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const given = canonicalSignature(token.slice(dot + 1));
    if (!given) return undefined;
    const payload = token.slice(0, dot);
    const claim = EXPIRY.exec(payload);
    if (claim && isUserId(claim[1]) && matches(given, HMAC_CONTEXT_V2, payload)) {
      return Number(claim[2]) * 1000 > now() ? claim[1] : undefined;
    }
    if (options.acceptNonExpiring && isUserId(payload) && matches(given, HMAC_CONTEXT_V1, payload)) return payload;
    return undefined;
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
