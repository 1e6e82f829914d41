import { appendSeparator, type ChainRead, type ChangeShape, countLines, DEFAULT_DIFF_LIMITS, type HistoryEntry, type HistoryOp, isScratchpadError, type LiveSection, type OpOutcome, planChange, type PullResponse, type PushResponse, rebuildFromChain, ScratchpadError, type SectionBase, type SectionKey, type SectionRecord, type SnapshotRecord, type SnapshotResponse, type SyncOp, tailOf, validateName, validateTimestamp } from 'scratchpad-store/protocol';
import { HttpError, forbiddenClient, forbiddenSession } from '../errors.js';
import { mergeThreeWay } from './merge.js';
import type { ChangeFeed, HeadInput, PruneOptions, PruneReport, PullInput, PushInput, ServerLimits, ServerStore, SessionChange, SessionHead, SnapshotInput } from '../types.js';
import { sessionKey } from './tenancy.js';
import { sectionRow, type StoreTx, type TransactionRunner } from './tx.js';

/** Ops may carry the client's own history op for a replace (an edit, a revert, a prepend); additive to SyncOp. */
type IncomingOp = SyncOp & { readonly op?: HistoryOp };

/** Rows of one snapshot page at most (the byte budget usually cuts first). */
const SNAPSHOT_PAGE_ROWS = 1000;

/** A cursor as the reference server hands it out: `<epoch>.<seq>`. */
export function formatCursor(epoch: number, seq: number): string {
  return `${epoch}.${seq}`;
}

/** Characters an entry costs in a page and in the quota: its patch lines plus its fields. */
export function entryChars(entry: HistoryEntry): number {
  let n = 200;
  for (const hunk of entry.patch.hunks) for (const line of hunk.lines) n += line.length + 4;
  return n;
}

function snapshotChars(snapshot: SnapshotRecord): number {
  return (snapshot.content?.length ?? 0) + 64;
}

/** A change feed within one process: what every store reports of its own commits. */
export function localChangeFeed(): ChangeFeed & { publish(change: SessionChange): void } {
  const listeners = new Set<(change: SessionChange) => void>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    publish(change) {
      for (const listener of listeners) {
        try {
          listener(change);
        } catch {
          // One broken stream must not keep the others from their poke.
        }
      }
    },
  };
}

const REPLACE_OPS: ReadonlySet<HistoryOp> = new Set(['write_replace', 'write_prepend', 'edit', 'revert']);

export interface SqlStoreOptions {
  /**
   * One transaction per op instead of one per push. For backends whose transactions are bounded in size (a Cosmos DB
   * transactional batch holds at most 100 operations and 2 MB): each op's effects (section, history entry,
   * lastMutationId, seq) still commit together, and a push cut short by a failure is retried by its client, whose
   * applied ops are then duplicates.
   */
  readonly transactionPerOp?: boolean;
}

/**
 * The push, pull, snapshot and retention rules of the reference server, written once over `StoreTx` so that the
 * SQLite, PostgreSQL, Cosmos DB and Blob Storage stores behave the same.
 */
export function createSqlStore(
  kind: string,
  run: TransactionRunner,
  limits: ServerLimits,
  extra: {
    health(): Promise<void>;
    close(): Promise<void>;
    /** Reports a committed change (default: to this process only); `changes` is where they are heard. */
    publish?: (change: SessionChange) => void;
    changes?: ChangeFeed;
  },
  options: SqlStoreOptions = {},
): ServerStore {
  const local = localChangeFeed();
  const publish = extra.publish ?? local.publish;
  const changes = extra.changes ?? local;
  // Tenancy (tenancy.ts): below this point `sessionId` is the store's key for (user, session id); entries come back
  // under the client's own session id, and changes are announced under the user and the client's session id.
  const keyed = <T extends { userId: string; sessionId: string }>(input: T): T => ({ ...input, sessionId: sessionKey(input.userId, input.sessionId) });
  const announce = (raw: { userId: string; sessionId: string }, change: { epoch: number; cursor: string } | undefined) => {
    if (change) publish({ userId: raw.userId, sessionId: raw.sessionId, epoch: change.epoch, cursor: change.cursor });
  };
  return {
    kind,
    push: async (raw) => {
      const input = keyed(raw);
      const { response, change } = options.transactionPerOp
        ? await pushOpByOp(run, input, limits)
        : await run('write', (tx) => applyPush(tx, input, limits));
      announce(raw, change);
      return response;
    },
    pull: async (raw) => {
      const page = await run('read', (tx) => readPull(tx, keyed(raw), limits));
      return { ...page, entries: page.entries.map((entry) => ({ ...entry, sessionId: raw.sessionId })) };
    },
    snapshot: (raw) => run('read', (tx) => readSnapshot(tx, keyed(raw), limits)),
    head: (raw) => run('read', (tx) => readHead(tx, keyed(raw))),
    deleteSession: async (raw) => {
      const input = keyed(raw);
      const result = await run('write', async (tx) => {
        const session = await tx.session(input.sessionId, true);
        if (!session) return { deleted: false, epoch: 0, cursor: formatCursor(0, 0) };
        if (session.userId !== input.userId) throw forbiddenSession();
        // Everything goes and the epoch goes up: every client learns of it on its next pull, poke or push.
        await tx.deleteSessionData(input.sessionId);
        await tx.updateSession(input.sessionId, session.nextSeq, session.prunedSeq, 0);
        const after = await tx.session(input.sessionId, false);
        const epoch = after?.epoch ?? 0;
        return { deleted: true, epoch, cursor: formatCursor(epoch, session.nextSeq - 1) };
      });
      if (result.deleted) announce(raw, result);
      return result;
    },
    prune: (options) => prune(run, options),
    health: extra.health,
    close: extra.close,
    changes,
  };
}

interface PushResult {
  readonly response: PushResponse;
  /** Set when the push committed a change: what the event stream announces. */
  readonly change: SessionHead | undefined;
}

async function pushOpByOp(run: TransactionRunner, input: PushInput, limits: ServerLimits): Promise<PushResult> {
  // The whole batch is checked before anything applies: a malformed push changes nothing, as with one transaction.
  checkOrder(input.clientId, input.ops);
  if (input.ops.length === 0) return run('write', (tx) => applyPush(tx, input, limits));
  const now = input.now ?? Date.now();
  const results: OpOutcome[] = [];
  let lastMutationId = 0;
  let change: SessionHead | undefined;
  for (const op of input.ops) {
    const result = await run('write', (tx) => applyPush(tx, { ...input, now, ops: [op] }, limits));
    results.push(...result.response.results);
    lastMutationId = Math.max(lastMutationId, result.response.lastMutationId);
    change = result.change ?? change;
  }
  return { response: { lastMutationId, results }, change };
}

async function applyPush(tx: StoreTx, input: PushInput, limits: ServerLimits): Promise<PushResult> {
  const { userId, sessionId, clientId, ops } = input;
  const now = input.now ?? Date.now();
  checkOrder(clientId, ops);

  // The session row lock comes first, for every writer: it serializes version and seq numbering across instances.
  let session = await tx.session(sessionId, true);
  if (session && session.userId !== userId) throw forbiddenSession();
  const client = await tx.client(clientId);
  if (client && (client.userId !== userId || client.sessionId !== sessionId)) throw forbiddenClient();

  const last = client?.lastMutationId ?? 0;
  const results: OpOutcome[] = [];
  const fresh: IncomingOp[] = [];
  for (const op of ops) {
    if (op.mutationId <= last) results.push({ mutationId: op.mutationId, status: 'duplicate' });
    else fresh.push(op);
  }
  if (fresh.length > 0 && fresh[0]!.mutationId !== last + 1) {
    throw new HttpError(
      409,
      'MUTATION_GAP',
      `The server has processed mutation ids of this client up to ${last}; the push starts at ${fresh[0]!.mutationId}. Push from ${last + 1} on.`,
    );
  }
  if (fresh.length === 0) return { response: { lastMutationId: last, results }, change: undefined };

  if (!session) {
    session = { sessionId, userId, nextSeq: 1, prunedSeq: 0, epoch: 0, bytes: 0 };
    await tx.insertSession(session, now);
  }
  const epoch = session.epoch ?? 0;
  let nextSeq = session.nextSeq;
  // Quotas: this session's characters, and (where the store can sum them) the user's over all sessions.
  let bytes = session.bytes ?? 0;
  const otherSessionsBytes = tx.userBytes ? (await tx.userBytes(userId)) - bytes : 0;
  const live = new Map<string, LiveSection | undefined>();
  const liveOf = async (pad: string, section: string): Promise<LiveSection | undefined> => {
    const key = `${pad}\u0000${section}`;
    if (live.has(key)) return live.get(key);
    const record = await tx.section(sessionId, pad, section);
    const value = record && liveFromRecord(record);
    live.set(key, value);
    return value;
  };

  for (const op of fresh) {
    if (op.epoch !== undefined && op.epoch !== epoch) {
      // Made on state that a delete has since removed: applying it would bring that state back. Processed, so that
      // the client's outbox moves on; the client drops its copy when it learns of the reset.
      const message = `The session was reset (epoch ${epoch}) after this change was made (epoch ${op.epoch}): the change is discarded; pull from the start.`;
      results.push({ mutationId: op.mutationId, status: 'rejected', error: { code: 'SESSION_RESET', message } });
      continue;
    }
    try {
      const pad = validateName(op.pad, 'pad', limits);
      const section = validateName(op.section, 'section', limits);
      const agent = validateName(op.agent, 'agent', limits);
      validateTimestamp(op.timestamp, 'op timestamp');
      if (op.kind !== 'delete') checkStorable(op.content, pad, section);
      const before = await liveOf(pad, section);
      const exists = before !== undefined && !before.record.deleted;
      const current = exists ? before.record.content : '';

      let content: string;
      let shape: ChangeShape = { kind: 'unknown' };
      let historyOp: HistoryOp;
      let conflict = false;
      if (op.kind === 'append') {
        // On top of whatever is current: concurrent appends never conflict.
        const added = appendSeparator(current) + op.content;
        content = current + added;
        shape = { kind: 'appended', oldLineCount: exists ? before.lineCount : 0, oldTail: exists ? before.tail : '', added };
        historyOp = 'write_append';
      } else if (op.kind === 'delete') {
        if (!exists) throw new ScratchpadError('NOT_FOUND', `There is no section '${pad}.${section}' to delete.`, { pad, section });
        const base = await resolveBase(tx, sessionId, clientId, op);
        conflict = base !== before.record.version;
        content = '';
        historyOp = 'delete';
      } else {
        const base = await resolveBase(tx, sessionId, clientId, op);
        const version = before?.record.version ?? 0;
        historyOp = op.op !== undefined && REPLACE_OPS.has(op.op) ? op.op : 'write_replace';
        if (base === version) content = op.content;
        else {
          const baseContent = base < version ? await contentAt(tx, sessionId, pad, section, base, before) : undefined;
          const merged = baseContent === undefined ? { clean: false, merged: undefined } : mergeThreeWay(baseContent, op.content, current);
          // Not clean, or no base to merge from: the op still applies (last writer wins); the version it replaces stays in history.
          content = merged.merged ?? op.content;
          conflict = !merged.clean;
        }
      }

      const plan = planChange({
        sessionId,
        pad,
        section,
        before,
        content,
        bytes: undefined,
        op: historyOp,
        mode: op.kind === 'append' ? 'append' : op.kind === 'delete' ? 'delete' : 'replace',
        agent,
        timestamp: op.timestamp,
        shape,
        expectedVersion: undefined,
        limits,
        diffLimits: DEFAULT_DIFF_LIMITS,
        checkpointEvery: limits.checkpointEvery,
      });
      const change = plan.change;
      if (!change) {
        results.push({ mutationId: op.mutationId, status: 'applied', version: plan.result.version });
        continue;
      }
      const entry = conflict ? { ...change.entry, conflict: true } : change.entry;
      const cost = entryChars(entry) + change.snapshots.reduce((n, snapshot) => n + snapshotChars(snapshot), 0);
      if (bytes + cost > limits.maxSessionBytes || (tx.userBytes && otherSessionsBytes + bytes + cost > limits.maxUserBytes)) {
        const which = bytes + cost > limits.maxSessionBytes ? `this session's quota (${limits.maxSessionBytes})` : `this user's quota (${limits.maxUserBytes})`;
        throw new ScratchpadError('QUOTA_EXCEEDED', `The change to '${pad}.${section}' would take the history past ${which} characters: delete the session or older history first.`, { pad, section });
      }
      bytes += cost;
      await tx.insertEntry(sessionId, nextSeq++, entry, { clientId, mutationId: op.mutationId, receivedAt: now });
      for (const snapshot of change.snapshots) await tx.putSnapshot(sessionId, snapshot);
      await tx.putSection(sessionId, change.after.record);
      live.set(`${pad}\u0000${section}`, change.after);
      results.push({ mutationId: op.mutationId, status: 'applied', version: entry.version, ...(conflict ? { conflict: true } : {}) });
    } catch (error) {
      // Only the op's own faults are outcomes; a database error aborts the whole push, which the client retries.
      if (!isScratchpadError(error) || error.code === 'STORAGE_UNAVAILABLE') throw error;
      results.push({ mutationId: op.mutationId, status: 'rejected', error: { code: error.code, message: error.message } });
    }
  }

  const lastMutationId = fresh[fresh.length - 1]!.mutationId;
  if (!(await tx.putClient({ clientId, userId, sessionId, lastMutationId }, now))) throw forbiddenClient();
  const changed = nextSeq !== session.nextSeq;
  if (changed) await tx.updateSession(sessionId, nextSeq, session.prunedSeq, bytes);
  return {
    response: { lastMutationId, results },
    change: changed ? { epoch, cursor: formatCursor(epoch, nextSeq - 1) } : undefined,
  };
}

/** Ops must be this client's, in strictly ascending order by one; anything else is a malformed request. */
function checkOrder(clientId: string, ops: readonly SyncOp[]): void {
  ops.forEach((op, i) => {
    if (op.clientId !== clientId) throw new HttpError(400, 'BAD_REQUEST', `ops[${i}].clientId is not the clientId of the push.`);
    const previous = ops[i - 1];
    if (previous && op.mutationId !== previous.mutationId + 1) {
      throw new HttpError(400, 'BAD_REQUEST', `ops[${i}].mutationId is ${op.mutationId}; mutation ids in a push must be consecutive and ascending.`);
    }
  });
}

/**
 * PostgreSQL text cannot hold U+0000, and neither store can keep an unpaired surrogate (UTF-8 has no encoding for it):
 * such content would come back different from its history. Both stores refuse it alike.
 */
function checkStorable(content: string, pad: string, section: string): void {
  if (content.includes('\u0000') || !isWellFormed(content)) {
    throw new ScratchpadError('INVALID_ARGUMENT', `The content for '${pad}.${section}' contains U+0000 or an unpaired surrogate, which the server cannot store.`, {
      pad,
      section,
    });
  }
}

function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

/**
 * The server version an op was made on. With `baseMutationId`, the version that this client's earlier op produced;
 * when that op produced none (it was a no-op, rejected, or retention dropped it), the client's own guess.
 */
async function resolveBase(tx: StoreTx, sessionId: string, clientId: string, op: IncomingOp): Promise<number> {
  if (op.baseMutationId === undefined) return op.baseVersion;
  const produced = await tx.versionOfMutation(sessionId, clientId, op.baseMutationId);
  return produced && produced.pad === op.pad && produced.section === op.section ? produced.version : op.baseVersion;
}

/** Content of an older version, or undefined when retention dropped what rebuilding it needs. */
async function contentAt(tx: StoreTx, sessionId: string, pad: string, section: string, version: number, live: LiveSection | undefined): Promise<string | undefined> {
  if (version === 0) return '';
  if (live && version === live.record.version) return live.record.content;
  try {
    return rebuildFromChain(await readChain(tx, sessionId, pad, section, version), version);
  } catch (error) {
    if (isScratchpadError(error, 'NOT_FOUND')) return undefined;
    throw error;
  }
}

async function readChain(tx: StoreTx, sessionId: string, pad: string, section: string, upTo: number): Promise<ChainRead> {
  const anchor = await tx.anchorAtOrBefore(sessionId, pad, section, upTo);
  const resolvedBy = anchor && anchor.content === undefined ? await tx.fullSnapshotAfter(sessionId, pad, section, anchor.version) : undefined;
  const current = anchor && anchor.content === undefined && !resolvedBy ? await tx.section(sessionId, pad, section) : undefined;
  return { anchor, resolvedBy, current, entries: await tx.entries(sessionId, pad, section, (anchor?.version ?? 0) + 1, upTo) };
}

function liveFromRecord(record: SectionRecord): LiveSection {
  return { record, lineCount: countLines(record.content), tail: tailOf(record.content), bytes: undefined };
}


interface Cursor {
  readonly epoch: number;
  readonly seq: number;
}

/** `<epoch>.<seq>`; a bare `<seq>` (from servers before epochs) is epoch 0; none is a first pull. */
function parseCursor(since: string | undefined): Cursor | undefined {
  if (since === undefined || since === '') return undefined;
  const match = /^(?:(0|[1-9][0-9]{0,8})\.)?(0|[1-9][0-9]{0,15})$/.exec(since);
  if (!match) throw new HttpError(400, 'BAD_REQUEST', 'since must be a cursor returned by an earlier pull or snapshot.');
  return { epoch: Number(match[1] ?? 0), seq: Number(match[2]) };
}

/** Checks that the user owns the session (if it exists) and that a given client id is theirs and the session's. */
async function readAccess(tx: StoreTx, userId: string, sessionId: string, clientId: string | undefined) {
  const session = await tx.session(sessionId, false);
  if (session && session.userId !== userId) throw forbiddenSession();
  const client = clientId === undefined ? undefined : await tx.client(clientId);
  if (client && (client.userId !== userId || client.sessionId !== sessionId)) throw forbiddenClient();
  return { session, client };
}

async function readHead(tx: StoreTx, input: HeadInput): Promise<SessionHead> {
  const { session } = await readAccess(tx, input.userId, input.sessionId, undefined);
  const epoch = session?.epoch ?? 0;
  return { epoch, cursor: formatCursor(epoch, (session?.nextSeq ?? 1) - 1) };
}

function sessionReset(epoch: number, cursorEpoch: number): HttpError {
  return new HttpError(
    410,
    'SESSION_RESET',
    `The session was reset (deleted) since this cursor (epoch ${cursorEpoch}, now ${epoch}): drop the local copy and pull from the start.`,
  );
}

/**
 * One page of history after the cursor, cut by count and by characters (patches, the rows of the sections it
 * touches, and bases), so that no answer grows with the size of the history: a pull of 280 versions of a 1 MiB
 * section comes in pages of a few MiB. No cursor is a first pull: the whole retained history of the current epoch,
 * with a base for each section whose older history retention dropped.
 */
async function readPull(tx: StoreTx, input: PullInput, limits: ServerLimits): Promise<PullResponse> {
  const cursor = parseCursor(input.since);
  const { session, client } = await readAccess(tx, input.userId, input.sessionId, input.clientId);
  const epoch = session?.epoch ?? 0;
  if (cursor && cursor.epoch !== epoch) throw sessionReset(epoch, cursor.epoch);
  const since = cursor?.seq ?? 0;
  const lastSeq = (session?.nextSeq ?? 1) - 1;
  if (since > lastSeq) {
    throw new HttpError(410, 'CURSOR_EXPIRED', 'The cursor is ahead of this server (its database was replaced?): pull again from the start.');
  }
  const budget = limits.maxPageBytes;
  const rows = session ? await tx.entriesAfter(input.sessionId, since, input.limit + 1, budget) : [];

  // Entries in seq order until the budget is spent; a section's row (and base) count where the section first appears.
  const page: HistoryEntry[] = [];
  const rowsByKey = new Map<string, SectionRecord | undefined>();
  const bases: SectionBase[] = [];
  let chars = 0;
  let cursorSeq = since;
  let cut = rows.length > input.limit;
  for (const { seq, entry } of rows.slice(0, input.limit)) {
    const key = `${entry.pad}\u0000${entry.section}`;
    let cost = entryChars(entry);
    let row: SectionRecord | undefined;
    let base: SectionBase | undefined;
    const first = !rowsByKey.has(key);
    if (first) {
      row = await tx.section(input.sessionId, entry.pad, entry.section);
      cost += row?.content.length ?? 0;
      base = await baseFor(tx, input.sessionId, entry);
      cost += base?.content.length ?? 0;
    }
    if (page.length > 0 && chars + cost > budget) {
      cut = true;
      break;
    }
    if (first) {
      rowsByKey.set(key, row);
      if (base) bases.push(base);
    }
    chars += cost;
    page.push(entry);
    cursorSeq = seq;
  }
  // Nothing left after the cursor (entries can have gone with a delete or retention): the cursor moves to the end.
  if (page.length === 0 && !cut) cursorSeq = Math.max(since, lastSeq);
  const more = cut || cursorSeq < lastSeq;

  let lastMutationId = client?.lastMutationId ?? 0;
  if (more && client) {
    // Only ops whose entries are all in this page or earlier count as seen: the client's entries come in its op order.
    const pendingFrom = await tx.minMutationAfter(input.sessionId, client.clientId, cursorSeq);
    if (pendingFrom !== undefined) lastMutationId = Math.min(lastMutationId, pendingFrom - 1);
  }
  const sections = [...rowsByKey.values()].flatMap((r) => (r ? [sectionRow(r)] : []));
  return {
    cursor: formatCursor(epoch, cursorSeq),
    epoch,
    entries: page,
    sections,
    lastMutationId,
    more,
    ...(bases.length > 0 ? { bases } : {}),
  };
}

/**
 * The content at `entry`'s version when the version before it is no longer on the server (retention dropped it):
 * a client with nothing older starts the section's history there. Undefined when the history chains from version 1
 * or from an entry still present.
 */
async function baseFor(tx: StoreTx, sessionId: string, entry: HistoryEntry): Promise<SectionBase | undefined> {
  if (entry.version <= 1) return undefined;
  const previous = entry.version - 1;
  const present = tx.hasEntry
    ? await tx.hasEntry(sessionId, entry.pad, entry.section, previous)
    : (await tx.entries(sessionId, entry.pad, entry.section, previous, previous)).length > 0;
  if (present) return undefined;
  const content = await contentAt(tx, sessionId, entry.pad, entry.section, entry.version, undefined);
  return content === undefined ? undefined : { pad: entry.pad, section: entry.section, version: entry.version, content };
}

/** `after` of a snapshot page: the first page's seq and the last key it sent. Opaque to clients. */
function parseSnapshotPage(after: string | undefined): { seq: number; key: SectionKey } | undefined {
  if (after === undefined || after === '') return undefined;
  try {
    const value = JSON.parse(Buffer.from(after, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 3 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string' && typeof value[2] === 'string') {
      return { seq: value[0] as number, key: { pad: value[1], section: value[2] } };
    }
  } catch {
    // Falls through to the 400.
  }
  throw new HttpError(400, 'BAD_REQUEST', 'after must be the next of an earlier snapshot page.');
}

/**
 * The current rows, in (pad, section) order, a page at a time (cut by characters), so that a session of many large
 * sections never becomes one answer. Every page reports the cursor of the first, so that a client pulls on from a
 * point no later than any row it took (a row newer than the cursor is simply met again by the pull).
 */
async function readSnapshot(tx: StoreTx, input: SnapshotInput, limits: ServerLimits): Promise<SnapshotResponse> {
  const page = parseSnapshotPage(input.after);
  const { session, client } = await readAccess(tx, input.userId, input.sessionId, input.clientId);
  const epoch = session?.epoch ?? 0;
  const seq = page?.seq ?? (session?.nextSeq ?? 1) - 1;
  const base = { cursor: formatCursor(epoch, seq), epoch, lastMutationId: client?.lastMutationId ?? 0 };
  if (!session) return { ...base, sections: [] };
  const budget = limits.maxPageBytes;
  const after = page?.key;
  const isAfter = (r: SectionKey) => !after || byCodePoint(r.pad, after.pad) > 0 || (r.pad === after.pad && byCodePoint(r.section, after.section) > 0);
  const taken: SectionRecord[] = [];
  let chars = 0;
  let more = false;
  if (tx.sectionKeysAfter) {
    // Keys are cheap; rows are read one at a time until the budget is spent (the one that does not fit is read and
    // left for the next page), so a page never holds more than the budget and one row.
    const keys = await tx.sectionKeysAfter(input.sessionId, after, SNAPSHOT_PAGE_ROWS + 1);
    for (const [i, key] of keys.entries()) {
      if (i === SNAPSHOT_PAGE_ROWS) {
        more = true;
        break;
      }
      const row = await tx.section(input.sessionId, key.pad, key.section);
      if (!row) continue;
      if (taken.length > 0 && chars + row.content.length > budget) {
        more = true;
        break;
      }
      taken.push(row);
      chars += row.content.length;
    }
  } else {
    // Stores without a key listing page in memory: bounded answers, unbounded reads (see docs/server.md).
    // Stores answer in code point order (SQL's on UTF-8), which paging by key follows too.
    const all = (await tx.sections(input.sessionId, undefined)).filter(isAfter);
    for (const row of all) {
      if (taken.length === SNAPSHOT_PAGE_ROWS || (taken.length > 0 && chars + row.content.length > budget)) {
        more = true;
        break;
      }
      taken.push(row);
      chars += row.content.length;
    }
  }
  const last = taken.at(-1);
  const next = more && last ? Buffer.from(JSON.stringify([seq, last.pad, last.section]), 'utf8').toString('base64url') : undefined;
  return { ...base, sections: taken.map(sectionRow), ...(next ? { next } : {}) };
}

/** Code point order (UTF-8 byte order), not UTF-16 code unit order: what SQL's ORDER BY on UTF-8 text gives. */
function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

async function prune(run: TransactionRunner, options: PruneOptions): Promise<PruneReport> {
  const cutoff = (options.now ?? Date.now()) - options.maxAgeMs;
  const sessionIds = await run('read', (tx) => tx.sessionsWithHistoryBefore(cutoff));
  let sessions = 0;
  let sections = 0;
  let entriesDropped = 0;
  // One transaction per session, under its lock, so that pushes elsewhere are not held up by a long retention pass.
  for (const sessionId of sessionIds) {
    const report = await run('write', async (tx) => {
      const session = await tx.session(sessionId, true);
      if (!session) return { sections: 0, dropped: 0 };
      let prunedSeq = session.prunedSeq;
      let bytes = session.bytes ?? 0;
      let count = 0;
      let dropped = 0;
      for (const candidate of await tx.prunable(sessionId, cutoff)) {
        const { pad, section } = candidate;
        const record = await tx.section(sessionId, pad, section);
        if (!record) continue;
        // The current version always stays, with its entry: blame and diffs of the latest change keep working.
        const below = Math.min(candidate.lastOldVersion + 1, record.version);
        if (below <= candidate.firstVersion) continue;
        const content =
          below === record.version ? record.content : rebuildFromChain(await readChain(tx, sessionId, pad, section, below), below);
        const result = await tx.dropHistory(sessionId, pad, section, below);
        const snapshot = { pad, section, version: below, content };
        await tx.putSnapshot(sessionId, snapshot);
        bytes = Math.max(0, bytes - (result.bytes ?? 0) + snapshotChars(snapshot));
        prunedSeq = Math.max(prunedSeq, result.maxSeq);
        dropped += result.dropped;
        count++;
      }
      if (prunedSeq !== session.prunedSeq) await tx.updateSession(sessionId, session.nextSeq, prunedSeq, bytes);
      return { sections: count, dropped };
    });
    if (report.sections > 0) sessions++;
    sections += report.sections;
    entriesDropped += report.dropped;
  }
  return { sessions, sections, entriesDropped };
}
