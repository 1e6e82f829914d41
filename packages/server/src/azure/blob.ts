import { type HistoryEntry, packEntry, type SectionRecord, type SnapshotRecord } from 'scratchpad-store/protocol';
import { BlobServiceClient, RestError, type ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob';
import { resolveServerLimits } from '../limits.js';
import { createSqlStore } from '../rules/apply.js';
import { entryFromRow } from '../rules/tx.js';
import { groupPrunable, onlyChangedSession, sectionRow, type ClientRow, type PrunableSection, type SeqEntry, type SessionRow, type StoreTx } from '../rules/tx.js';
import type { ServerLimits, ServerStore } from '../types.js';
import { InFlight, WriteConflict, hashKey, nonce, optimisticRunner, type OptimisticTx, type RetryPolicy } from './common.js';
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
  const ctx: BlobContext = { container, cache: new PayloadCache(), spillChars: options.spillChars ?? 64 * 1024 };
  const inFlight = new InFlight('Blob Storage');
  const run = optimisticRunner((mode) => new BlobTx(ctx, mode), options.retry ?? {}, inFlight);
  return createSqlStore('azure-blob', run, limits, {
    health: () => inFlight.run(async () => void (await container.getProperties())),
    close: () => inFlight.close(),
  });
}

interface BlobContext {
  readonly container: ContainerClient;
  readonly cache: PayloadCache;
  readonly spillChars: number;
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
  /** Bumped by deleteSessionData, so that clients learn of the reset (absent in files written before epochs: 0). */
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
  /** Payload blobs written by this attempt: deleted again when it does not commit. */
  private readonly written: string[] = [];
  private committedState: { sessionId: string; refs: Set<string> } | undefined;
  /** 'unknown' after a state upload that failed without an answer: it may have landed, naming this attempt's payloads. */
  private outcome: 'none' | 'failed' | 'unknown' | 'committed' = 'none';
  private current: string | undefined;

  constructor(
    private readonly ctx: BlobContext,
    private readonly mode: 'read' | 'write',
  ) {}

  private async load(sessionId: string): Promise<Loaded> {
    this.current = sessionId;
    let loaded = this.states.get(sessionId);
    if (!loaded) {
      const blob = await readBlob(this.ctx.container, stateName(sessionId));
      const file = blob ? (JSON.parse(blob.text) as StateFile) : undefined;
      if (file && file.format !== 1) throw new Error(`Session state blob has format ${String(file.format)}; this server knows 1. Upgrade scratchpad-store.`);
      loaded = { etag: blob?.etag, file, storedRefs: refsOf(file), dirty: false };
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
      // Deleted after a later commit stopped referring to it: what this transaction read is stale, so run it again.
      if (!blob) throw new WriteConflict(`payload blob ${t.ref} is gone`);
      return blob.text;
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

  async session(sessionId: string): Promise<SessionRow | undefined> {
    // No lock: the compare-and-swap at commit fails if anyone else wrote the state blob since this read.
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
    return binding && { clientId, userId: binding.userId, sessionId: binding.sessionId, lastMutationId: 0 };
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
      });
    } catch (error) {
      const status = statusOf(error);
      if (status !== 409 && status !== 412) throw error;
      const existing = await this.binding(row.clientId);
      if (!existing || existing.userId !== row.userId || existing.sessionId !== row.sessionId) return false;
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
    file.epoch = (file.epoch ?? 0) + 1;
  }

  async sessionsWithHistoryBefore(cutoff: number): Promise<string[]> {
    const found: string[] = [];
    for await (const blob of this.ctx.container.listBlobsFlat({ prefix: 'sessions/', includeMetadata: true })) {
      if (!blob.name.endsWith('/state.json')) continue;
      const from = blob.metadata?.historyfrom;
      const id = blob.metadata?.sessionid;
      if (from === undefined || id === undefined || !(Number(from) < cutoff)) continue;
      found.push(Buffer.from(id, 'base64url').toString('utf8'));
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
    this.outcome = 'unknown';
    try {
      await this.ctx.container.getBlockBlobClient(stateName(sessionId)).upload(body, Buffer.byteLength(body), {
        conditions: loaded.etag !== undefined ? { ifMatch: loaded.etag } : { ifNoneMatch: '*' },
        blobHTTPHeaders: { blobContentType: 'application/json' },
        metadata: {
          sessionid: Buffer.from(sessionId, 'utf8').toString('base64url'),
          ...(Number.isFinite(historyFrom) ? { historyfrom: String(historyFrom) } : {}),
        },
      });
    } catch (error) {
      const status = statusOf(error);
      if (status === 412 || status === 409) {
        this.outcome = 'failed';
        throw new WriteConflict(`session state blob answered ${status}`);
      }
      throw error;
    }
    this.outcome = 'committed';
    this.committedState = { sessionId, refs: refsOf(file) };
  }

  /** Moves long new text values to payload blobs of their own, written before the state blob that names them. */
  private async spill(sessionId: string, file: StateFile): Promise<void> {
    const put = async (text: Text): Promise<Text> => {
      if (typeof text !== 'string' || text.length <= this.ctx.spillChars) return text;
      const ref = nonce();
      const name = payloadPrefix(sessionId) + ref;
      const bytes = Buffer.from(text, 'utf8');
      this.written.push(name);
      await this.ctx.container.getBlockBlobClient(name).upload(bytes, bytes.length, {
        conditions: { ifNoneMatch: '*' },
        blobHTTPHeaders: { blobContentType: 'text/plain; charset=utf-8' },
      });
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
    const doomed: string[] = [];
    if (this.outcome === 'none' || this.outcome === 'failed') doomed.push(...this.written);
    else if (this.outcome === 'committed' && this.committedState) {
      const { sessionId, refs } = this.committedState;
      const loaded = this.states.get(sessionId)!;
      for (const ref of loaded.storedRefs) if (!refs.has(ref)) doomed.push(payloadPrefix(sessionId) + ref);
    }
    await Promise.all(doomed.map((name) => this.ctx.container.getBlobClient(name).deleteIfExists()));
  }
}

function sortSections(docs: readonly SectionDoc[]): SectionDoc[] {
  // The order SQL's ORDER BY pad, section gives (code unit order, like the C collation the tests use).
  return [...docs].sort((a, b) => (a.pad < b.pad ? -1 : a.pad > b.pad ? 1 : a.section < b.section ? -1 : a.section > b.section ? 1 : 0));
}
