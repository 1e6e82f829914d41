/**
 * Exactly-once under faults, on the server side: two clients push 1,000 ops in all through a proxy that drops
 * connections (before and after the server saw the request), answers 500s, delays and delivers requests twice. The
 * clients here are deliberately simple (resend the whole unacknowledged batch until it is acknowledged), so what is
 * checked is the server: every op applied once, in order, with no gaps and no false conflicts.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hmacAuth, signToken } from '../src/auth.js';
import { createServer } from '../src/server.js';
import { postgresStore } from '../src/sql/postgres.js';
import { sqliteStore } from '../src/sql/sqlite.js';
import type { ServerStore } from '../src/types.js';
import type { PullResponse, PushResponse } from 'scratchpad-store/protocol';
import { startFaultProxy } from './helpers/fault-proxy.js';
import { postgresFixture } from './helpers/postgres.js';
import { chainedOutbox, checkHistory } from './helpers/store-suite.js';

const SECRET = 'fault-test-secret-0123456789-0123456789';
const token = signToken('dana', SECRET);

const fixture = postgresFixture('scratchpad-faults-');

/** Sends until the server answers 200; network errors and 5xx are retried, anything else is a failure. */
async function send<T>(url: string, init: RequestInit): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(url, init);
    } catch {
      continue;
    }
    const text = await response.text().catch(() => undefined);
    if (response.status === 200 && text !== undefined) return JSON.parse(text) as T;
    if (response.status < 500 || attempt > 200) throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${text}`);
  }
}

describe.each([
  { name: 'SQLite', store: async (): Promise<ServerStore> => sqliteStore({ path: join(fixture.dir, 'faults.db') }) },
  { name: 'PostgreSQL', store: async (): Promise<ServerStore> => postgresStore({ connectionString: await fixture.cluster.createDatabase() }) },
])('exactly-once through a faulty proxy on $name', ({ store }) => {
  it('applies each of 1,000 ops once', async () => {
    const server = createServer({ store: await store(), auth: hmacAuth(SECRET), log: () => undefined });
    const direct = (await server.listen(0)).url;
    const proxy = await startFaultProxy({ upstream: direct, seed: 20240611 });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    try {
      const perClient = 500;
      await Promise.all(
        [0, 1].map(async (c) => {
          const clientId = `client-${c}`;
          const outbox = chainedOutbox(clientId, c, perClient);
          while (outbox.length > 0) {
            const batch = outbox.slice(0, 1 + (outbox.length % 23));
            const response = await send<PushResponse>(`${proxy.url}/v1/sessions/shared/push`, { method: 'POST', headers, body: JSON.stringify({ clientId, ops: batch }) });
            for (const result of response.results) expect(result).not.toHaveProperty('conflict');
            while (outbox.length > 0 && outbox[0]!.mutationId <= response.lastMutationId) outbox.shift();
          }
        }),
      );
      // Every kind of fault happened.
      for (const count of Object.values(proxy.counts)) expect(count).toBeGreaterThan(0);

      const pulled: PullResponse['entries'][number][] = [];
      let since = '';
      for (;;) {
        const page = await send<PullResponse>(`${proxy.url}/v1/sessions/shared/pull?since=${since}&limit=150`, { headers });
        pulled.push(...page.entries);
        since = page.cursor;
        if (!page.more) break;
      }
      expect(pulled).toHaveLength(1000);
      const snapshot = await server.store.snapshot({ userId: 'dana', sessionId: 'shared', clientId: 'client-0' });
      expect(snapshot.lastMutationId).toBe(500);
      expect(snapshot.cursor).toBe('0.1000');
      const log = snapshot.sections.find((s) => s.section === 'log')!;
      const lines = log.content.split('\n');
      expect(lines).toHaveLength(900);
      expect(new Set(lines).size).toBe(900);
      // Each client's lines in its own order.
      for (const c of [0, 1]) {
        const mine = lines.filter((l) => l.startsWith(`client ${c} `)).map((l) => Number(l.split(' ').at(-1)));
        expect(mine).toEqual([...mine].sort((a, b) => a - b));
      }
      for (const c of [0, 1]) expect(snapshot.sections.find((s) => s.section === `state-${c}`)).toMatchObject({ content: `client ${c} state 499\n`, version: 50 });
      await checkHistory(server.store, 'dana', 'shared');
    } finally {
      await proxy.close();
      await server.close();
    }
  });
});
