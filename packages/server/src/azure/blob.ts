import { type HistoryEntry, packEntry, type SectionRecord, type SnapshotRecord } from 'scratchpad-store/protocol';
import { BlobServiceClient, RestError, type ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob';
import { resolveServerLimits } from '../limits.js';
import { createSqlStore } from '../rules/apply.js';
import { entryFromRow } from '../rules/tx.js';
import { groupPrunable, onlyChangedSession, sectionRow, type ClientRow, type PrunableSection, type SeqEntry, type SessionRow, type StoreTx } from '../rules/tx.js';
import type { ServerLimits, ServerStore } from '../types.js';
import { isSessionKey, sessionKey, splitSessionKey } from '../rules/tenancy.js';
import { DanglingReference, InFlight, SessionLocks, WriteConflict, compareNames, hashKey, isTransient, nonce, optimisticRunner, retryTransient, type OptimisticTx, type RetryPolicy, withHousekeeping } from './common.js';
import { PayloadCache } from './payload-cache.js';

/**
 * A `BlobServiceClient` of `@azure/storage-blob`, declared by the method the store calls so that this module's types
 * do not need the SDK's: it is an optional peer of this package.
 */
export interface BlobServiceClientLike {
  getContainerClient(containerName: string): unknown;
}

export interface BlobStoreOptions {
  /** A storage account connection string (`DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…;…`). */
  readonly connectionString?: string;
  /** Or a client you made (e.g. with a token credential); `connectionString` is then not needed. */
  readonly serviceClient?: BlobServiceClientLike;
  /** Container for every session's blobs, created if missing. Default 'scratchpad'. */
  readonly container?: string;
  readonly limits?: Partial<ServerLimits>;
  /** Retries of a compare-and-swap lost to another writer of the same session. */
  readonly retry?: RetryPolicy;
  /** Text values longer than this (UTF-16 code units) go to blobs of their own, so the state blob stays small. Default 64 Ki. */
  readonly spillChars?: number;
  /** Create the container when missing (default true). False where the identity may not create containers. */
  readonly createIfMissing?: boolean;
  /** Passed to the client made from `connectionString` (retry options, a proxy, a custom HTTP client). */
  readonly pipeline?: Readonly<Record<string, unknown>>;
  /**
   * Retention (`prune`) also deletes payload blobs that no state refers to and that are older than this: left by a
   * crash between writing a value and the commit, or by a write whose outcome stayed unknown. It must exceed the
   * longest a push can take. Default 1 hour.
   */
  readonly orphanGraceMs?: number;
}

/**
 * Azure Blob Storage. No transactions and no locks: a session is one JSON state blob, and every write replaces it by
 * compare-and-swap on its ETag (`If-Match`, or `If-None-Match: *` to create it), after a lost swap the transaction
 * runs again on fresh reads. Layout, in the container:
 *
 * - `sessions/<sha256(sessionId)>/state.json`: owner, seq counters, its clients' last mutation ids, current sections,
 *   history entries (packed patches) and anchors. Blob metadata `historyfrom` (oldest history entry's receive time)
 *   lets retention find sessions by listing, without reading them.
 * - `sessions/<sha256(sessionId)>/payloads/<random>`: a text value above `spillChars` (section content, a patch, a
 *   snapshot), written once before the state blob that refers to it and never changed; deleted after the state
 *   blob stops referring to it.
 * - `clients/<sha256(clientId)>.json`: which user and session a client id is bound to, created once with
 *   `If-None-Match: *` (the first binding wins; it is what keeps a client id to one session).
 *
 * One session's writes serialise on its state blob, and each rewrites the whole blob: fine for a person's sessions,
 * not for a session many writers share at once (use Cosmos DB or PostgreSQL there).
 */
export async function blobStore(options: BlobStoreOptions): Promise<ServerStore> {
  const limits = resolveServerLimits(options.limits);
  const service =
    (options.serviceClient as BlobServiceClient | undefined) ??
    (options.connectionString ? BlobServiceClient.fromConnectionString(options.connectionString, options.pipeline as StoragePipelineOptions | undefined) : undefined);
  if (!service) throw new Error('blobStore needs a connectionString or a serviceClient.');
  const container = service.getContainerClient(options.container ?? 'scratchpad');
  if (options.createIfMissing ?? true) await container.createIfNotExists();
  else if (!(await container.exists())) throw new Error(`Blob container ${container.containerName} does not exist.`);
  const ctx: BlobContext = { container, cache: new PayloadCache(), spillChars: options.spillChars ?? 64 * 1024, locks: new SessionLocks(), migrations: new Map() };
  const inFlight = new InFlight('Blob Storage');
  const run = optimisticRunner((mode) => new BlobTx(ctx, mode), options.retry ?? {}, inFlight);
  const store = createSqlStore('azure-blob', run, limits, {
    health: () => inFlight.run(async () => void (await container.getProperties())),
    close: () => inFlight.close(),
  });
  return withHousekeeping(store, inFlight, {
    migrateLegacy: () => migrateAllLegacy(ctx),
    sweepOrphans: (olderThan) => sweepOrphans(ctx, olderThan),
    graceMs: options.orphanGraceMs ?? 3_600_000,
  });
}

/**
 * Deletes payload blobs that their session's state does not refer to: written at `cutoff` or before (a value an
 * attempt still running may have written is younger), or of an epoch before the session's (written before it was deleted). Safe
 * without a lock: a state can only come to refer to a value that its own attempt wrote or that the state it replaced
 * referred to, so a value the current state lacks never comes back.
 */
async function sweepOrphans(ctx: BlobContext, cutoff: number): Promise<number> {
  const bySession = new Map<string, { name: string; ref: string; old: boolean }[]>();
  for await (const blob of ctx.container.listBlobsFlat({ prefix: 'sessions/' })) {
    const match = /^sessions\/([0-9a-f]{64})\/payloads\/(.+)$/.exec(blob.name);
    if (!match) continue;
    const list = bySession.get(match[1]!) ?? [];
    list.push({ name: blob.name, ref: match[2]!, old: blob.properties.lastModified.getTime() <= cutoff });
    bySession.set(match[1]!, list);
  }
  let deleted = 0;
  for (const [dir, payloads] of bySession) {
    const state = await readBlob(ctx.container, `sessions/${dir}/state.json`);
    const file = state ? (JSON.parse(state.text) as StateFile) : undefined;
    const refs = refsOf(file);
    const epoch = file?.epoch ?? 0;
    for (const p of payloads) {
      if (refs.has(p.ref) || !(p.old || epochOf(p.ref) < epoch)) continue;
      await deletePayload(ctx, p.name);
      deleted++;
    }
  }
  return deleted;
}

function deletePayload(ctx: BlobContext, name: string): Promise<unknown> {
  return retryTransient(() => ctx.container.getBlobClient(name).deleteIfExists(), statusOf);
}

/** The epoch a payload was written in: its name starts `e<epoch>.` (names from before epochs have none: 0). */
function epochOf(ref: string): number {
  const match = /^e(\d+)\./.exec(ref);
  return match ? Number(match[1]) : 0;
}

interface BlobContext {
  readonly container: ContainerClient;
  readonly cache: PayloadCache;
  readonly spillChars: number;
  readonly locks: SessionLocks;
  /** Migrations of legacy sessions running in this process, by key: concurrent requests for one key share one. */
  readonly migrations: Map<string, Promise<boolean>>;
}

/** A text value kept in the state blob, or in a payload blob of its own. */
type Text = string | { readonly ref: string };

interface ClientRecord {
  clientId: string;
  userId: string;
  lastMutationId: number;
  updatedAt: number;
}

interface SectionDoc {
  pad: string;
  section: string;
  content: Text;
  version: number;
  updatedAt: number;
  updatedBy: string;
  deleted: boolean;
  chain: SectionRecord['chain'];
}

interface EntryDoc {
  seq: number;
  pad: string;
  section: string;
  version: number;
  clientId: string;
  mutationId: number;
  receivedAt: number;
  /** The packed entry (src/core/packed.ts) as JSON. */
  patch: Text;
}

interface AnchorDoc {
  pad: string;
  section: string;
  version: number;
  content?: Text;
  prefixLength?: number;
}

interface StateFile {
  format: 1;
  sessionId: string;
  userId: string;
  nextSeq: number;
  prunedSeq: number;
  /**
   * Bumped by each deletion of the session's data (so that clients learn of the reset: SESSION_RESET); payload blobs
   * are named with the epoch of the state they were written on, so that after a deletion every older one can go,
   * also those of attempts that never committed. Absent in states written before epochs: 0.
   */
  epoch?: number;
  createdAt: number;
  clients: ClientRecord[];
  sections: SectionDoc[];
  /** Ascending by seq. */
  entries: EntryDoc[];
  anchors: AnchorDoc[];
}

interface Binding {
  clientId: string;
  userId: string;
  sessionId: string;
}

interface Loaded {
  /** Undefined: the session has no state blob yet (created with If-None-Match: *). */
  etag: string | undefined;
  file: StateFile | undefined;
  /** Payload blobs the stored state refers to: those the new state drops are deleted after the commit. */
  storedRefs: Set<string>;
  /** The epoch as read: when the commit raises it, the payloads of older epochs are deleted after it. */
  storedEpoch: number;
  dirty: boolean;
}

const stateName = (sessionId: string) => `sessions/${hashKey(sessionId)}/state.json`;
const payloadPrefix = (sessionId: string) => `sessions/${hashKey(sessionId)}/payloads/`;
const bindingName = (clientId: string) => `clients/${hashKey(clientId)}.json`;

function statusOf(error: unknown): number | undefined {
  return error instanceof RestError ? error.statusCode : undefined;
}

async function readBlob(container: ContainerClient, name: string): Promise<{ text: string; etag: string } | undefined> {
  try {
    const response = await container.getBlobClient(name).download(0);
    const text = await streamText(response.readableStreamBody);
    return { text, etag: response.etag ?? '' };
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

async function streamText(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!stream) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function refsOf(file: StateFile | undefined): Set<string> {
  const refs = new Set<string>();
  if (!file) return refs;
  const add = (t: Text | undefined) => {
    if (t !== undefined && typeof t !== 'string') refs.add(t.ref);
  };
  for (const s of file.sections) add(s.content);
  for (const e of file.entries) add(e.patch);
  for (const a of file.anchors) add(a.content);
  return refs;
}

const sameSection = (pad: string, section: string) => (r: { pad: string; section: string }) => r.pad === pad && r.section === section;

class BlobTx implements StoreTx, OptimisticTx {
  readonly tx: StoreTx = this;
  private readonly states = new Map<string, Loaded>();
  /** Payload blobs written by this attempt (refs): deleted again when no committed state refers to them. */
  private readonly written: string[] = [];
  private writtenIn: string | undefined;
  private committedState: { sessionId: string; refs: Set<string>; epoch: number } | undefined;
  /**
   * 'lost': the state upload failed, and the state has moved on without this attempt's: it either never landed or
   * landed and was replaced since, by a writer that kept or deleted what it named. 'unknown': the upload failed
   * without an answer and the state is still the one read: it may yet land, naming this attempt's payloads.
   */
  private outcome: 'none' | 'lost' | 'unknown' | 'committed' = 'none';
  private current: string | undefined;
  /** Set in the state blob's metadata by this attempt's upload: how a lost answer is told from a lost race. */
  private readonly attemptId = nonce();
  private release: (() => void) | undefined;

  constructor(
    private readonly ctx: BlobContext,
    private readonly mode: 'read' | 'write',
  ) {}

  private async load(sessionId: string): Promise<Loaded> {
    this.current = sessionId;
    let loaded = this.states.get(sessionId);
    if (!loaded) {
      let blob = await readBlob(this.ctx.container, stateName(sessionId));
      // A key without a state may be a session stored under its id alone before tenancy keys: move it first.
      if (!blob && isSessionKey(sessionId) && (await migrateOnce(this.ctx, sessionId))) blob = await readBlob(this.ctx.container, stateName(sessionId));
      const file = blob ? (JSON.parse(blob.text) as StateFile) : undefined;
      if (file && file.format !== 1) throw new Error(`Session state blob has format ${String(file.format)}; this server knows 1. Upgrade scratchpad-store.`);
      loaded = { etag: blob?.etag, file, storedRefs: refsOf(file), storedEpoch: file?.epoch ?? 0, dirty: false };
      this.states.set(sessionId, loaded);
    }
    return loaded;
  }

  private async file(sessionId: string): Promise<StateFile | undefined> {
    return (await this.load(sessionId)).file;
  }

  /** The state to change; the session row exists by then (apply.ts inserts it before any other write). */
  private async writable(sessionId: string): Promise<StateFile> {
    const loaded = await this.load(sessionId);
    if (!loaded.file) throw new Error(`Write to session ${JSON.stringify(sessionId)} before its row was inserted.`);
    if (this.mode !== 'write') throw new Error('Write in a read transaction.');
    loaded.dirty = true;
    return loaded.file;
  }

  private text(sessionId: string, t: Text): Promise<string> {
    if (typeof t === 'string') return Promise.resolve(t);
    return this.ctx.cache.get(t.ref, async () => {
      const blob = await readBlob(this.ctx.container, payloadPrefix(sessionId) + t.ref);
      if (blob) return blob.text;
      // Deleted after a later commit stopped referring to it: what this transaction read is stale, so run it again.
      // But if the state is still the one read, the state itself names a value that is gone: no retry can help.
      const now = await stateProperties(this.ctx.container, sessionId);
      if (now?.etag === this.states.get(sessionId)?.etag) throw new DanglingReference(`payload blob ${t.ref}`);
      throw new WriteConflict(`payload blob ${t.ref} is gone`);
    });
  }

  private async sectionRecord(sessionId: string, doc: SectionDoc): Promise<SectionRecord> {
    return {
      pad: doc.pad,
      section: doc.section,
      content: await this.text(sessionId, doc.content),
      version: doc.version,
      updatedAt: doc.updatedAt,
      updatedBy: doc.updatedBy,
      deleted: doc.deleted,
      chain: doc.chain,
    };
  }

  private async snapshot(sessionId: string, doc: AnchorDoc): Promise<SnapshotRecord> {
    return doc.content !== undefined
      ? { pad: doc.pad, section: doc.section, version: doc.version, content: await this.text(sessionId, doc.content) }
      : { pad: doc.pad, section: doc.section, version: doc.version, prefixLength: doc.prefixLength ?? 0 };
  }

  private async entry(sessionId: string, doc: EntryDoc): Promise<HistoryEntry> {
    return entryFromRow(sessionId, { pad: doc.pad, section: doc.section, patch: await this.text(sessionId, doc.patch) });
  }

  async session(sessionId: string, lock = false): Promise<SessionRow | undefined> {
    // Writers of this process queue per session (so they never race each other); other instances are caught by the
    // compare-and-swap at commit, which fails if anyone else wrote the state blob since this read.
    if (lock && this.mode === 'write' && !this.release) this.release = await this.ctx.locks.acquire(sessionId);
    const file = await this.file(sessionId);
    return file && { sessionId, userId: file.userId, nextSeq: file.nextSeq, prunedSeq: file.prunedSeq, epoch: file.epoch ?? 0 };
  }

  async insertSession(row: SessionRow, now: number): Promise<void> {
    const loaded = await this.load(row.sessionId);
    if (loaded.file) throw new WriteConflict('The session was created meanwhile.');
    loaded.file = { format: 1, sessionId: row.sessionId, userId: row.userId, nextSeq: row.nextSeq, prunedSeq: row.prunedSeq, createdAt: now, clients: [], sections: [], entries: [], anchors: [] };
    loaded.dirty = true;
  }

  async updateSession(sessionId: string, nextSeq: number, prunedSeq: number): Promise<void> {
    const file = await this.writable(sessionId);
    file.nextSeq = nextSeq;
    file.prunedSeq = prunedSeq;
  }

  async client(clientId: string): Promise<ClientRow | undefined> {
    if (this.current !== undefined) {
      const file = await this.file(this.current);
      const record = file?.clients.find((c) => c.clientId === clientId);
      if (record) return { clientId, userId: record.userId, sessionId: this.current, lastMutationId: record.lastMutationId };
    }
    const binding = await this.binding(clientId);
    // Bound but never committed to (the push that bound it failed later): nothing processed yet.
    return binding && { clientId, userId: binding.userId, sessionId: boundKey(binding), lastMutationId: 0 };
  }

  private async binding(clientId: string): Promise<Binding | undefined> {
    const blob = await readBlob(this.ctx.container, bindingName(clientId));
    return blob && (JSON.parse(blob.text) as Binding);
  }

  async putClient(row: ClientRow, now: number): Promise<boolean> {
    const file = await this.writable(row.sessionId);
    const record = file.clients.find((c) => c.clientId === row.clientId);
    if (record) {
      if (record.userId !== row.userId) return false;
      record.lastMutationId = row.lastMutationId;
      record.updatedAt = now;
      return true;
    }
    // The binding is written before the state, and kept if the state's swap fails: it names only what the client asked for.
    const binding: Binding = { clientId: row.clientId, userId: row.userId, sessionId: row.sessionId };
    const body = JSON.stringify(binding);
    try {
      await this.ctx.container.getBlockBlobClient(bindingName(row.clientId)).upload(body, Buffer.byteLength(body), {
        conditions: { ifNoneMatch: '*' },
        blobHTTPHeaders: { blobContentType: 'application/json' },
        metadata: KEYED_BINDING,
      });
    } catch (error) {
      const status = statusOf(error);
      if (status !== 409 && status !== 412) throw error;
      const existing = await this.binding(row.clientId);
      if (!existing || existing.userId !== row.userId || boundKey(existing) !== row.sessionId) return false;
      // Bound before tenancy keys (its first push never committed): name the key from now on.
      if (existing.sessionId !== row.sessionId) await rebind(this.ctx, row.clientId, existing.sessionId);
    }
    file.clients.push({ clientId: row.clientId, userId: row.userId, lastMutationId: row.lastMutationId, updatedAt: now });
    return true;
  }

  async section(sessionId: string, pad: string, section: string): Promise<SectionRecord | undefined> {
    const doc = (await this.file(sessionId))?.sections.find(sameSection(pad, section));
    return doc && this.sectionRecord(sessionId, doc);
  }

  async sections(sessionId: string, keys: readonly { pad: string; section: string }[] | undefined): Promise<SectionRecord[]> {
    const file = await this.file(sessionId);
    if (!file) return [];
    const docs = keys === undefined ? sortSections(file.sections) : keys.flatMap((k) => file.sections.filter(sameSection(k.pad, k.section)));
    return Promise.all(docs.map((d) => this.sectionRecord(sessionId, d)));
  }

  async putSection(sessionId: string, record: SectionRecord): Promise<void> {
    const file = await this.writable(sessionId);
    const doc: SectionDoc = { ...sectionRow(record), chain: record.chain };
    const index = file.sections.findIndex(sameSection(record.pad, record.section));
    if (index >= 0) file.sections[index] = doc;
    else file.sections.push(doc);
  }

  async insertEntry(sessionId: string, seq: number, entry: HistoryEntry, meta: { clientId: string; mutationId: number; receivedAt: number }): Promise<void> {
    const file = await this.writable(sessionId);
    file.entries.push({
      seq,
      pad: entry.pad,
      section: entry.section,
      version: entry.version,
      clientId: meta.clientId,
      mutationId: meta.mutationId,
      receivedAt: meta.receivedAt,
      patch: JSON.stringify(packEntry(entry)),
    });
  }

  async putSnapshot(sessionId: string, snapshot: SnapshotRecord): Promise<void> {
    const file = await this.writable(sessionId);
    const doc: AnchorDoc =
      snapshot.content !== undefined
        ? { pad: snapshot.pad, section: snapshot.section, version: snapshot.version, content: snapshot.content }
        : { pad: snapshot.pad, section: snapshot.section, version: snapshot.version, prefixLength: snapshot.prefixLength };
    const index = file.anchors.findIndex((a) => a.pad === snapshot.pad && a.section === snapshot.section && a.version === snapshot.version);
    if (index >= 0) file.anchors[index] = doc;
    else file.anchors.push(doc);
  }

  async versionOfMutation(sessionId: string, clientId: string, mutationId: number) {
    const e = (await this.file(sessionId))?.entries.find((x) => x.clientId === clientId && x.mutationId === mutationId);
    return e && { pad: e.pad, section: e.section, version: e.version };
  }

  private async anchorsOf(sessionId: string, pad: string, section: string): Promise<AnchorDoc[]> {
    return ((await this.file(sessionId))?.anchors ?? []).filter(sameSection(pad, section)).sort((a, b) => a.version - b.version);
  }

  async anchorAtOrBefore(sessionId: string, pad: string, section: string, version: number): Promise<SnapshotRecord | undefined> {
    const doc = (await this.anchorsOf(sessionId, pad, section)).filter((a) => a.version <= version).pop();
    return doc && this.snapshot(sessionId, doc);
  }

  async fullSnapshotAfter(sessionId: string, pad: string, section: string, version: number): Promise<SnapshotRecord | undefined> {
    const doc = (await this.anchorsOf(sessionId, pad, section)).find((a) => a.version > version && a.content !== undefined);
    return doc && this.snapshot(sessionId, doc);
  }

  async entries(sessionId: string, pad: string, section: string, from: number, to: number): Promise<HistoryEntry[]> {
    if (to < from) return [];
    const docs = ((await this.file(sessionId))?.entries ?? []).filter((e) => e.pad === pad && e.section === section && e.version >= from && e.version <= to);
    docs.sort((a, b) => a.version - b.version);
    return Promise.all(docs.map((d) => this.entry(sessionId, d)));
  }

  async entriesAfter(sessionId: string, after: number, limit: number): Promise<SeqEntry[]> {
    const docs = ((await this.file(sessionId))?.entries ?? []).filter((e) => e.seq > after).slice(0, limit);
    return Promise.all(docs.map(async (d) => ({ seq: d.seq, entry: await this.entry(sessionId, d) })));
  }

  async minMutationAfter(sessionId: string, clientId: string, after: number): Promise<number | undefined> {
    let min: number | undefined;
    for (const e of (await this.file(sessionId))?.entries ?? []) {
      if (e.seq > after && e.clientId === clientId && (min === undefined || e.mutationId < min)) min = e.mutationId;
    }
    return min;
  }

  async deleteSessionData(sessionId: string): Promise<void> {
    const file = await this.writable(sessionId);
    file.sections = [];
    file.entries = [];
    file.anchors = [];
    // Every payload of an earlier epoch goes after the commit, also those no state ever named.
    file.epoch = (file.epoch ?? 0) + 1;
  }

  async sessionsWithHistoryBefore(cutoff: number): Promise<string[]> {
    const found: string[] = [];
    for await (const blob of this.ctx.container.listBlobsFlat({ prefix: 'sessions/', includeMetadata: true })) {
      if (!blob.name.endsWith('/state.json')) continue;
      const from = blob.metadata?.historyfrom;
      const id = sessionIdOf(blob.metadata);
      // Legacy sessions were migrated to their keys just before (see `migrateAllLegacy`); one left here failed to.
      if (from === undefined || id === undefined || !isSessionKey(id) || !(Number(from) < cutoff)) continue;
      found.push(id);
    }
    return found;
  }

  async prunable(sessionId: string, cutoff: number): Promise<PrunableSection[]> {
    return groupPrunable(((await this.file(sessionId))?.entries ?? []).filter((e) => e.receivedAt < cutoff));
  }

  async dropHistory(sessionId: string, pad: string, section: string, version: number): Promise<{ dropped: number; maxSeq: number }> {
    const file = await this.writable(sessionId);
    const drop = (r: { pad: string; section: string; version: number }) => r.pad === pad && r.section === section && r.version < version;
    let dropped = 0;
    let maxSeq = 0;
    for (const e of file.entries) {
      if (!drop(e)) continue;
      dropped++;
      maxSeq = Math.max(maxSeq, e.seq);
    }
    file.entries = file.entries.filter((e) => !drop(e));
    file.anchors = file.anchors.filter((a) => !drop(a));
    return { dropped, maxSeq };
  }

  async commit(): Promise<void> {
    const pair = onlyChangedSession(this.states, (l) => l.dirty, 'Blob Storage');
    if (!pair) return;
    const [sessionId, loaded] = pair;
    const file = loaded.file!;
    await this.spill(sessionId, file);
    const body = JSON.stringify(file);
    const historyFrom = file.entries.reduce((min, e) => Math.min(min, e.receivedAt), Infinity);
    const client = this.ctx.container.getBlockBlobClient(stateName(sessionId));
    const options = {
      conditions: loaded.etag !== undefined ? { ifMatch: loaded.etag } : { ifNoneMatch: '*' },
      blobHTTPHeaders: { blobContentType: 'application/json' },
      metadata: {
        // JSON first: it escapes unpaired surrogates, which UTF-8 (and so base64 of it) cannot carry.
        sessionkey: Buffer.from(JSON.stringify(sessionId), 'utf8').toString('base64url'),
        attempt: this.attemptId,
        ...(Number.isFinite(historyFrom) ? { historyfrom: String(historyFrom) } : {}),
      },
    };
    for (let send = 1; ; send++) {
      this.outcome = 'unknown';
      try {
        await client.upload(body, Buffer.byteLength(body), options);
        break;
      } catch (error) {
        // A 412 may be the SDK's own retry of an upload that landed, whose answer was lost; a dropped connection or
        // a 5xx may hide one that landed too. The state blob's metadata tells which.
        const now = await retryTransient(() => stateProperties(this.ctx.container, sessionId), statusOf);
        if (now?.attempt === this.attemptId) break;
        if (now?.etag !== loaded.etag) {
          this.outcome = 'lost';
          throw new WriteConflict(`session state blob answered ${statusOf(error) ?? 'nothing'}`);
        }
        // Still the state this attempt read: the upload has not landed. Send it again under the same condition (at
        // most one copy can land); after a few tries give up with the outcome unknown, deleting nothing.
        if (send >= 4) throw error;
      }
    }
    this.outcome = 'committed';
    this.committedState = { sessionId, refs: refsOf(file), epoch: file.epoch ?? 0 };
  }

  /** Moves long new text values to payload blobs of their own, written before the state blob that names them. */
  private async spill(sessionId: string, file: StateFile): Promise<void> {
    const put = async (text: Text): Promise<Text> => {
      if (typeof text !== 'string' || text.length <= this.ctx.spillChars) return text;
      const ref = `e${file.epoch ?? 0}.${nonce()}`;
      const name = payloadPrefix(sessionId) + ref;
      const bytes = Buffer.from(text, 'utf8');
      this.written.push(ref);
      this.writtenIn = sessionId;
      try {
        await retryTransient(
          () =>
            this.ctx.container.getBlockBlobClient(name).upload(bytes, bytes.length, {
              conditions: { ifNoneMatch: '*' },
              blobHTTPHeaders: { blobContentType: 'text/plain; charset=utf-8' },
            }),
          statusOf,
        );
      } catch (error) {
        // The name is random and new: if it exists, it is this upload, landed on an earlier try whose answer was lost.
        const status = statusOf(error);
        if (status !== 409 && status !== 412) throw error;
      }
      this.ctx.cache.set(ref, text);
      return { ref };
    };
    for (const s of file.sections) s.content = await put(s.content);
    for (const e of file.entries) e.patch = await put(e.patch);
    for (const a of file.anchors) if (a.content !== undefined) a.content = await put(a.content);
  }

  async validate(): Promise<void> {
    // One state blob is read in one request: what a read transaction saw is already consistent.
  }

  async cleanup(): Promise<void> {
    this.release?.();
    this.release = undefined;
    const doomed: string[] = [];
    if (this.outcome === 'none' && this.writtenIn !== undefined) {
      // The upload was never sent: nothing can name this attempt's payloads.
      for (const ref of this.written) doomed.push(payloadPrefix(this.writtenIn) + ref);
    } else if (this.outcome === 'lost' && this.writtenIn !== undefined && this.written.length > 0) {
      // It may have landed and been replaced by a writer that kept some of them: keep what the state names now.
      const blob = await readBlob(this.ctx.container, stateName(this.writtenIn));
      const refs = refsOf(blob ? (JSON.parse(blob.text) as StateFile) : undefined);
      for (const ref of this.written) if (!refs.has(ref)) doomed.push(payloadPrefix(this.writtenIn) + ref);
    } else if (this.outcome === 'committed' && this.committedState) {
      const { sessionId, refs, epoch } = this.committedState;
      const loaded = this.states.get(sessionId)!;
      for (const ref of loaded.storedRefs) if (!refs.has(ref)) doomed.push(payloadPrefix(sessionId) + ref);
      if (epoch > loaded.storedEpoch) {
        // The session's data was deleted: every payload of an earlier epoch goes, named or orphaned.
        for await (const blob of this.ctx.container.listBlobsFlat({ prefix: payloadPrefix(sessionId) })) {
          const ref = blob.name.slice(payloadPrefix(sessionId).length);
          if (epochOf(ref) < epoch && !doomed.includes(blob.name)) doomed.push(blob.name);
        }
      }
    }
    await Promise.all(doomed.map((name) => deletePayload(this.ctx, name)));
  }
}

/** The state blob's ETag and the attempt that wrote it, without downloading it. */
async function stateProperties(container: ContainerClient, sessionId: string): Promise<{ etag: string; attempt: string | undefined } | undefined> {
  try {
    const properties = await container.getBlobClient(stateName(sessionId)).getProperties();
    return { etag: properties.etag ?? '', attempt: properties.metadata?.attempt };
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/** The session id a state blob's metadata names: `sessionkey` (JSON, then base64url), or the older `sessionid`. */
function sessionIdOf(metadata: Record<string, string> | undefined): string | undefined {
  if (metadata?.sessionkey !== undefined) return JSON.parse(Buffer.from(metadata.sessionkey, 'base64url').toString('utf8')) as string;
  return metadata?.sessionid === undefined ? undefined : Buffer.from(metadata.sessionid, 'base64url').toString('utf8');
}

function sortSections(docs: readonly SectionDoc[]): SectionDoc[] {
  return [...docs].sort((a, b) => compareNames(a.pad, b.pad) || compareNames(a.section, b.section));
}

/** A binding's session as a key: bindings written before tenancy keys name the session id alone, of their own user. */
function boundKey(binding: Binding): string {
  return isSessionKey(binding.sessionId) ? binding.sessionId : sessionKey(binding.userId, binding.sessionId);
}

/**
 * Metadata of bindings that name a key: retention's pass finds the others (written before tenancy keys, or before
 * this mark) by listing, without reading every binding.
 */
const KEYED_BINDING = { keyed: '1' };

/** One migration per key at a time in this process: concurrent first requests of the owner share it. */
function migrateOnce(ctx: BlobContext, key: string): Promise<boolean> {
  let running = ctx.migrations.get(key);
  if (!running) {
    running = migrateLegacy(ctx, key).finally(() => ctx.migrations.delete(key));
    ctx.migrations.set(key, running);
  }
  return running;
}

/**
 * Tenancy (rules/tenancy.ts) keys sessions by user and session id. A session written before that has its state under
 * its id alone (`sessions/<sha256(id)>/`, no U+001F in the id), owned by its first writer. The first time the owner's
 * key is read and has no state, the session moves there, so nothing scans the container at open (retention's pass,
 * `migrateAllLegacy`, moves the rest):
 *
 * 1. The payload blobs the legacy state names are copied to the key's prefix under the same names, each created
 *    with `If-None-Match: *` (a payload never changes, so an existing copy is this one).
 * 2. The state is written under the key with `sessionId` the key, created with `If-None-Match: *`: the session
 *    appears complete, at once, and only once. A migrator that loses this race (or finds the key's state already
 *    there) never overwrites it; payloads it copied that the state no longer names are orphans the sweep removes.
 * 3. The bindings of the state's clients are rewritten to the key (each with `If-Match`), then the legacy state is
 *    deleted (`If-Match` on the ETag that was copied: a state written since by a server of the previous release
 *    stays), then its payloads.
 *
 * Every step can be repeated and resumed. True when the key's state now exists (migrated here or by another).
 */
async function migrateLegacy(ctx: BlobContext, key: string): Promise<boolean> {
  const parts = splitSessionKey(key);
  if (!parts) return false;
  const { container } = ctx;
  const legacyId = parts.sessionId;
  const blob = await retryTransient(() => readBlob(container, stateName(legacyId)), statusOf);
  if (!blob) return false;
  const file = JSON.parse(blob.text) as StateFile;
  // Another user's session of that id stays where it is: this user gets a new one.
  if (file.userId !== parts.userId || file.sessionId !== legacyId) return false;
  if (!(await stateProperties(container, key))) {
    let copied = true;
    for (const ref of refsOf(file)) {
      if (!(await copyPayload(ctx, legacyId, key, ref))) {
        copied = false;
        break;
      }
    }
    if (copied) {
      const moved: StateFile = { ...file, sessionId: key };
      const body = JSON.stringify(moved);
      const historyFrom = moved.entries.reduce((min, e) => Math.min(min, e.receivedAt), Infinity);
      try {
        await retryTransient(
          () =>
            container.getBlockBlobClient(stateName(key)).upload(body, Buffer.byteLength(body), {
              conditions: { ifNoneMatch: '*' },
              blobHTTPHeaders: { blobContentType: 'application/json' },
              metadata: {
                sessionkey: Buffer.from(JSON.stringify(key), 'utf8').toString('base64url'),
                migratedfrom: Buffer.from(JSON.stringify(legacyId), 'utf8').toString('base64url'),
                attempt: nonce(),
                ...(Number.isFinite(historyFrom) ? { historyfrom: String(historyFrom) } : {}),
              },
            }),
          statusOf,
        );
      } catch (error) {
        // Another migrator's state landed first, or this one on a try whose answer was lost: either is the session.
        const status = statusOf(error);
        if (status !== 409 && status !== 412) throw error;
      }
    } else if (!(await stateProperties(container, key))) {
      // A payload the legacy state names is gone, and no other migrator finished (which would have deleted it).
      throw new DanglingReference(`payload blob ${JSON.stringify(legacyId)} of a session stored before tenancy keys`);
    }
  }
  await cleanupLegacy(ctx, legacyId, blob.etag, file);
  return true;
}

/** Copies one payload blob to the key's prefix. False when the legacy one is gone (another migrator cleaned up). */
async function copyPayload(ctx: BlobContext, legacyId: string, key: string, ref: string): Promise<boolean> {
  const source = await retryTransient(() => readBlob(ctx.container, payloadPrefix(legacyId) + ref), statusOf);
  if (!source) return false;
  const bytes = Buffer.from(source.text, 'utf8');
  try {
    await retryTransient(
      () =>
        ctx.container.getBlockBlobClient(payloadPrefix(key) + ref).upload(bytes, bytes.length, {
          conditions: { ifNoneMatch: '*' },
          blobHTTPHeaders: { blobContentType: 'text/plain; charset=utf-8' },
        }),
      statusOf,
    );
  } catch (error) {
    // Payloads are written once: one of that name is this payload, copied by another migrator or an earlier try.
    const status = statusOf(error);
    if (status !== 409 && status !== 412) throw error;
  }
  return true;
}

/** Step 3 of `migrateLegacy`: bindings to the key, the legacy state (if it is still the one copied), its payloads. */
async function cleanupLegacy(ctx: BlobContext, legacyId: string, etag: string, file: StateFile): Promise<void> {
  const { container } = ctx;
  for (const client of file.clients) await rebind(ctx, client.clientId, legacyId);
  try {
    await retryTransient(() => container.getBlobClient(stateName(legacyId)).delete({ conditions: { ifMatch: etag } }), statusOf);
  } catch (error) {
    const status = statusOf(error);
    if (status === 404) {
      // Deleted by another migrator (or by an earlier try whose answer was lost): its payloads go below.
    } else if (status === 412) {
      // Written since it was copied: keep it, and the payloads it names.
      return;
    } else throw error;
  }
  const names: string[] = [];
  for await (const payload of container.listBlobsFlat({ prefix: payloadPrefix(legacyId) })) names.push(payload.name);
  await Promise.all(names.map((name) => deletePayload(ctx, name)));
}

/** Points a binding that names the legacy id at the key of its own user, by compare-and-swap. */
async function rebind(ctx: BlobContext, clientId: string, legacyId: string): Promise<void> {
  const client = ctx.container.getBlockBlobClient(bindingName(clientId));
  for (let tries = 1; ; tries++) {
    const blob = await retryTransient(() => readBlob(ctx.container, bindingName(clientId)), statusOf);
    if (!blob) return;
    const binding = JSON.parse(blob.text) as Binding;
    if (binding.sessionId !== legacyId) return;
    const body = JSON.stringify({ ...binding, sessionId: sessionKey(binding.userId, legacyId) });
    try {
      await client.upload(body, Buffer.byteLength(body), { conditions: { ifMatch: blob.etag }, blobHTTPHeaders: { blobContentType: 'application/json' }, metadata: KEYED_BINDING });
      return;
    } catch (error) {
      // 412: changed since read (another migrator rebound it, or a try whose answer was lost): read it again.
      const status = statusOf(error);
      if ((status !== 412 && !isTransient(status)) || tries >= 40) throw error;
    }
  }
}

/**
 * Migrates every legacy session (run with retention): those whose owners have not come back yet, and those whose
 * cleanup was cut short. One failure does not stop the others; the first is thrown at the end.
 */
async function migrateAllLegacy(ctx: BlobContext): Promise<void> {
  let first: unknown;
  for await (const blob of ctx.container.listBlobsFlat({ prefix: 'sessions/', includeMetadata: true })) {
    if (!blob.name.endsWith('/state.json')) continue;
    const id = sessionIdOf(blob.metadata);
    if (id !== undefined && isSessionKey(id)) continue;
    try {
      const state = await readBlob(ctx.container, blob.name);
      if (!state) continue;
      const file = JSON.parse(state.text) as StateFile;
      if (isSessionKey(file.sessionId)) continue;
      await migrateOnce(ctx, sessionKey(file.userId, file.sessionId));
    } catch (error) {
      first ??= error;
    }
  }
  // Bindings not named by any state (bound, but the first push never committed) are not rewritten by a migration.
  // Unmarked ones are read once: a legacy one moves to its user's key, a keyed one gets the mark.
  for await (const blob of ctx.container.listBlobsFlat({ prefix: 'clients/', includeMetadata: true })) {
    if (blob.metadata?.keyed === KEYED_BINDING.keyed) continue;
    try {
      const found = await readBlob(ctx.container, blob.name);
      if (!found) continue;
      const binding = JSON.parse(found.text) as Binding;
      if (!isSessionKey(binding.sessionId)) await rebind(ctx, binding.clientId, binding.sessionId);
      else await ctx.container.getBlockBlobClient(blob.name).setMetadata(KEYED_BINDING, { conditions: { ifMatch: found.etag } });
    } catch (error) {
      if (statusOf(error) !== 412) first ??= error;
    }
  }
  if (first !== undefined) throw first;
}
