/**
 * Issue 12, findings 8 and 10: only canonical HMAC signatures, tokens that expire, and a per-user rate limit answered
 * with 429 and Retry-After; against a real server on loopback and the real command.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacAuth, signToken } from '../src/auth.js';
import { createServer, type ScratchpadServer } from '../src/server.js';
import { sqliteStore } from '../src/sql/sqlite.js';
import { freePort } from './helpers/postgres.js';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = ['--import', 'tsx', join(ROOT, 'src/cli/index.ts')];
const SECRET = 'token-test-secret-0123456789-0123456789';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'scratchpad-tokens-'));
  writeFileSync(join(dir, 'secret'), `${SECRET}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What tokens looked like before expiry claims: `<userId>.<base64url HMAC over "scratchpad-store/v1:" + userId>`. */
const legacyToken = (userId: string) => `${userId}.${createHmac('sha256', SECRET).update(`scratchpad-store/v1:${userId}`).digest('base64url')}`;

async function started(options: Partial<Parameters<typeof createServer>[0]> = {}): Promise<{ server: ScratchpadServer; url: string }> {
  const server = createServer({ store: sqliteStore({ path: ':memory:' }), auth: hmacAuth(SECRET), log: () => undefined, ...options });
  return { server, url: (await server.listen(0)).url };
}

const status = async (url: string, token: string, sessionId = 'notes') =>
  (await fetch(`${url}/v1/sessions/${sessionId}/snapshot`, { headers: { authorization: `Bearer ${token}` } })).status;

describe('HMAC tokens', () => {
  let server: ScratchpadServer;
  let url: string;
  beforeAll(async () => ({ server, url } = await started()));
  afterAll(() => server.close());

  it('accept only the canonical spelling of the signature', async () => {
    const good = signToken('alice', SECRET);
    expect(await status(url, good)).toBe(200);
    const dot = good.lastIndexOf('.');
    const payload = good.slice(0, dot);
    const sig = good.slice(dot + 1);
    expect(sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The last character carries 4 bits of the signature and 2 unused ones: flip an unused bit.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(sig[42]!);
    const unusedBitFlipped = sig.slice(0, 42) + alphabet[last ^ 1]!;
    expect(Buffer.from(unusedBitFlipped, 'base64url').equals(Buffer.from(sig, 'base64url'))).toBe(true);
    const variants = [
      `${sig}=`,
      `${sig}==`,
      `${sig.slice(0, 10)}!${sig.slice(10)}`,
      `${sig.slice(0, 10)} ${sig.slice(10)}`,
      `${sig.slice(0, 20)}.${sig.slice(20)}`,
      unusedBitFlipped,
      Buffer.from(sig, 'base64url').toString('base64'), // standard alphabet, with padding
      sig.slice(0, 42),
      `${sig}A`,
    ];
    for (const variant of variants) {
      if (variant.includes(' ')) continue; // a space ends the bearer token in the header: checked below without HTTP
      expect([variant, await status(url, `${payload}.${variant}`)]).toEqual([variant, 401]);
    }
    const auth = hmacAuth(SECRET);
    for (const variant of variants) expect([variant, await auth(`${payload}.${variant}`)]).toEqual([variant, undefined]);
    expect(await auth(good)).toBe('alice');
  });

  it('expire: an expired token is refused; the claim cannot be edited', async () => {
    const now = Date.now();
    expect(await status(url, signToken('alice', SECRET, { expiresInMs: 3_600_000 }))).toBe(200);
    const expired = signToken('alice', SECRET, { now: now - 2 * 86_400_000, expiresInMs: 86_400_000 });
    expect(await status(url, expired)).toBe(401);
    // Moving the expiry forward breaks the signature.
    const [user, , sig] = expired.split('.');
    expect(await status(url, `${user}.${Math.floor(now / 1000) + 86_400}.${sig}`)).toBe(401);
    // The clock decides: the same token, checked by an authenticator whose clock is past its expiry.
    const token = signToken('alice', SECRET, { now, expiresInMs: 60_000 });
    expect(await hmacAuth(SECRET, { now: () => now + 59_000 })(token)).toBe('alice');
    expect(await hmacAuth(SECRET, { now: () => now + 61_000 })(token)).toBeUndefined();
    expect(() => signToken('alice', SECRET, { expiresInMs: 0 })).toThrow(/at least one second/);
  });

  it('refuse tokens without an expiry unless told to accept them; the two formats cannot be mistaken for each other', async () => {
    expect(await status(url, legacyToken('alice'))).toBe(401);
    const lenient = await started({ auth: hmacAuth(SECRET, { acceptNonExpiring: true }) });
    try {
      expect(await status(lenient.url, legacyToken('alice'))).toBe(200);
      expect(await status(lenient.url, signToken('alice', SECRET))).toBe(200);
      // A legacy token of the user "bob.99999999999" is that user's, not a token of "bob" valid until the year 5138.
      expect(await hmacAuth(SECRET, { acceptNonExpiring: true })(legacyToken('bob.99999999999'))).toBe('bob.99999999999');
      expect(await hmacAuth(SECRET)(legacyToken('bob.99999999999'))).toBeUndefined();
    } finally {
      await lenient.server.close();
    }
  });

  it('the command prints tokens with the asked lifetime', () => {
    const run = (args: string[]) => spawnSync(process.execPath, [...CLI, 'token', '--secret-file', join(dir, 'secret'), ...args], { cwd: ROOT, encoding: 'utf8' });
    const before = Math.floor(Date.now() / 1000);
    const printed = run(['--expires-in', '2h', 'carol']);
    expect(printed.status).toBe(0);
    const [user, expiry] = printed.stdout.trim().split('.');
    expect(user).toBe('carol');
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 7200);
    expect(Number(expiry)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 7200);
    expect(hmacAuth(SECRET)(printed.stdout.trim())).toBe('carol');
    const bad = run(['--expires-in', 'soon', 'carol']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--expires-in must look like 30d/);
  });
});

describe('rate limit per user', () => {
  it('answers 429 with Retry-After past the burst, per user', async () => {
    // One request per 100 s: the bucket cannot refill during the test, however slow the machine is.
    const { server, url } = await started({ rateLimit: { requestsPerSecond: 0.01, burst: 3 } });
    try {
      const alice = signToken('alice', SECRET);
      for (let i = 0; i < 3; i++) expect(await status(url, alice)).toBe(200);
      const limited = await fetch(`${url}/v1/sessions/notes/snapshot`, { headers: { authorization: `Bearer ${alice}` } });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(90);
      expect(await limited.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } });
      // Another user has a bucket of their own; unauthenticated requests and /healthz take nothing.
      expect(await status(url, signToken('bob', SECRET))).toBe(200);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('--rate-limit and --rate-burst on the command', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [...CLI, '--db', ':memory:', '--port', String(port), '--secret-file', join(dir, 'secret'), '--rate-limit', '0.01', '--rate-burst', '2'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      await new Promise<void>((ready, fail) => {
        let output = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('listening on')) ready();
        });
        void exited.then((code) => fail(new Error(`exited with ${code}`)));
      });
      const url = `http://127.0.0.1:${port}`;
      const dave = signToken('dave', SECRET);
      expect([await status(url, dave), await status(url, dave), await status(url, dave)]).toEqual([200, 200, 429]);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    const bad = spawnSync(process.execPath, [...CLI, '--db', ':memory:', '--secret-file', join(dir, 'secret'), '--rate-burst', '5'], { cwd: ROOT, encoding: 'utf8' });
    expect(bad.status).toBe(2);
  });
});
