import { type HistoryEntry, packEntry, type SectionKey, type SectionRecord, type SnapshotRecord } from 'scratchpad-store/protocol';
import type { Agent } from 'node:https';
import {
  BulkOperationType,
  CosmosClient,
  ErrorResponse,
  PartitionKeyDefinitionVersion,
  PartitionKeyKind,
  type Container,
  type ItemDefinition,
  type OperationInput,
  type SqlParameter,
} from '@azure/cosmos';
import { resolveServerLimits } from '../limits.js';
import { createSqlStore } from '../rules/apply.js';
import { entryFromRow } from '../rules/tx.js';
import { groupPrunable, onlyChangedSession, sectionRow, type ClientRow, type EntryMeta, type PrunableSection, type SeqEntry, type SessionRow, type StoreTx } from '../rules/tx.js';
import type { ServerLimits, ServerStore } from '../types.js';
import { InFlight, WriteConflict, hashKey, jsonBytes, nonce, optimisticRunner, splitText, type OptimisticTx, type RetryPolicy } from './common.js';
import { PayloadCache } from './payload-cache.js';

/**
 * A `CosmosClient` of `@azure/cosmos`, declared by the member the store calls so that this module's types do not need
 * the SDK's: it is an optional peer of this package.
 */
export interface CosmosClientLike {
  database(id: string): unknown;
}

export interface CosmosStoreOptions {
  /** The account endpoint, e.g. `https://<account>.documents.azure.com:443/`. */
  readonly endpoint?: string;
  /** The account key (primary or secondary, read-write). */
  readonly key?: string;
  /** Or a client you made (Microsoft Entra ID credential, preferred regions, …); `endpoint` and `key` are then not needed. */
  readonly client?: CosmosClientLike;
  /** HTTPS agent for the client made from `endpoint` and `key`: to trust a private CA, or to tune keep-alive. */
  readonly agent?: Agent;
  /** Database, created if missing. Default 'scratchpad'. */
  readonly database?: string;
  /** Container, created if missing with partition key `/sessionId`. Default 'sessions'. */
  readonly container?: string;
  /** Provisioned RU/s when the store creates the container. Default: none given (serverless, or the database's shared throughput). */
  readonly throughput?: number;
  /**
   * Create the database and container when missing (default true). False where the identity may only read and write
   * items (Microsoft Entra ID data-plane roles cannot create containers): both must then exist, partitioned by /sessionId.
   */
  readonly createIfMissing?: boolean;
  readonly limits?: Partial<ServerLimits>;
  /** Retries of a commit lost to another writer of the same session (412 on the session document). */
  readonly retry?: RetryPolicy;
}

/**
 * Azure Cosmos DB (NoSQL API). One container partitioned by session id; a session's partition holds
 *
 * - `session`: owner, next seq, pruned seq, epoch; its ETag is the session's commit point (see below);
 * - `c.<sha256(clientId)>`: each client's last processed mutation id;
 * - `e<epoch>.s.<sha256(pad, section)>`: current section rows;
 * - `e<epoch>.h.<seq>`: history entries, the patch packed (src/core/packed.ts);
 * - `e<epoch>.a.<sha256(pad, section)>.<version>`: anchors for rebuilding old versions;
 * - `k.<random>.<i>`: pieces of a text value too large to travel in one transactional batch (written before it).
 *
 * and a partition `client:<sha256(clientId)>` holds a `binding` document per client id: its user and session.
 *
 * Each op is one transactional batch in its session's partition, led by a replace of the session document with
 * `If-Match` on the ETag read at the start: the op's section, history entry, client mutation id and the session's
 * seq commit together or not at all, and a batch that fails on that ETag (412: another writer committed first) is
 * run again on fresh reads, a bounded number of times with jittered backoff. Sections, clients and anchors are also
 * replaced with `If-Match`. Deleting a session bumps its epoch in one write (older documents stop being read at
 * once) and deletes them afterwards.
 */
export async function cosmosStore(options: CosmosStoreOptions): Promise<ServerStore> {
  const limits = resolveServerLimits(options.limits);
  const own = !options.client;
  const client =
    (options.client as CosmosClient | undefined) ??
    (options.endpoint && options.key
      ? new CosmosClient({ endpoint: options.endpoint, key: options.key, ...(options.agent ? { agent: options.agent } : {}) })
      : undefined);
  if (!client) throw new Error('cosmosStore needs an endpoint and a key, or a client.');
  try {
    const create = options.createIfMissing ?? true;
    const database = create ? (await client.databases.createIfNotExists({ id: options.database ?? 'scratchpad' })).database : client.database(options.database ?? 'scratchpad');
    const definition = {
      id: options.container ?? 'sessions',
      partitionKey: { paths: ['/sessionId'], kind: PartitionKeyKind.Hash, version: PartitionKeyDefinitionVersion.V2 },
      // Large text is never queried: indexing it would only cost RUs on every write.
      indexingPolicy: {
        automatic: true,
        includedPaths: [{ path: '/*' }],
        excludedPaths: [{ path: '/content/?' }, { path: '/patch/?' }, { path: '/data/?' }, { path: '/"_etag"/?' }],
      },
    };
    const container = create
      ? (await database.containers.createIfNotExists({ ...definition, ...(options.throughput ? { throughput: options.throughput } : {}) })).container
      : database.container(definition.id);
    const { resource } = await container.read();
    if (!resource) throw new Error(`Container ${definition.id} of database ${database.id} does not exist.`);
    const paths = resource?.partitionKey?.paths ?? [];
    if (paths.length !== 1 || paths[0] !== '/sessionId') {
      throw new Error(`Container ${container.id} is partitioned by ${JSON.stringify(paths)}; this store needs a container partitioned by /sessionId.`);
    }
    const ctx: CosmosContext = { container, cache: new PayloadCache() };
    const inFlight = new InFlight('Cosmos DB');
    const run = optimisticRunner((mode) => new CosmosTx(ctx, mode), options.retry ?? {}, inFlight);
    return createSqlStore(
      'azure-cosmos',
      run,
      limits,
      {
        health: () => inFlight.run(async () => void (await database.read())),
        async close() {
          await inFlight.close();
          if (own) client.dispose();
        },
      },
      // A transactional batch holds at most 100 operations and 2 MB: one op's effects always fit, a whole push may not.
      { transactionPerOp: true },
    );
  } catch (error) {
    if (own) client.dispose();
    throw error;
  }
}

interface CosmosContext {
  readonly container: Container;
  readonly cache: PayloadCache;
}

/** A text value stored as pieces (`k.<ref>.<i>`, i < n) instead of inline. */
interface BigRef {
  readonly ref: string;
  readonly n: number;
}

interface Doc extends ItemDefinition {
  id: string;
  sessionId: string;
  kind: 'session' | 'client' | 'binding' | 'section' | 'entry' | 'anchor' | 'piece';
}

interface SessionDoc extends Doc {
  kind: 'session';
  userId: string;
  nextSeq: number;
  prunedSeq: number;
  /** Bumped by deleteSession: documents of older epochs are no longer read, and are deleted after. */
  epoch: number;
  createdAt: number;
  /** Receive time of the oldest history entry kept, or earlier: retention visits sessions with this below its cutoff. */
  historyFrom: number | null;
}

interface ClientDoc extends Doc {
  kind: 'client';
  clientId: string;
  userId: string;
  lastMutationId: number;
  updatedAt: number;
}

interface BindingDoc extends Doc {
  kind: 'binding';
  clientId: string;
  userId: string;
  boundSession: string;
}

interface SectionDoc extends Doc {
  kind: 'section';
  epoch: number;
  pad: string;
  section: string;
  content?: string;
  big?: BigRef;
  version: number;
  updatedAt: number;
  updatedBy: string;
  deleted: boolean;
  chain: SectionRecord['chain'];
}

interface EntryDoc extends Doc {
  kind: 'entry';
  epoch: number;
  seq: number;
  pad: string;
  section: string;
  version: number;
  clientId: string;
  mutationId: number;
  receivedAt: number;
  patch?: string;
  big?: BigRef;
}

interface AnchorDoc extends Doc {
  kind: 'anchor';
  epoch: number;
  pad: string;
  section: string;
  version: number;
  /** Full content (inline or in pieces), as opposed to a prefix checkpoint. */
  full: boolean;
  content?: string;
  big?: BigRef;
  prefixLength?: number;
}

interface PieceDoc extends Doc {
  kind: 'piece';
  epoch: number;
  ref: string;
  i: number;
  data: string;
}

type Stored = { etag?: string; doc?: Doc };

/** Cosmos DB's limits are 2 MB for an item and for a transactional batch's request; these leave room for the rest. */
const BATCH_BYTES = 1_500_000;
const FIELD_BYTES = 256 * 1024;
const PIECE_UNITS = 256 * 1024;
const BATCH_OPS = 100;

const sectionId = (epoch: number, pad: string, section: string) => `e${epoch}.s.${hashKey(pad, section)}`;
const entryId = (epoch: number, seq: number) => `e${epoch}.h.${seq}`;
const anchorId = (epoch: number, pad: string, section: string, version: number) => `e${epoch}.a.${hashKey(pad, section)}.${version}`;
const clientDocId = (clientId: string) => `c.${hashKey(clientId)}`;
const bindingPartition = (clientId: string) => `client:${hashKey(clientId)}`;
const pieceId = (ref: string, i: number) => `k.${ref}.${i}`;

function statusOf(error: unknown): number | undefined {
  return error instanceof ErrorResponse && typeof error.code === 'number' ? error.code : undefined;
}

interface SessionState {
  etag: string | undefined;
  /** As read; undefined when the session does not exist yet. */
  stored: SessionDoc | undefined;
  /** What the commit writes. */
  doc: SessionDoc | undefined;
  changed: boolean;
  /** Epoch that deleteSessionData left behind: its documents are deleted after the commit. */
  oldEpoch: number | undefined;
}

interface Pending {
  readonly type: 'create' | 'replace' | 'delete';
  readonly id: string;
  readonly doc?: Doc;
  readonly ifMatch?: string;
}

class CosmosTx implements StoreTx, OptimisticTx {
  readonly tx: StoreTx = this;
  private readonly sessions = new Map<string, SessionState>();
  /** Point-read documents by id, with their ETags; pending writes show through. */
  private readonly seen = new Map<string, Stored>();
  private readonly pending = new Map<string, Pending>();
  /** Pieces written by this attempt, deleted again if its batch definitely failed. */
  private readonly written: { sessionId: string; id: string }[] = [];
  /** Large values that the commit makes unreferenced: deleted after it. */
  private readonly garbage: { sessionId: string; big: BigRef }[] = [];
  private outcome: 'none' | 'failed' | 'unknown' | 'committed' = 'none';
  /** Every batch of the commit went through: only then are the values it made unreferenced really unreferenced. */
  private complete = false;
  private current: string | undefined;

  constructor(
    private readonly ctx: CosmosContext,
    private readonly mode: 'read' | 'write',
  ) {}

  private get container(): Container {
    return this.ctx.container;
  }

  private async read<T extends Doc>(id: string, partition: string): Promise<{ etag?: string; doc?: T }> {
    const key = `${partition}\u0000${id}`;
    const known = this.seen.get(key);
    if (known) return known as { etag?: string; doc?: T };
    const response = await this.container.item(id, partition).read<T>();
    const stored: Stored = response.resource ? { etag: response.etag, doc: response.resource } : {};
    this.seen.set(key, stored);
    return stored as { etag?: string; doc?: T };
  }

  private async query<T>(partition: string | undefined, query: string, parameters: SqlParameter[]): Promise<T[]> {
    const iterator = this.container.items.query<T>({ query, parameters }, partition === undefined ? {} : { partitionKey: partition });
    return (await iterator.fetchAll()).resources;
  }

  private async state(sessionId: string): Promise<SessionState> {
    this.current = sessionId;
    let state = this.sessions.get(sessionId);
    if (!state) {
      const response = await this.container.item('session', sessionId).read<SessionDoc>();
      const stored = response.resource;
      state = { etag: stored ? response.etag : undefined, stored, doc: stored && { ...stored }, changed: false, oldEpoch: undefined };
      this.sessions.set(sessionId, state);
    }
    return state;
  }

  private async epoch(sessionId: string): Promise<number> {
    return (await this.state(sessionId)).doc?.epoch ?? 0;
  }

  private async writable(sessionId: string): Promise<SessionState & { doc: SessionDoc }> {
    if (this.mode !== 'write') throw new Error('Write in a read transaction.');
    const state = await this.state(sessionId);
    if (!state.doc) throw new Error(`Write to session ${JSON.stringify(sessionId)} before its row was inserted.`);
    return state as SessionState & { doc: SessionDoc };
  }

  private put(sessionId: string, doc: Doc, previous: Stored): void {
    const key = `${sessionId}\u0000${doc.id}`;
    const earlier = this.pending.get(key);
    // A document created earlier in this transaction is still a create; one read with an ETag is replaced on it.
    const type = earlier?.type === 'create' || !previous.doc ? 'create' : 'replace';
    this.pending.set(key, { type, id: doc.id, doc, ...(type === 'replace' && previous.etag ? { ifMatch: previous.etag } : {}) });
    this.seen.set(key, { etag: previous.etag, doc });
    const old = previous.doc as { big?: BigRef } | undefined;
    if (old?.big && !earlier) this.garbage.push({ sessionId, big: old.big });
  }

  private async text(sessionId: string, inline: string | undefined, big: BigRef | undefined): Promise<string> {
    if (!big) return inline ?? '';
    return this.ctx.cache.get(big.ref, async () => {
      const pieces = await this.query<{ i: number; data: string }>(sessionId, 'SELECT c.i, c.data FROM c WHERE c.sessionId = @s AND c.kind = "piece" AND c.ref = @r', [
        { name: '@s', value: sessionId },
        { name: '@r', value: big.ref },
      ]);
      // Deleted after a later commit stopped referring to it: what this transaction read is stale, so run it again.
      if (pieces.length !== big.n) throw new WriteConflict(`value ${big.ref} has ${pieces.length} of ${big.n} pieces`);
      return pieces
        .sort((a, b) => a.i - b.i)
        .map((p) => p.data)
        .join('');
    });
  }

  private async sectionRecord(sessionId: string, doc: SectionDoc): Promise<SectionRecord> {
    return {
      pad: doc.pad,
      section: doc.section,
      content: await this.text(sessionId, doc.content, doc.big),
      version: doc.version,
      updatedAt: doc.updatedAt,
      updatedBy: doc.updatedBy,
      deleted: doc.deleted,
      chain: doc.chain,
    };
  }

  private async snapshot(sessionId: string, doc: AnchorDoc): Promise<SnapshotRecord> {
    return doc.full
      ? { pad: doc.pad, section: doc.section, version: doc.version, content: await this.text(sessionId, doc.content, doc.big) }
      : { pad: doc.pad, section: doc.section, version: doc.version, prefixLength: doc.prefixLength ?? 0 };
  }

  private async entry(sessionId: string, doc: EntryDoc): Promise<HistoryEntry> {
    return entryFromRow(sessionId, { pad: doc.pad, section: doc.section, patch: await this.text(sessionId, doc.patch, doc.big) });
  }

  async session(sessionId: string): Promise<SessionRow | undefined> {
    // No lock: the batch that commits replaces this document with If-Match on the ETag read here.
    const doc = (await this.state(sessionId)).doc;
    return doc && { sessionId, userId: doc.userId, nextSeq: doc.nextSeq, prunedSeq: doc.prunedSeq, epoch: doc.epoch };
  }

  async insertSession(row: SessionRow, now: number): Promise<void> {
    const state = await this.state(row.sessionId);
    if (state.doc) throw new WriteConflict('The session was created meanwhile.');
    state.doc = {
      id: 'session',
      sessionId: row.sessionId,
      kind: 'session',
      userId: row.userId,
      nextSeq: row.nextSeq,
      prunedSeq: row.prunedSeq,
      epoch: 0,
      createdAt: now,
      historyFrom: null,
    };
    state.changed = true;
  }

  async updateSession(sessionId: string, nextSeq: number, prunedSeq: number): Promise<void> {
    const state = await this.writable(sessionId);
    state.doc.nextSeq = nextSeq;
    state.doc.prunedSeq = prunedSeq;
    state.changed = true;
  }

  async client(clientId: string): Promise<ClientRow | undefined> {
    if (this.current !== undefined) {
      const { doc } = await this.read<ClientDoc>(clientDocId(clientId), this.current);
      if (doc) return { clientId, userId: doc.userId, sessionId: this.current, lastMutationId: doc.lastMutationId };
    }
    const { doc: binding } = await this.read<BindingDoc>('binding', bindingPartition(clientId));
    // Bound, but the batch of its first op never committed: nothing processed yet.
    return binding && { clientId, userId: binding.userId, sessionId: binding.boundSession, lastMutationId: 0 };
  }

  async putClient(row: ClientRow, now: number): Promise<boolean> {
    const state = await this.writable(row.sessionId);
    const id = clientDocId(row.clientId);
    const previous = await this.read<ClientDoc>(id, row.sessionId);
    if (previous.doc && previous.doc.userId !== row.userId) return false;
    if (!previous.doc && !(await this.bind(row))) return false;
    const doc: ClientDoc = { id, sessionId: row.sessionId, kind: 'client', clientId: row.clientId, userId: row.userId, lastMutationId: row.lastMutationId, updatedAt: now };
    this.put(row.sessionId, doc, previous);
    state.changed = true;
    return true;
  }

  /**
   * Binds a client id to its user and session, once (a create: the first binding wins). In another partition, so not
   * in the op's batch: a binding whose batch then fails names only what the client itself asked for.
   */
  private async bind(row: ClientRow): Promise<boolean> {
    const partition = bindingPartition(row.clientId);
    const binding: BindingDoc = { id: 'binding', sessionId: partition, kind: 'binding', clientId: row.clientId, userId: row.userId, boundSession: row.sessionId };
    try {
      await this.container.items.create(binding);
      return true;
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
      const { resource } = await this.container.item('binding', partition).read<BindingDoc>();
      return resource !== undefined && resource.userId === row.userId && resource.boundSession === row.sessionId;
    }
  }

  async section(sessionId: string, pad: string, section: string): Promise<SectionRecord | undefined> {
    const { doc } = await this.read<SectionDoc>(sectionId(await this.epoch(sessionId), pad, section), sessionId);
    return doc && this.sectionRecord(sessionId, doc);
  }

  async sections(sessionId: string, keys: readonly SectionKey[] | undefined): Promise<SectionRecord[]> {
    const state = await this.state(sessionId);
    if (!state.doc) return [];
    const epoch = state.doc.epoch;
    if (keys !== undefined) {
      const found = await Promise.all(keys.map((k) => this.section(sessionId, k.pad, k.section)));
      return found.filter((r): r is SectionRecord => r !== undefined);
    }
    const docs = await this.query<SectionDoc>(sessionId, 'SELECT * FROM c WHERE c.sessionId = @s AND c.kind = "section" AND c.epoch = @e', [
      { name: '@s', value: sessionId },
      { name: '@e', value: epoch },
    ]);
    docs.sort((a, b) => (a.pad < b.pad ? -1 : a.pad > b.pad ? 1 : a.section < b.section ? -1 : a.section > b.section ? 1 : 0));
    return Promise.all(docs.map((d) => this.sectionRecord(sessionId, d)));
  }

  async putSection(sessionId: string, record: SectionRecord): Promise<void> {
    const state = await this.writable(sessionId);
    const id = sectionId(state.doc.epoch, record.pad, record.section);
    const previous = await this.read<SectionDoc>(id, sessionId);
    const doc: SectionDoc = {
      id,
      sessionId,
      kind: 'section',
      epoch: state.doc.epoch,
      ...sectionRow(record),
      chain: record.chain,
    };
    this.put(sessionId, doc, previous);
    state.changed = true;
  }

  async insertEntry(sessionId: string, seq: number, entry: HistoryEntry, meta: EntryMeta): Promise<void> {
    const state = await this.writable(sessionId);
    const epoch = state.doc.epoch;
    const doc: EntryDoc = {
      id: entryId(epoch, seq),
      sessionId,
      kind: 'entry',
      epoch,
      seq,
      pad: entry.pad,
      section: entry.section,
      version: entry.version,
      clientId: meta.clientId,
      mutationId: meta.mutationId,
      receivedAt: meta.receivedAt,
      patch: JSON.stringify(packEntry(entry)),
    };
    // Seqs are handed out under the session document's ETag: a new seq's document cannot exist yet.
    this.put(sessionId, doc, {});
    state.doc.historyFrom = Math.min(state.doc.historyFrom ?? meta.receivedAt, meta.receivedAt);
    state.changed = true;
  }

  async putSnapshot(sessionId: string, snapshot: SnapshotRecord): Promise<void> {
    const state = await this.writable(sessionId);
    const epoch = state.doc.epoch;
    const id = anchorId(epoch, snapshot.pad, snapshot.section, snapshot.version);
    const previous = await this.read<AnchorDoc>(id, sessionId);
    const doc: AnchorDoc = {
      id,
      sessionId,
      kind: 'anchor',
      epoch,
      pad: snapshot.pad,
      section: snapshot.section,
      version: snapshot.version,
      full: snapshot.content !== undefined,
      ...(snapshot.content !== undefined ? { content: snapshot.content } : { prefixLength: snapshot.prefixLength }),
    };
    this.put(sessionId, doc, previous);
    state.changed = true;
  }

  async versionOfMutation(sessionId: string, clientId: string, mutationId: number) {
    const [found] = await this.query<{ pad: string; section: string; version: number }>(
      sessionId,
      'SELECT c.pad, c.section, c.version FROM c WHERE c.sessionId = @s AND c.kind = "entry" AND c.epoch = @e AND c.clientId = @c AND c.mutationId = @m',
      [
        { name: '@s', value: sessionId },
        { name: '@e', value: await this.epoch(sessionId) },
        { name: '@c', value: clientId },
        { name: '@m', value: mutationId },
      ],
    );
    return found && { pad: found.pad, section: found.section, version: found.version };
  }

  private async anchorQuery(sessionId: string, pad: string, section: string, where: string, order: 'ASC' | 'DESC', version: number): Promise<SnapshotRecord | undefined> {
    const [doc] = await this.query<AnchorDoc>(
      sessionId,
      `SELECT TOP 1 * FROM c WHERE c.sessionId = @s AND c.kind = "anchor" AND c.epoch = @e AND c.pad = @p AND c.section = @q AND ${where} ORDER BY c.version ${order}`,
      [
        { name: '@s', value: sessionId },
        { name: '@e', value: await this.epoch(sessionId) },
        { name: '@p', value: pad },
        { name: '@q', value: section },
        { name: '@v', value: version },
      ],
    );
    return doc && this.snapshot(sessionId, doc);
  }

  anchorAtOrBefore(sessionId: string, pad: string, section: string, version: number): Promise<SnapshotRecord | undefined> {
    return this.anchorQuery(sessionId, pad, section, 'c.version <= @v', 'DESC', version);
  }

  fullSnapshotAfter(sessionId: string, pad: string, section: string, version: number): Promise<SnapshotRecord | undefined> {
    return this.anchorQuery(sessionId, pad, section, 'c.version > @v AND c.full = true', 'ASC', version);
  }

  async entries(sessionId: string, pad: string, section: string, from: number, to: number): Promise<HistoryEntry[]> {
    if (to < from) return [];
    const docs = await this.query<EntryDoc>(
      sessionId,
      'SELECT * FROM c WHERE c.sessionId = @s AND c.kind = "entry" AND c.epoch = @e AND c.pad = @p AND c.section = @q AND c.version >= @f AND c.version <= @t ORDER BY c.version',
      [
        { name: '@s', value: sessionId },
        { name: '@e', value: await this.epoch(sessionId) },
        { name: '@p', value: pad },
        { name: '@q', value: section },
        { name: '@f', value: from },
        { name: '@t', value: to },
      ],
    );
    return Promise.all(docs.map((d) => this.entry(sessionId, d)));
  }

  async entriesAfter(sessionId: string, after: number, limit: number): Promise<SeqEntry[]> {
    const docs = await this.query<EntryDoc>(
      sessionId,
      `SELECT TOP ${Math.max(1, Math.floor(limit))} * FROM c WHERE c.sessionId = @s AND c.kind = "entry" AND c.epoch = @e AND c.seq > @a ORDER BY c.seq`,
      [
        { name: '@s', value: sessionId },
        { name: '@e', value: await this.epoch(sessionId) },
        { name: '@a', value: after },
      ],
    );
    return Promise.all(docs.map(async (d) => ({ seq: d.seq, entry: await this.entry(sessionId, d) })));
  }

  async minMutationAfter(sessionId: string, clientId: string, after: number): Promise<number | undefined> {
    const [min] = await this.query<number | null | undefined>(
      sessionId,
      'SELECT VALUE MIN(c.mutationId) FROM c WHERE c.sessionId = @s AND c.kind = "entry" AND c.epoch = @e AND c.clientId = @c AND c.seq > @a',
      [
        { name: '@s', value: sessionId },
        { name: '@e', value: await this.epoch(sessionId) },
        { name: '@c', value: clientId },
        { name: '@a', value: after },
      ],
    );
    return typeof min === 'number' ? min : undefined;
  }

  async deleteSessionData(sessionId: string): Promise<void> {
    const state = await this.writable(sessionId);
    // One write hides everything: later reads look at the next epoch only. The old documents go after the commit.
    state.oldEpoch ??= state.doc.epoch;
    state.doc.epoch += 1;
    state.doc.historyFrom = null;
    state.changed = true;
  }

  async sessionsWithHistoryBefore(cutoff: number): Promise<string[]> {
    const rows = await this.query<{ sessionId: string }>(undefined, 'SELECT c.sessionId FROM c WHERE c.kind = "session" AND c.historyFrom < @cut', [{ name: '@cut', value: cutoff }]);
    return rows.map((r) => r.sessionId);
  }

  async prunable(sessionId: string, cutoff: number): Promise<PrunableSection[]> {
    const rows = await this.query<{ pad: string; section: string; version: number }>(
      sessionId,
      'SELECT c.pad, c.section, c.version FROM c WHERE c.sessionId = @s AND c.kind = "entry" AND c.epoch = @e AND c.receivedAt < @cut',
      [
        { name: '@s', value: sessionId },
        { name: '@e', value: await this.epoch(sessionId) },
        { name: '@cut', value: cutoff },
      ],
    );
    return groupPrunable(rows);
  }

  async dropHistory(sessionId: string, pad: string, section: string, version: number): Promise<{ dropped: number; maxSeq: number }> {
    const state = await this.writable(sessionId);
    const rows = await this.query<{ id: string; kind: 'entry' | 'anchor'; seq?: number; big?: BigRef }>(
      sessionId,
      'SELECT c.id, c.kind, c.seq, c.big FROM c WHERE c.sessionId = @s AND (c.kind = "entry" OR c.kind = "anchor") AND c.epoch = @e AND c.pad = @p AND c.section = @q AND c.version < @v',
      [
        { name: '@s', value: sessionId },
        { name: '@e', value: state.doc.epoch },
        { name: '@p', value: pad },
        { name: '@q', value: section },
        { name: '@v', value: version },
      ],
    );
    let dropped = 0;
    let maxSeq = 0;
    for (const row of rows) {
      if (row.kind === 'entry') {
        dropped++;
        maxSeq = Math.max(maxSeq, row.seq ?? 0);
      }
      const key = `${sessionId}\u0000${row.id}`;
      this.pending.set(key, { type: 'delete', id: row.id });
      this.seen.set(key, {});
      if (row.big) this.garbage.push({ sessionId, big: row.big });
    }
    state.changed = true;
    return { dropped, maxSeq };
  }

  async commit(): Promise<void> {
    const pair = onlyChangedSession(this.sessions, (s) => s.changed, 'Cosmos DB');
    if (!pair) return;
    const [sessionId, state] = pair;
    const doc = state.doc!;

    const writes: OperationInput[] = [];
    const deletes: OperationInput[] = [];
    for (const [key, p] of this.pending) {
      if (!key.startsWith(`${sessionId}\u0000`)) throw new Error('A Cosmos DB transaction may change one session only.');
      if (p.type === 'delete') deletes.push({ operationType: BulkOperationType.Delete, id: p.id, partitionKey: sessionId });
      else if (p.type === 'create') writes.push({ operationType: BulkOperationType.Create, resourceBody: { ...p.doc! }, partitionKey: sessionId });
      else writes.push({ operationType: BulkOperationType.Replace, id: p.id, resourceBody: { ...p.doc! }, partitionKey: sessionId, ...(p.ifMatch ? { ifMatch: p.ifMatch } : {}) });
    }
    await this.spill(sessionId, doc.epoch, writes);

    // The session document leads, so that a lost race fails the batch at its first operation.
    const guard: OperationInput =
      state.stored && state.etag
        ? { operationType: BulkOperationType.Replace, id: 'session', resourceBody: { ...doc }, ifMatch: state.etag, partitionKey: sessionId }
        : { operationType: BulkOperationType.Create, resourceBody: { ...doc }, partitionKey: sessionId };
    const batches = packBatches([guard, ...writes], deletes);
    this.outcome = 'unknown';
    await this.runBatch(sessionId, batches[0]!, true);
    this.outcome = 'committed';
    // Only retention and deletion write more than one batch holds: anchors first, then the history below them.
    // Each later batch is safe on its own, and a crash between them leaves extra history, which the next pass drops.
    for (const batch of batches.slice(1)) await this.runBatch(sessionId, batch, false);
    this.complete = true;
  }

  private async runBatch(sessionId: string, operations: OperationInput[], first: boolean): Promise<void> {
    const response = await this.container.items.batch(operations, sessionId);
    const failed = response.result?.find((r) => r.statusCode >= 400 && r.statusCode !== 424);
    if (!failed) return;
    if (!first && failed.statusCode === 404) {
      // A later batch of deletes raced another pass over the same history: finish one by one.
      for (const op of operations) if (op.operationType === BulkOperationType.Delete) await this.deleteIfExists(sessionId, op.id);
      return;
    }
    if (first && [404, 409, 412, 429].includes(failed.statusCode)) {
      this.outcome = 'failed';
      throw new WriteConflict(`transactional batch answered ${failed.statusCode}`);
    }
    throw new Error(`A Cosmos DB transactional batch failed with ${failed.statusCode}.`);
  }

  private async deleteIfExists(sessionId: string, id: string): Promise<void> {
    try {
      await this.container.item(id, sessionId).delete();
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }

  /**
   * Keeps the first batch under Cosmos DB's 2 MB: long text values, largest first, move to pieces of their own,
   * written before the batch that refers to them.
   */
  private async spill(sessionId: string, epoch: number, writes: OperationInput[]): Promise<void> {
    type Body = { content?: string; patch?: string; big?: BigRef };
    const fields: { body: Body; field: 'content' | 'patch'; bytes: number }[] = [];
    let total = 0;
    for (const op of writes) {
      const body = (op as { resourceBody: Body }).resourceBody;
      total += jsonBytes(body);
      for (const field of ['content', 'patch'] as const) {
        const value = body[field];
        if (typeof value === 'string' && value.length > 1024) fields.push({ body, field, bytes: jsonBytes(value) });
      }
    }
    fields.sort((a, b) => b.bytes - a.bytes);
    for (const f of fields) {
      if (total <= BATCH_BYTES && f.bytes <= FIELD_BYTES) break;
      const value = f.body[f.field]!;
      const ref = nonce();
      const pieces = splitPieces(value);
      for (let i = 0; i < pieces.length; i += 4) {
        await Promise.all(
          pieces.slice(i, i + 4).map(async (data, j) => {
            const piece: PieceDoc = { id: pieceId(ref, i + j), sessionId, kind: 'piece', epoch, ref, i: i + j, data };
            this.written.push({ sessionId, id: piece.id });
            await this.container.items.create(piece);
          }),
        );
      }
      this.ctx.cache.set(ref, value);
      delete f.body[f.field];
      f.body.big = { ref, n: pieces.length };
      total -= f.bytes;
    }
  }

  async validate(): Promise<void> {
    // The session document changes with every commit: if it is as it was, everything read since was one state.
    for (const [sessionId, state] of this.sessions) {
      const response = await this.container.item('session', sessionId).read<SessionDoc>();
      const etag = response.resource ? response.etag : undefined;
      if (etag !== state.etag) throw new WriteConflict('the session changed while it was read');
    }
  }

  async cleanup(): Promise<void> {
    if (this.outcome === 'none' || this.outcome === 'failed') {
      // Nothing refers to this attempt's pieces. After an unknown outcome (a network error), something might.
      await Promise.all(this.written.map((w) => this.deleteIfExists(w.sessionId, w.id)));
      return;
    }
    if (this.outcome !== 'committed' || !this.complete) return;
    for (const { sessionId, big } of this.garbage) {
      for (let i = 0; i < big.n; i++) await this.deleteIfExists(sessionId, pieceId(big.ref, i));
    }
    for (const [sessionId, state] of this.sessions) {
      if (state.oldEpoch === undefined || !state.doc) continue;
      const old = await this.query<{ id: string }>(sessionId, 'SELECT c.id FROM c WHERE c.sessionId = @s AND c.epoch <= @e', [
        { name: '@s', value: sessionId },
        { name: '@e', value: state.doc.epoch - 1 },
      ]);
      for (const { id } of old) await this.deleteIfExists(sessionId, id);
    }
  }
}

/** Pieces of at most PIECE_UNITS code units, smaller where JSON escapes make a piece too many bytes for one item. */
function splitPieces(value: string): string[] {
  const out: string[] = [];
  for (const piece of splitText(value, PIECE_UNITS)) {
    if (jsonBytes(piece) <= 1_500_000) out.push(piece);
    else out.push(...splitText(piece, Math.floor(PIECE_UNITS / 8)));
  }
  return out;
}

/**
 * The first batch holds the session document and every write (they must commit together); deletes fill it up to the
 * limits, the rest follow in more batches. Only retention produces more writes than one batch holds (an anchor per
 * section it prunes): those follow too, before any delete.
 */
function packBatches(writes: OperationInput[], deletes: OperationInput[]): OperationInput[][] {
  const batches: OperationInput[][] = [];
  let batch: OperationInput[] = [];
  let bytes = 0;
  for (const op of [...writes, ...deletes]) {
    const size = jsonBytes(op);
    if (batch.length > 0 && (batch.length >= BATCH_OPS || bytes + size > BATCH_BYTES)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(op);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
