/**
 * Issue 12, finding 10: httpSync waits as long as a throttled server's Retry-After says before it tries again, and
 * then syncs everything. Against the real server with a per-user rate limit, on loopback.
 */
import { describe, expect, it } from 'vitest';
import { createScratchpad, memoryStorage } from '../src/index.js';
import { createServer, hmacAuth, signToken } from '@scratchpad-store/server';
import { sqliteStore } from '@scratchpad-store/server/sqlite';
import { httpSync } from '../src/sync/index.js';

const SECRET = 'retry-after-test-secret-0123456789abcdef';

describe('httpSync and Retry-After', () => {
  it('does not retry before Retry-After after a 429, also when new changes come in', async () => {
    // One request per 2 s: the client's second request gets 429 with Retry-After: 1 or 2.
    const server = createServer({ store: sqliteStore({ path: ':memory:' }), auth: hmacAuth(SECRET), rateLimit: { requestsPerSecond: 0.5, burst: 1 }, log: () => undefined });
    const { url } = await server.listen(0);
    const log: { start: number; end: number; status: number; retryAfter: number | undefined }[] = [];
    const recording: typeof fetch = async (input, init) => {
      const start = Date.now();
      const response = await fetch(input, init);
      const header = response.headers.get('retry-after');
      log.push({ start, end: Date.now(), status: response.status, retryAfter: header === null ? undefined : Number(header) });
      return response;
    };
    const sp = createScratchpad({
      sessionId: 'throttled',
      storage: memoryStorage(),
      // Push and pull only: the event stream is a request of its own, whose reconnects have their own backoff.
      sync: httpSync({ url, token: signToken('alice', SECRET), fetch: recording, pullIntervalMs: 0, live: false }),
    });
    try {
      await sp.write('notes', 'a', 'one');
      await sp.write('notes', 'b', 'two');
      // Wait (without timing anything) until the client has been throttled once, then change more while it waits.
      while (!log.some((r) => r.status === 429)) await new Promise((r) => setTimeout(r, 20));
      await sp.write('notes', 'c', 'three');
      while (sp.syncStatus.pending > 0 || sp.syncStatus.state !== 'idle') await new Promise((r) => setTimeout(r, 50));

      const throttled = log.filter((r) => r.status === 429);
      expect(throttled.length).toBeGreaterThan(0);
      for (const r of throttled) {
        expect(r.retryAfter).toBeGreaterThanOrEqual(1);
        const next = log.find((n) => n.start >= r.end && n !== r);
        // A lower bound only: a slow machine makes the gap longer, never shorter.
        if (next) expect(next.start - r.end).toBeGreaterThanOrEqual(r.retryAfter! * 1000 - 5);
      }
      // Everything arrived, read from the store itself (alice's budget is spent).
      const stored = await server.store.snapshot({ userId: 'alice', sessionId: 'throttled', clientId: undefined });
      expect(stored.sections.map((s) => [s.section, s.content]).sort()).toEqual([['a', 'one'], ['b', 'two'], ['c', 'three']]);
    } finally {
      sp.close();
      await server.close();
    }
  }, 60_000);
});
