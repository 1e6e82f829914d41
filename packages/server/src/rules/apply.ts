import { appendSeparator, type ChainRead, type ChangeShape, countLines, DEFAULT_DIFF_LIMITS, type HistoryOp, isScratchpadError, type LiveSection, type OpOutcome, planChange, type PullResponse, type PushResponse, rebuildFromChain, ScratchpadError, type SectionKey, type SectionRecord, type SnapshotResponse, type SyncOp, tailOf, validateName, validateTimestamp } from 'scratchpad-store/protocol';
import { HttpError, forbiddenClient, forbiddenSession } from '../errors.js';
import { mergeThreeWay } from './merge.js';
import type { PruneOptions, PruneReport, PullInput, PushInput, ServerLimits, ServerStore, SnapshotInput } from '../types.js';
import { sessionKey } from './tenancy.js';
import { sectionRow, type StoreTx, type TransactionRunner } from './tx.js';

/** Ops may carry the client's own history op for a replace (an edit, a revert, a prepend); additive to SyncOp. */
type IncomingOp = SyncOp & { readonly op?: HistoryOp };

/** UTF-16 code units of section content in one pull answer, beyond which the page is cut short. */
const PULL_CONTENT_BUDGET = 8 * 1024 * 1024;

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
  extra: { health(): Promise<void>; close(): Promise<void> },
  options: SqlStoreOptions = {},
): ServerStore {
  // Tenancy (tenancy.ts): below this point `sessionId` is the store's key for (user, session id); entries come back
  // under the client's own session id.
  const keyed = <T extends { userId: string; sessionId: string }>(input: T): T => ({ ...input, sessionId: sessionKey(input.userId, input.sessionId) });
  return {
    kind,
    push: options.transactionPerOp ? (input) => pushOpByOp(run, keyed(input), limits) : (input) => run('write', (tx) => applyPush(tx, keyed(input), limits)),
    pull: async (input) => {
      const page = await run('read', (tx) => readPull(tx, keyed(input)));
      return { ...page, entries: page.entries.map((entry) => ({ ...entry, sessionId: input.sessionId })) };
    },
    snapshot: (input) => run('read', (tx) => readSnapshot(tx, keyed(input))),
    deleteSession: (raw) =>
      run('write', async (tx) => {
        const input = keyed(raw);
        const session = await tx.session(input.sessionId, true);
        if (!session) return false;
        if (session.userId !== input.userId) throw forbiddenSession();
        await tx.deleteSessionData(input.sessionId);
        await tx.updateSession(input.sessionId, session.nextSeq, session.nextSeq - 1);
        return true;
      }),
    prune: (options) => prune(run, options),
    health: extra.health,
    close: extra.close,
  };
}

async function pushOpByOp(run: TransactionRunner, input: PushInput, limits: ServerLimits): Promise<PushResponse> {
  // The whole batch is checked before anything applies: a malformed push changes nothing, as with one transaction.
  checkOrder(input.clientId, input.ops);
  if (input.ops.length === 0) return run('write', (tx) => applyPush(tx, input, limits));
  const now = input.now ?? Date.now();
  const results: OpOutcome[] = [];
  let lastMutationId = 0;
  for (const op of input.ops) {
    const response = await run('write', (tx) => applyPush(tx, { ...input, now, ops: [op] }, limits));
    results.push(...response.results);
    lastMutationId = Math.max(lastMutationId, response.lastMutationId);
  }
  return { lastMutationId, results };
}

async function applyPush(tx: StoreTx, input: PushInput, limits: ServerLimits): Promise<PushResponse> {
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
  if (fresh.length === 0) return { lastMutationId: last, results };

  if (!session) {
    session = { sessionId, userId, nextSeq: 1, prunedSeq: 0 };
    await tx.insertSession(session, now);
  }
  let nextSeq = session.nextSeq;
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
  if (nextSeq !== session.nextSeq) await tx.updateSession(sessionId, nextSeq, session.prunedSeq);
  return { lastMutationId, results };
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


function parseCursor(since: string | undefined): number {
  if (since === undefined || since === '') return 0;
  if (!/^(0|[1-9][0-9]{0,15})$/.test(since)) throw new HttpError(400, 'BAD_REQUEST', 'since must be a cursor returned by an earlier pull or snapshot.');
  return Number(since);
}

/** Checks that the user owns the session (if it exists) and that a given client id is theirs and the session's. */
async function readAccess(tx: StoreTx, userId: string, sessionId: string, clientId: string | undefined) {
  const session = await tx.session(sessionId, false);
  if (session && session.userId !== userId) throw forbiddenSession();
  const client = clientId === undefined ? undefined : await tx.client(clientId);
  if (client && (client.userId !== userId || client.sessionId !== sessionId)) throw forbiddenClient();
  return { session, client };
}

async function readPull(tx: StoreTx, input: PullInput): Promise<PullResponse> {
  const since = parseCursor(input.since);
  const { session, client } = await readAccess(tx, input.userId, input.sessionId, input.clientId);
  const lastSeq = (session?.nextSeq ?? 1) - 1;
  if (since < (session?.prunedSeq ?? 0) || since > lastSeq) {
    throw new HttpError(
      410,
      'CURSOR_EXPIRED',
      since > lastSeq
        ? 'The cursor is ahead of this server (its database was replaced?): start again from a snapshot.'
        : 'History after this cursor was dropped by retention: start again from a snapshot.',
    );
  }
  const rows = await tx.entriesAfter(input.sessionId, since, input.limit + 1);
  let more = rows.length > input.limit;
  let page = more ? rows.slice(0, input.limit) : rows;

  const keys = new Map<string, SectionKey>();
  for (const { entry } of page) keys.set(`${entry.pad}\u0000${entry.section}`, { pad: entry.pad, section: entry.section });
  const found = keys.size === 0 ? [] : await tx.sections(input.sessionId, [...keys.values()]);
  // A page carries the current content of every section it touches: cut it short before that grows past the budget
  // (many large sections), so that one answer stays a reasonable size. At least one entry always goes.
  const sizes = new Map(found.map((r) => [`${r.pad}\u0000${r.section}`, r.content.length]));
  const included = new Set<string>();
  let chars = 0;
  for (let i = 0; i < page.length; i++) {
    const key = `${page[i]!.entry.pad}\u0000${page[i]!.entry.section}`;
    if (included.has(key)) continue;
    chars += sizes.get(key) ?? 0;
    if (chars > PULL_CONTENT_BUDGET && i > 0) {
      page = page.slice(0, i);
      more = true;
      break;
    }
    included.add(key);
  }
  const sections = found.filter((r) => included.has(`${r.pad}\u0000${r.section}`));
  const cursorSeq = page.length > 0 ? page[page.length - 1]!.seq : since;

  let lastMutationId = client?.lastMutationId ?? 0;
  if (more && client) {
    // Only ops whose entries are all in this page or earlier count as seen: the client's entries come in its op order.
    const pendingFrom = await tx.minMutationAfter(input.sessionId, client.clientId, cursorSeq);
    if (pendingFrom !== undefined) lastMutationId = Math.min(lastMutationId, pendingFrom - 1);
  }
  return { cursor: String(cursorSeq), entries: page.map((r) => r.entry), sections: sections.map(sectionRow), lastMutationId, more };
}

async function readSnapshot(tx: StoreTx, input: SnapshotInput): Promise<SnapshotResponse> {
  const { session, client } = await readAccess(tx, input.userId, input.sessionId, input.clientId);
  const sections = session ? await tx.sections(input.sessionId, undefined) : [];
  return { cursor: String((session?.nextSeq ?? 1) - 1), sections: sections.map(sectionRow), lastMutationId: client?.lastMutationId ?? 0 };
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
        await tx.putSnapshot(sessionId, { pad, section, version: below, content });
        prunedSeq = Math.max(prunedSeq, result.maxSeq);
        dropped += result.dropped;
        count++;
      }
      if (prunedSeq !== session.prunedSeq) await tx.updateSession(sessionId, session.nextSeq, prunedSeq);
      return { sections: count, dropped };
    });
    if (report.sections > 0) sessions++;
    sections += report.sections;
    entriesDropped += report.dropped;
  }
  return { sessions, sections, entriesDropped };
}
