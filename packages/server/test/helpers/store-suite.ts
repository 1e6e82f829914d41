/**
 * The behaviour every `ServerStore` must have, run against each store with describe.each. A new store (Cosmos DB,
 * Blob Storage, …) plugs in with a `StoreFactory` and gets the same checks: exactly-once, merges, conflicts, append,
 * rejected ops, tenancy, literal names, restart, retention, paging and deletion.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPatch } from 'scratchpad-store/protocol';
import type { HistoryEntry } from 'scratchpad-store/protocol';
import { HttpError } from '../../src/errors.js';
import type { ServerLimits, ServerStore } from '../../src/types.js';
import type { SyncOp } from 'scratchpad-store/protocol';
import type { OpOutcome, PullResponse } from 'scratchpad-store/protocol';

export interface StoreDatabase {
  /** A store on this database; call again after closing the previous one to simulate a restart. */
  open(): Promise<ServerStore>;
}

export interface StoreFactory {
  readonly name: string;
  /** Once before the suite (e.g. start a database server). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** A new, empty database. */
  fresh(limits?: Partial<ServerLimits>): Promise<StoreDatabase>;
}

/** Builds ops for one client, numbering mutation ids from `next`. */
/**
 * One client's outbox for the exactly-once tests: appends to a shared log, and every tenth op a replace of the
 * client's own section chained on its previous replace, which may not be confirmed yet when it is made.
 */
export function chainedOutbox(clientId: string, c: number, count: number): SyncOp[] {
  const make = opsFor(clientId);
  const outbox: SyncOp[] = [];
  let lastReplace: number | undefined;
  for (let n = 0; n < count; n++) {
    if (n % 10 === 9) {
      const op = make.replace('pad', `state-${c}`, `client ${c} state ${n}\n`, 0, lastReplace === undefined ? {} : { baseMutationId: lastReplace });
      lastReplace = op.mutationId;
      outbox.push(op);
    } else outbox.push(make.append('pad', 'log', `client ${c} line ${n}`));
  }
  return outbox;
}

/**
 * Batch `b` of client `c` in the concurrent-push tests: every fifth op replaces a section all clients share, the next
 * appends to the client's own section, the rest append to a shared log.
 */
export function mixedBatch(ops: ReturnType<typeof opsFor>, c: number, b: number, perBatch: number): SyncOp[] {
  const batch: SyncOp[] = [];
  for (let i = 0; i < perBatch; i++) {
    const n = b * perBatch + i;
    if (n % 5 === 0) batch.push(ops.replace('pad', 'shared', `client ${c} wrote ${n}\n`, 0));
    else if (n % 5 === 1) batch.push(ops.append('pad', `own-${c}`, `line ${n}`));
    else batch.push(ops.append('pad', 'log', `client ${c} op ${n}`));
  }
  return batch;
}

export function opsFor(clientId: string, start = 1) {
  let next = start;
  const make = (kind: SyncOp['kind'], pad: string, section: string, content: string, baseVersion: number, extra: Partial<SyncOp> = {}): SyncOp => ({
    clientId,
    mutationId: next++,
    pad,
    section,
    kind,
    content,
    baseVersion,
    agent: 'agent',
    timestamp: 1_700_000_000_000 + next,
    ...extra,
  });
  return {
    replace: (pad: string, section: string, content: string, baseVersion: number, extra?: Partial<SyncOp>) => make('replace', pad, section, content, baseVersion, extra),
    append: (pad: string, section: string, content: string, baseVersion = 0, extra?: Partial<SyncOp>) => make('append', pad, section, content, baseVersion, extra),
    delete: (pad: string, section: string, baseVersion: number, extra?: Partial<SyncOp>) => make('delete', pad, section, '', baseVersion, extra),
    get next() {
      return next;
    },
  };
}

/** Every entry of the session, following `more` pages. */
export async function pullAll(store: ServerStore, userId: string, sessionId: string, clientId?: string, limit = 1000): Promise<PullResponse & { pages: number }> {
  let since: string | undefined;
  const entries: HistoryEntry[] = [];
  let last: PullResponse | undefined;
  let pages = 0;
  for (;;) {
    last = await store.pull({ userId, sessionId, since, clientId, limit });
    pages++;
    entries.push(...last.entries);
    since = last.cursor;
    if (!last.more) break;
  }
  return { ...last, entries, pages };
}

/**
 * Replays each section's history from empty and checks it: versions 1..n without gaps, every patch applies, and the
 * last version's content is the section's current content. Returns the content of every version.
 */
export async function checkHistory(store: ServerStore, userId: string, sessionId: string): Promise<Map<string, string[]>> {
  const pulled = await pullAll(store, userId, sessionId);
  const snapshot = await store.snapshot({ userId, sessionId, clientId: undefined });
  const bySection = new Map<string, HistoryEntry[]>();
  for (const entry of pulled.entries) {
    const key = `${entry.pad}/${entry.section}`;
    bySection.set(key, [...(bySection.get(key) ?? []), entry]);
  }
  const versions = new Map<string, string[]>();
  for (const [key, entries] of bySection) {
    entries.sort((a, b) => a.version - b.version);
    expect(entries.map((e) => e.version)).toEqual(entries.map((_, i) => i + 1));
    const contents: string[] = [];
    let text = '';
    for (const entry of entries) {
      text = applyPatch(text, entry.patch);
      contents.push(text);
    }
    const row = snapshot.sections.find((s) => `${s.pad}/${s.section}` === key)!;
    expect(row.version).toBe(entries.length);
    expect(row.content).toBe(text);
    versions.set(key, contents);
  }
  return versions;
}

const statusOf = (outcomes: readonly OpOutcome[]) => outcomes.map((o) => o.status);

async function expectHttpError(promise: Promise<unknown>, status: number, code?: string): Promise<HttpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpError);
  const http = error as HttpError;
  expect(http.status).toBe(status);
  if (code) expect(http.code).toBe(code);
  return http;
}

export function runStoreSuite(factories: readonly StoreFactory[]): void {
  describe.each(factories)('$name store', (factory) => {
    beforeAll(() => factory.start(), 120_000);
    afterAll(() => factory.stop(), 60_000);

    const open = async (limits?: Partial<ServerLimits>) => {
      const db = await factory.fresh(limits);
      const store = await db.open();
      return { db, store };
    };

    it('applies ops in order with versions 1..n and reports them', async () => {
      const { store } = await open();
      const a = opsFor('c1');
      const response = await store.push({
        userId: 'alice',
        sessionId: 's',
        clientId: 'c1',
        ops: [a.replace('p', 's', 'one\n', 0), a.append('p', 's', 'two', 1), a.replace('q', 'r', 'x', 0)],
      });
      expect(response).toEqual({
        lastMutationId: 3,
        results: [
          { mutationId: 1, status: 'applied', version: 1 },
          { mutationId: 2, status: 'applied', version: 2 },
          { mutationId: 3, status: 'applied', version: 1 },
        ],
      });
      const pulled = await store.pull({ userId: 'alice', sessionId: 's', since: undefined, clientId: 'c1', limit: 100 });
      expect(pulled.entries.map((e) => [e.pad, e.section, e.version, e.op])).toEqual([
        ['p', 's', 1, 'write_replace'],
        ['p', 's', 2, 'write_append'],
        ['q', 'r', 1, 'write_replace'],
      ]);
      expect(pulled.cursor).toBe('0.3');
      expect(pulled.lastMutationId).toBe(3);
      expect(pulled.sections.find((s) => s.pad === 'p')).toMatchObject({ content: 'one\ntwo', version: 2, deleted: false, updatedBy: 'agent' });
      await checkHistory(store, 'alice', 's');
      await store.close();
    });

    it('skips a duplicate push and the already-applied part of a retried batch', async () => {
      const { store } = await open();
      const a = opsFor('c1');
      const batch = [a.append('p', 's', 'l1'), a.append('p', 's', 'l2'), a.append('p', 's', 'l3')];
      await store.push({ userId: 'u', sessionId: 's', clientId: 'c1', ops: batch });
      const again = await store.push({ userId: 'u', sessionId: 's', clientId: 'c1', ops: batch });
      expect(again.lastMutationId).toBe(3);
      expect(statusOf(again.results)).toEqual(['duplicate', 'duplicate', 'duplicate']);

      // A retry that overlaps: the first two were applied, the rest are new.
      const more = [a.append('p', 's', 'l4'), a.append('p', 's', 'l5')];
      const retried = await store.push({ userId: 'u', sessionId: 's', clientId: 'c1', ops: [...batch.slice(1), ...more] });
      expect(statusOf(retried.results)).toEqual(['duplicate', 'duplicate', 'applied', 'applied']);
      expect(retried.lastMutationId).toBe(5);

      const snapshot = await store.snapshot({ userId: 'u', sessionId: 's', clientId: 'c1' });
      expect(snapshot.sections[0]).toMatchObject({ content: 'l1\nl2\nl3\nl4\nl5', version: 5 });
      expect(snapshot.lastMutationId).toBe(5);
      expect((await pullAll(store, 'u', 's')).entries).toHaveLength(5);
      await store.close();
    });

    it('refuses a gap in mutation ids with 409 and applies nothing', async () => {
      const { store } = await open();
      const a = opsFor('c1');
      await store.push({ userId: 'u', sessionId: 's', clientId: 'c1', ops: [a.append('p', 's', 'one')] });
      a.append('p', 's', 'lost'); // mutation 2 never arrives
      const gap = [a.append('p', 's', 'three'), a.append('p', 's', 'four')];
      const error = await expectHttpError(store.push({ userId: 'u', sessionId: 's', clientId: 'c1', ops: gap }), 409, 'MUTATION_GAP');
      expect(error.message).toContain('up to 1');

      // A first push that does not start at 1 is a gap too.
      const b = opsFor('c2', 5);
      await expectHttpError(store.push({ userId: 'u', sessionId: 's', clientId: 'c2', ops: [b.append('p', 's', 'x')] }), 409, 'MUTATION_GAP');

      const snapshot = await store.snapshot({ userId: 'u', sessionId: 's', clientId: 'c1' });
      expect(snapshot).toMatchObject({ cursor: '0.1', lastMutationId: 1 });
      expect(snapshot.sections[0]).toMatchObject({ content: 'one', version: 1 });
      expect((await store.snapshot({ userId: 'u', sessionId: 's', clientId: 'c2' })).lastMutationId).toBe(0);
      await store.close();
    });

    it('refuses a batch that is not consecutive or carries another client id, with 400', async () => {
      const { store } = await open();
      const a = opsFor('c1');
      const one = a.append('p', 's', 'one');
      const two = a.append('p', 's', 'two');
      await expectHttpError(store.push({ userId: 'u', sessionId: 's', clientId: 'c1', ops: [two, one] }), 400);
      await expectHttpError(store.push({ userId: 'u', sessionId: 's', clientId: 'c1', ops: [one, { ...two, clientId: 'c9' }] }), 400);
      expect((await store.snapshot({ userId: 'u', sessionId: 's', clientId: 'c1' })).sections).toEqual([]);
      await store.close();
    });

    it('applies an append on top of whatever is current, with the append rule', async () => {
      const { store } = await open();
      const a = opsFor('a');
      const b = opsFor('b');
      await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops: [a.replace('p', 's', 'first', 0)] });
      // b never saw version 1: its append still lands after it, separated by one newline.
      const result = await store.push({ userId: 'u', sessionId: 's', clientId: 'b', ops: [b.append('p', 's', 'second', 0)] });
      expect(result.results[0]).toEqual({ mutationId: 1, status: 'applied', version: 2 });
      await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops: [a.replace('p', 's', 'first\nedited\n', 1)] });
      await store.push({ userId: 'u', sessionId: 's', clientId: 'b', ops: [b.append('p', 's', 'third', 1)] });
      const snapshot = await store.snapshot({ userId: 'u', sessionId: 's', clientId: undefined });
      expect(snapshot.sections[0]!.content).toBe('first\nedited\nthird');
      await checkHistory(store, 'u', 's');
      await store.close();
    });

    it('merges a stale replace cleanly when the changes touch different lines', async () => {
      const { store } = await open();
      const a = opsFor('a');
      const b = opsFor('b');
      await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops: [a.replace('p', 's', 'one\ntwo\nthree\n', 0)] });
      await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops: [a.replace('p', 's', 'ONE\ntwo\nthree\n', 1)] });
      // b edits version 1, not knowing about version 2.
      const result = await store.push({ userId: 'u', sessionId: 's', clientId: 'b', ops: [b.replace('p', 's', 'one\ntwo\nTHREE\n', 1)] });
      expect(result.results[0]).toEqual({ mutationId: 1, status: 'applied', version: 3 });
      const pulled = await pullAll(store, 'u', 's');
      expect(pulled.sections[0]!.content).toBe('ONE\ntwo\nTHREE\n');
      expect(pulled.entries.some((e) => e.conflict)).toBe(false);
      await checkHistory(store, 'u', 's');
      await store.close();
    });

    it('applies an unclean stale replace (last writer wins), marks it conflict, and keeps both sides in history', async () => {
      const { store } = await open();
      const a = opsFor('a');
      const b = opsFor('b');
      await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops: [a.replace('p', 's', 'one\ntwo\nthree\n', 0)] });
      await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops: [a.replace('p', 's', 'one\ntwo by a\nthree\n', 1)] });
      const result = await store.push({ userId: 'u', sessionId: 's', clientId: 'b', ops: [b.replace('p', 's', 'one\ntwo by b\nthree\n', 1)] });
      expect(result.results[0]).toEqual({ mutationId: 1, status: 'applied', version: 3, conflict: true });

      const pulled = await pullAll(store, 'u', 's');
      expect(pulled.sections[0]!.content).toBe('one\ntwo by b\nthree\n');
      expect(pulled.entries.map((e) => e.conflict ?? false)).toEqual([false, false, true]);
      const versions = await checkHistory(store, 'u', 's');
      expect(versions.get('p/s')).toEqual(['one\ntwo\nthree\n', 'one\ntwo by a\nthree\n', 'one\ntwo by b\nthree\n']);
      await store.close();
    });

    it('resolves baseMutationId to the version that op produced on the server', async () => {
      const { store } = await open();
      const a = opsFor('a');
      const b = opsFor('b');
      await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops: [a.replace('p', 's', 'x\nmid\nz\n', 0)] });
      await store.push({ userId: 'u', sessionId: 's', clientId: 'b', ops: [b.append('p', 's', 'from b')] });
      // a's second op was made on its first, unconfirmed when made: its baseVersion is only a guess.
      const result = await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops: [a.replace('p', 's', 'X\nmid\nz\n', 7, { baseMutationId: 1 })] });
      expect(result.results[0]).toEqual({ mutationId: 2, status: 'applied', version: 3 });
      expect((await store.snapshot({ userId: 'u', sessionId: 's', clientId: undefined })).sections[0]!.content).toBe('X\nmid\nz\nfrom b');
      // Without the lookup, version 7 (which does not exist) could not be merged: last writer wins, marked conflict.
      const guess = await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops: [a.replace('p', 's', 'guess\n', 7)] });
      expect(guess.results[0]).toEqual({ mutationId: 3, status: 'applied', version: 4, conflict: true });
      await store.close();
    });

    it('marks rejected ops processed so they never block the ops after them', async () => {
      const { store } = await open({ maxSectionBytes: 64, maxNameLength: 16 });
      const a = opsFor('c1');
      const ops = [
        a.replace('pad\u0007', 's', 'bell', 0),
        a.replace('p', 'x'.repeat(17), 'long name', 0),
        a.replace('p', 's', 'y'.repeat(65), 0),
        a.append('p', 's', 'z'.repeat(65)),
        a.delete('p', 'missing', 0),
        a.replace('p', 's', 'nul\u0000', 0),
        a.replace('p', 's', 'lone \ud800 surrogate', 0),
        a.replace('p', 's', 'ok', 0, { agent: 'bad\nagent' }),
        a.replace('', 's', 'empty pad', 0),
        a.replace('p', 's', 'fine', 0),
      ];
      const result = await store.push({ userId: 'u', sessionId: 's', clientId: 'c1', ops });
      expect(result.lastMutationId).toBe(10);
      const codes = result.results.map((r) => (r.status === 'rejected' ? r.error.code : r.status));
      expect(codes).toEqual([
        'INVALID_NAME',
        'INVALID_NAME',
        'TOO_LARGE',
        'TOO_LARGE',
        'NOT_FOUND',
        'INVALID_ARGUMENT',
        'INVALID_ARGUMENT',
        'INVALID_NAME',
        'INVALID_NAME',
        'applied',
      ]);
      for (const r of result.results) if (r.status === 'rejected') expect(r.error.message.length).toBeGreaterThan(0);
      // Retried: all processed, nothing applied twice.
      const retried = await store.push({ userId: 'u', sessionId: 's', clientId: 'c1', ops });
      expect(new Set(statusOf(retried.results))).toEqual(new Set(['duplicate']));
      const snapshot = await store.snapshot({ userId: 'u', sessionId: 's', clientId: 'c1' });
      expect(snapshot.sections).toHaveLength(1);
      expect(snapshot.sections[0]).toMatchObject({ pad: 'p', section: 's', content: 'fine', version: 1 });
      expect(snapshot.lastMutationId).toBe(10);
      await store.close();
    });

    it('stores names that look like SQL literally', async () => {
      const { store } = await open();
      const a = opsFor('c1');
      const names = [
        ["'; DROP TABLE sp_history; --", 'Robert"); DELETE FROM sp_sections; --'],
        ['1 OR 1=1', "' UNION SELECT user_id FROM sp_sessions --"],
        ['%', '_'],
        ['$1', '\\x00'],
      ] as const;
      const ops = names.map(([pad, section]) => a.replace(pad, section, `content of ${pad}`, 0));
      const result = await store.push({ userId: 'u', sessionId: "s'; --", clientId: 'c1', ops });
      expect(statusOf(result.results)).toEqual(['applied', 'applied', 'applied', 'applied']);
      const snapshot = await store.snapshot({ userId: 'u', sessionId: "s'; --", clientId: undefined });
      expect(snapshot.sections.map((s) => [s.pad, s.section, s.content]).sort()).toEqual(names.map(([p, s]) => [p, s, `content of ${p}`]).sort());
      // Wildcards matched nothing else: each name reaches only its own section.
      const again = await store.push({ userId: 'u', sessionId: "s'; --", clientId: 'c1', ops: [a.replace('%', '_', 'changed', 1)] });
      expect(again.results[0]).toMatchObject({ status: 'applied', version: 2 });
      expect((await pullAll(store, 'u', "s'; --")).entries).toHaveLength(5);
      await checkHistory(store, 'u', "s'; --");
      await store.close();
    });

    it('keys sessions by user and session id, and keeps each client id to its user and session', async () => {
      const { store } = await open();
      const a = opsFor('alice-client');
      await store.push({ userId: 'alice', sessionId: 'default', clientId: 'alice-client', ops: [a.replace('p', 's', 'alice private text', 0)] });

      // mallory's session 'default' is her own: she neither sees nor touches alice's, and nobody squats a name.
      const m = opsFor('mallory-client');
      const pushed = await store.push({ userId: 'mallory', sessionId: 'default', clientId: 'mallory-client', ops: [m.replace('p', 's', 'mallory text', 0)] });
      expect(pushed.results[0]).toMatchObject({ status: 'applied', version: 1 });
      const malloryPull = await store.pull({ userId: 'mallory', sessionId: 'default', since: undefined, clientId: 'mallory-client', limit: 10 });
      expect(malloryPull.entries.map((e) => [e.sessionId, e.pad, e.section, e.version])).toEqual([['default', 'p', 's', 1]]);
      expect(JSON.stringify(malloryPull)).not.toMatch(/alice/);
      expect(await store.deleteSession({ userId: 'mallory', sessionId: 'default' })).toMatchObject({ deleted: true });
      const alicePull = await store.pull({ userId: 'alice', sessionId: 'default', since: undefined, clientId: 'alice-client', limit: 10 });
      expect(alicePull.entries.map((e) => [e.sessionId, e.version])).toEqual([['default', 1]]);
      expect(alicePull.sections[0]).toMatchObject({ content: 'alice private text', version: 1 });
      expect(alicePull.lastMutationId).toBe(1);

      const attempts: (() => Promise<unknown>)[] = [
        // alice's client id on mallory's own session, and to read alice's lastMutationId.
        () => store.push({ userId: 'mallory', sessionId: 'mallory-session', clientId: 'alice-client', ops: [{ ...m.replace('p', 's', 'x', 0), clientId: 'alice-client', mutationId: 2 }] }),
        () => store.snapshot({ userId: 'mallory', sessionId: 'mallory-session', clientId: 'alice-client' }),
        () => store.pull({ userId: 'mallory', sessionId: 'mallory-session', since: undefined, clientId: 'alice-client', limit: 10 }),
        // The same client id under the same session name of another user is another user's client.
        () => store.snapshot({ userId: 'mallory', sessionId: 'default', clientId: 'alice-client' }),
      ];
      for (const attempt of attempts) {
        const error = await expectHttpError(attempt(), 403, 'FORBIDDEN');
        expect(JSON.stringify(error.toJSON())).not.toMatch(/alice|private/);
      }
      // Even alice may not move a client id to another session: its mutation ids belong to the first one.
      await expectHttpError(
        store.push({ userId: 'alice', sessionId: 'other', clientId: 'alice-client', ops: [{ ...a.replace('p', 's', 'x', 0) }] }),
        403,
        'FORBIDDEN',
      );
      const snapshot = await store.snapshot({ userId: 'alice', sessionId: 'default', clientId: 'alice-client' });
      expect(snapshot.sections[0]).toMatchObject({ content: 'alice private text', version: 1 });
      expect(snapshot.lastMutationId).toBe(1);
      // mallory's failed pushes claimed nothing.
      expect((await store.snapshot({ userId: 'mallory', sessionId: 'mallory-session', clientId: undefined })).sections).toEqual([]);
      await store.close();
    });

    it('loses nothing it acknowledged when the store is closed and opened again', async () => {
      const { db, store } = await open();
      const a = opsFor('c1');
      for (let i = 0; i < 20; i++) {
        await store.push({ userId: 'u', sessionId: 's', clientId: 'c1', ops: [a.append('p', `s${i % 3}`, `line ${i}`), a.replace('q', 'r', `v${i}\n`, i)] });
      }
      const before = await pullAll(store, 'u', 's', 'c1');
      await store.close();
      await expect(store.snapshot({ userId: 'u', sessionId: 's', clientId: undefined })).rejects.toThrow();

      const reopened = await db.open();
      const after = await pullAll(reopened, 'u', 's', 'c1');
      expect(after.entries).toEqual(before.entries);
      expect(after.lastMutationId).toBe(40);
      const next = await reopened.push({ userId: 'u', sessionId: 's', clientId: 'c1', ops: [a.append('p', 's0', 'after restart')] });
      expect(next.results[0]).toMatchObject({ status: 'applied', version: 8 });
      await checkHistory(reopened, 'u', 's');
      await reopened.close();
    });

    it('pages pulls, and reports lastMutationId only for ops whose entries were delivered', async () => {
      const { store } = await open();
      const a = opsFor('c1');
      await store.push({ userId: 'u', sessionId: 's', clientId: 'c1', ops: Array.from({ length: 7 }, (_, i) => a.append('p', 's', `l${i}`)) });
      const first = await store.pull({ userId: 'u', sessionId: 's', since: undefined, clientId: 'c1', limit: 3 });
      expect(first).toMatchObject({ cursor: '0.3', more: true, lastMutationId: 3 });
      expect(first.entries.map((e) => e.version)).toEqual([1, 2, 3]);
      const second = await store.pull({ userId: 'u', sessionId: 's', since: first.cursor, clientId: 'c1', limit: 3 });
      expect(second).toMatchObject({ cursor: '0.6', more: true, lastMutationId: 6 });
      const third = await store.pull({ userId: 'u', sessionId: 's', since: second.cursor, clientId: 'c1', limit: 3 });
      expect(third).toMatchObject({ cursor: '0.7', more: false, lastMutationId: 7 });
      const empty = await store.pull({ userId: 'u', sessionId: 's', since: third.cursor, clientId: 'c1', limit: 3 });
      expect(empty).toMatchObject({ cursor: '0.7', more: false, entries: [], sections: [] });
      await expectHttpError(store.pull({ userId: 'u', sessionId: 's', since: '99', clientId: undefined, limit: 3 }), 410, 'CURSOR_EXPIRED');
      await expectHttpError(store.pull({ userId: 'u', sessionId: 's', since: 'abc', clientId: undefined, limit: 3 }), 400);
      // A session nobody wrote yet: empty, not an error.
      expect(await store.pull({ userId: 'u', sessionId: 'new', since: undefined, clientId: undefined, limit: 3 })).toEqual({
        cursor: '0.0',
        epoch: 0,
        entries: [],
        sections: [],
        lastMutationId: 0,
        more: false,
      });
      await store.close();
    });

    it('cuts a pull page short when the sections it carries get large', async () => {
      const { store } = await open({ maxSectionBytes: 4 * 1024 * 1024, maxPageBytes: 16 * 1024 * 1024 });
      const a = opsFor('c1');
      const big = (c: string) => `${c.repeat(3_500_000)}\n`;
      await store.push({ userId: 'u', sessionId: 's', clientId: 'c1', ops: [a.replace('p', 'a', big('a'), 0), a.replace('p', 'b', big('b'), 0), a.replace('p', 'c', big('c'), 0), a.append('p', 'a', 'tail')] });
      const first = await store.pull({ userId: 'u', sessionId: 's', since: undefined, clientId: 'c1', limit: 100 });
      expect(first.entries.map((e) => e.section)).toEqual(['a', 'b']);
      expect(first.sections.map((s) => s.section)).toEqual(['a', 'b']);
      expect(first).toMatchObject({ more: true, cursor: '0.2', lastMutationId: 2 });
      const second = await store.pull({ userId: 'u', sessionId: 's', since: first.cursor, clientId: 'c1', limit: 100 });
      expect(second.entries.map((e) => [e.section, e.version])).toEqual([
        ['c', 1],
        ['a', 2],
      ]);
      expect(second).toMatchObject({ more: false, cursor: '0.4', lastMutationId: 4 });
      await store.close();
    });

    it('deletes sections: a stale delete is marked conflict, a re-created section continues its versions', async () => {
      const { store } = await open();
      const a = opsFor('a');
      const b = opsFor('b');
      await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops: [a.replace('p', 's', 'text', 0), a.replace('p', 't', 'x', 0)] });
      await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops: [a.replace('p', 's', 'text 2', 1)] });
      const deleted = await store.push({ userId: 'u', sessionId: 's', clientId: 'b', ops: [b.delete('p', 's', 1), b.delete('p', 't', 1)] });
      expect(deleted.results).toEqual([
        { mutationId: 1, status: 'applied', version: 3, conflict: true },
        { mutationId: 2, status: 'applied', version: 2 },
      ]);
      const again = await store.push({ userId: 'u', sessionId: 's', clientId: 'b', ops: [b.delete('p', 's', 3), b.replace('p', 's', 'back', 3)] });
      expect(again.results[0]).toMatchObject({ status: 'rejected', error: { code: 'NOT_FOUND' } });
      expect(again.results[1]).toEqual({ mutationId: 4, status: 'applied', version: 4 });
      const snapshot = await store.snapshot({ userId: 'u', sessionId: 's', clientId: undefined });
      expect(snapshot.sections.map((s) => [s.section, s.content, s.version, s.deleted])).toEqual([
        ['s', 'back', 4, false],
        ['t', '', 2, true],
      ]);
      const versions = await checkHistory(store, 'u', 's');
      expect(versions.get('p/s')).toEqual(['text', 'text 2', '', 'back']);
      await store.close();
    });

    it('merges against old versions rebuilt from checkpoints and prefix anchors', async () => {
      const { store } = await open({ checkpointEvery: 4 });
      const a = opsFor('a');
      const b = opsFor('b');
      const ops: SyncOp[] = [a.replace('p', 's', 'head\n', 0)];
      for (let i = 0; i < 12; i++) ops.push(a.append('p', 's', `line ${i}\n`));
      for (let i = 0; i < 9; i++) ops.push(a.replace('p', 's', `head ${i}\n` + Array.from({ length: 12 }, (_, j) => `line ${j}\n`).join(''), 0, { baseMutationId: ops.length }));
      const pushed = await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops });
      expect(pushed.results.every((r) => r.status === 'applied' && !('conflict' in r))).toBe(true);
      // b's edit of line 3, made on version 7 (inside the run of appends): merges with every later change.
      const base = 'head\n' + Array.from({ length: 6 }, (_, j) => `line ${j}\n`).join('');
      const result = await store.push({ userId: 'u', sessionId: 's', clientId: 'b', ops: [b.replace('p', 's', base.replace('line 3\n', 'LINE 3\n'), 7)] });
      expect(result.results[0]).toEqual({ mutationId: 1, status: 'applied', version: 23 });
      const snapshot = await store.snapshot({ userId: 'u', sessionId: 's', clientId: undefined });
      expect(snapshot.sections[0]!.content).toBe('head 8\n' + Array.from({ length: 12 }, (_, j) => (j === 3 ? 'LINE 3\n' : `line ${j}\n`)).join(''));
      await checkHistory(store, 'u', 's');
      await store.close();
    });

    it('drops history older than the retention age, keeps later versions rebuildable, and gives late pulls a base', async () => {
      const { store } = await open({ checkpointEvery: 3 });
      const a = opsFor('a');
      const b = opsFor('b');
      const day = 86_400_000;
      const t0 = 1_800_000_000_000;
      const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i}\n`).join('');
      // Ten old versions of 'p/s', one old version of 'p/old' (its current version, so it stays).
      for (let i = 1; i <= 10; i++) await store.push({ userId: 'u', sessionId: 's', clientId: 'a', now: t0, ops: [a.replace('p', 's', lines(i), i - 1)] });
      await store.push({ userId: 'u', sessionId: 's', clientId: 'a', now: t0, ops: [a.replace('p', 'old', 'kept', 0)] });
      for (let i = 11; i <= 13; i++) await store.push({ userId: 'u', sessionId: 's', clientId: 'a', now: t0 + 10 * day, ops: [a.replace('p', 's', lines(i), i - 1)] });
      const cursorBefore = (await store.pull({ userId: 'u', sessionId: 's', since: undefined, clientId: undefined, limit: 3 })).cursor;

      const report = await store.prune({ maxAgeMs: 5 * day, now: t0 + 10 * day });
      expect(report).toEqual({ sessions: 1, sections: 1, entriesDropped: 10 });
      expect(await store.prune({ maxAgeMs: 5 * day, now: t0 + 10 * day })).toEqual({ sessions: 0, sections: 0, entriesDropped: 0 });

      // A device joining now gets every kept entry, and the content of the first kept version of 'p/s' to start from.
      const late = await store.pull({ userId: 'u', sessionId: 's', since: undefined, clientId: undefined, limit: 100 });
      expect(late.entries.map((e) => [e.section, e.version])).toEqual([
        ['old', 1],
        ['s', 11],
        ['s', 12],
        ['s', 13],
      ]);
      expect(late.bases).toEqual([{ pad: 'p', section: 's', version: 11, content: lines(11) }]);
      // So does a device whose cursor is older than what retention dropped: no 410, a base instead.
      const behind = await store.pull({ userId: 'u', sessionId: 's', since: cursorBefore, clientId: undefined, limit: 100 });
      expect(behind.entries.map((e) => [e.section, e.version])).toEqual([
        ['old', 1],
        ['s', 11],
        ['s', 12],
        ['s', 13],
      ]);
      expect(behind.bases).toEqual([{ pad: 'p', section: 's', version: 11, content: lines(11) }]);
      const snapshot = await store.snapshot({ userId: 'u', sessionId: 's', clientId: undefined });
      expect(snapshot.sections.map((s) => [s.section, s.version])).toEqual([
        ['old', 1],
        ['s', 13],
      ]);
      const fromSnapshot = await store.pull({ userId: 'u', sessionId: 's', since: snapshot.cursor, clientId: undefined, limit: 100 });
      expect(fromSnapshot.entries).toEqual([]);
      // Pulling from a cursor after the dropped entries (seq 1-10) still works: 'p/old' was seq 11.
      const kept = await store.pull({ userId: 'u', sessionId: 's', since: '0.10', clientId: undefined, limit: 100 });
      expect(kept.entries.map((e) => [e.section, e.version])).toEqual([
        ['old', 1],
        ['s', 11],
        ['s', 12],
        ['s', 13],
      ]);

      // Version 11 is the first kept: a stale edit made on it still merges (its base is rebuilt from the new snapshot).
      const edited = lines(11).replace('line 0\n', 'LINE 0\n');
      const result = await store.push({ userId: 'u', sessionId: 's', clientId: 'b', now: t0 + 10 * day, ops: [b.replace('p', 's', edited, 11)] });
      expect(result.results[0]).toEqual({ mutationId: 1, status: 'applied', version: 14 });
      // An edit made on a dropped version cannot be merged: it applies as the last writer, marked conflict.
      const stale = await store.push({ userId: 'u', sessionId: 's', clientId: 'b', now: t0 + 10 * day, ops: [b.replace('p', 's', 'from v3\n', 3)] });
      expect(stale.results[0]).toEqual({ mutationId: 2, status: 'applied', version: 15, conflict: true });
      const final = await store.snapshot({ userId: 'u', sessionId: 's', clientId: undefined });
      expect(final.sections.find((s) => s.section === 's')!.content).toBe('from v3\n');
      await store.close();
    });

    it('orders snapshot sections by pad, then section, in code point order (SQL on UTF-8 bytes), and pull sections as their entries first touch them', async () => {
      const { store } = await open();
      const a = opsFor('c1');
      // Code unit order (JavaScript's <) puts U+1F600 (a surrogate pair, D83D DE00) before U+FF01; code points do not.
      const names = ['\u{1F600}', 'b', '\uFF01', 'A', 'a', 'ab', 'a\u00e9', '\u00e9'];
      const ops = names.flatMap((pad, i) => [a.replace(pad, names[(i + 3) % names.length]!, `${i}`, 0), a.replace(pad, names[(i + 5) % names.length]!, `${i}`, 0)]);
      await store.push({ userId: 'u', sessionId: 's', clientId: 'c1', ops });
      const byCodePoint = (x: string, y: string) => {
        const [p, q] = [[...x].map((c) => c.codePointAt(0)!), [...y].map((c) => c.codePointAt(0)!)];
        for (let i = 0; i < Math.min(p.length, q.length); i++) if (p[i] !== q[i]) return p[i]! - q[i]!;
        return p.length - q.length;
      };
      const expected = ops.map((o) => [o.pad, o.section]).sort((x, y) => byCodePoint(x[0]!, y[0]!) || byCodePoint(x[1]!, y[1]!));
      const snapshot = await store.snapshot({ userId: 'u', sessionId: 's', clientId: undefined });
      expect(snapshot.sections.map((s) => [s.pad, s.section])).toEqual(expected);
      // The pin: the pad above U+FFFF comes last, after U+FF01.
      expect(expected.slice(-4).map((k) => k[0])).toEqual(['\uFF01', '\uFF01', '\u{1F600}', '\u{1F600}']);
      const pulled = await store.pull({ userId: 'u', sessionId: 's', since: undefined, clientId: undefined, limit: 5 });
      expect(pulled.entries.map((e) => [e.pad, e.section])).toEqual(ops.slice(0, 5).map((o) => [o.pad, o.section]));
      expect(pulled.sections.map((s) => [s.pad, s.section])).toEqual(ops.slice(0, 5).map((o) => [o.pad, o.section]));
      await store.close();
    });

    it('deletes a session for its owner; its clients go on without a gap; every old cursor and op learns of the reset', async () => {
      const { store } = await open();
      const a = opsFor('a');
      await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops: [a.replace('p', 's', 'one', 0), a.append('p', 's', 'two')] });
      const caughtUp = (await store.pull({ userId: 'u', sessionId: 's', since: undefined, clientId: undefined, limit: 10 })).cursor;
      expect(caughtUp).toBe('0.2');
      expect(await store.deleteSession({ userId: 'u', sessionId: 's' })).toEqual({ deleted: true, epoch: 1, cursor: '1.2' });
      expect(await store.deleteSession({ userId: 'u', sessionId: 'never-written' })).toMatchObject({ deleted: false });
      const snapshot = await store.snapshot({ userId: 'u', sessionId: 's', clientId: 'a' });
      expect(snapshot).toEqual({ cursor: '1.2', epoch: 1, sections: [], lastMutationId: 2 });
      // Caught up or not, a cursor from before the delete is told: 410 SESSION_RESET.
      await expectHttpError(store.pull({ userId: 'u', sessionId: 's', since: caughtUp, clientId: undefined, limit: 10 }), 410, 'SESSION_RESET');
      await expectHttpError(store.pull({ userId: 'u', sessionId: 's', since: '0', clientId: undefined, limit: 10 }), 410, 'SESSION_RESET');
      // An edit made on the deleted state never brings it back: rejected SESSION_RESET, and processed.
      const stale = await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops: [a.replace('p', 's', 'one\ntwo\nthree', 2, { epoch: 0 })] });
      expect(stale).toMatchObject({ lastMutationId: 3, results: [{ mutationId: 3, status: 'rejected', error: { code: 'SESSION_RESET' } }] });
      expect((await store.snapshot({ userId: 'u', sessionId: 's', clientId: undefined })).sections).toEqual([]);
      const next = await store.push({ userId: 'u', sessionId: 's', clientId: 'a', ops: [a.replace('p', 's', 'fresh', 0, { epoch: 1 })] });
      expect(next.results[0]).toEqual({ mutationId: 4, status: 'applied', version: 1 });
      const fresh = await store.pull({ userId: 'u', sessionId: 's', since: undefined, clientId: undefined, limit: 10 });
      expect(fresh).toMatchObject({ epoch: 1, cursor: '1.3', more: false });
      expect(fresh.entries.map((e) => [e.section, e.version])).toEqual([['s', 1]]);
      // Another user's session 's' is another session: this one is untouched by it.
      const other = await store.push({ userId: 'other', sessionId: 's', clientId: 'o', ops: [opsFor('o').replace('p', 's', 'x', 0)] });
      expect(other.results[0]).toMatchObject({ status: 'applied', version: 1 });
      expect((await store.snapshot({ userId: 'u', sessionId: 's', clientId: undefined })).sections[0]).toMatchObject({ content: 'fresh', version: 1 });
      await store.close();
    });
  });
}

/** What a client that retries sees of a store: each call again after a server fault, until it answers. */
export type Retrying = <T>(call: () => Promise<T>) => Promise<T>;

/** Retries a call after anything but a refusal (an HttpError below 500), as a client retries after a 5xx or a lost answer. */
export const retryFaults: Retrying = async (call) => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if ((error instanceof HttpError && error.status < 500) || attempt >= 30) throw error;
    }
  }
};

/** Everything a client can read of a session: the snapshot, and the pull from every cursor (or the error it gets). */
export async function readableState(store: ServerStore, userId: string, sessionId: string, clientId: string): Promise<unknown> {
  const snapshot = await store.snapshot({ userId, sessionId, clientId });
  const pulls: unknown[] = [];
  for (let since = 0; since <= Number(snapshot.cursor); since++) {
    try {
      const pages: PullResponse[] = [];
      let cursor = String(since);
      for (;;) {
        const page = await store.pull({ userId, sessionId, since: cursor, clientId, limit: 4 });
        pages.push(page);
        cursor = page.cursor;
        if (!page.more) break;
      }
      pulls.push(pages);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      pulls.push({ since, status: error.status, code: error.code });
    }
  }
  return { snapshot, pulls };
}

/**
 * Every kind of write a store makes, with large values (so that they are kept apart from the documents that name
 * them): creating a session, appends, merged and conflicting replaces, deletes of sections, large values replaced
 * and dropped, retention, deleting the session and writing to it again. Each call goes through `retry`. Returns what
 * a client can read at four points: the same on every store, whatever faults the calls met.
 */
export async function writeEveryKind(store: ServerStore, retry: Retrying): Promise<unknown[]> {
  const u = 'u';
  const s = 'every-kind';
  const a = opsFor('a');
  const b = opsFor('b');
  const day = 86_400_000;
  const t0 = 1_800_000_000_000;
  const big = (c: string, n = 300_000) => `${c.repeat(n)}\n`;
  const push = (clientId: string, ops: SyncOp[], now: number) => retry(() => store.push({ userId: u, sessionId: s, clientId, ops, now }));
  const seen: unknown[] = [];
  await push('a', [a.replace('p', 'big', big('x'), 0), a.replace('p', 'small', 'one\ntwo\nthree\n', 0), a.append('q', 'log', 'l1')], t0);
  await push('b', [b.append('p', 'big', 'tail'), b.replace('p', 'small', 'one\ntwo\nTHREE\n', 1), b.append('q', 'log', 'l2')], t0);
  await push('a', [a.replace('p', 'small', 'ONE\ntwo\nthree\n', 1), a.replace('p', 'big', big('y'), 2), a.delete('q', 'log', 2)], t0);
  seen.push(await readableState(store, u, s, 'a'));
  await push('a', [a.replace('p', 'big', 'small now\n', 3), a.replace('p', 'other', big('z', 100_000), 0)], t0 + 10 * day);
  await retry(() => store.prune({ maxAgeMs: 5 * day, now: t0 + 10 * day }));
  seen.push(await readableState(store, u, s, 'a'));
  await push('b', [b.replace('p', 'big', big('w'), 4), b.append('p', 'other', 'more')], t0 + 10 * day);
  expect(await retry(() => store.deleteSession({ userId: u, sessionId: s }))).toMatchObject({ deleted: true });
  seen.push(await readableState(store, u, s, 'b'));
  await push('b', [b.replace('p', 'big', big('v'), 0), b.append('p', 'big', 'after')], t0 + 11 * day);
  seen.push(await readableState(store, u, s, 'b'));
  return seen;
}
