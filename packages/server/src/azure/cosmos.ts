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
import { SESSION_KEY_SEPARATOR, isSessionKey, sessionKey, splitSessionKey } from '../rules/tenancy.js';
import { DanglingReference, InFlight, SessionLocks, WriteConflict, compareNames, hashKey, isTransient, jsonBytes, nonce, optimisticRunner, retryTransient, sessionBusy, sleep, splitText, type OptimisticTx, type RetryPolicy, withHousekeeping } from './common.js';
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
  /**
   * Retention (`prune`) also deletes pieces that no document refers to and that are older than this (left by a crash
   * between writing a value and its batch, or by a batch whose outcome stayed unknown), and the documents of epochs
   * before a session's deletion that its cleanup did not get to. It must exceed the longest a push can take.
   * Default 1 hour.
   */
  readonly orphanGraceMs?: number;
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
    const ctx: CosmosContext = { container, cache: new PayloadCache(), locks: new SessionLocks(), migrations: new Map() };
    const inFlight = new InFlight('Cosmos DB');
    const run = optimisticRunner((mode) => new CosmosTx(ctx, mode), options.retry ?? {}, inFlight);
    const store = createSqlStore(
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
    return withHousekeeping(store, inFlight, {
      migrateLegacy: () => migrateAllLegacy(ctx),
      sweepOrphans: (olderThan) => sweepOrphans(ctx, olderThan),
      graceMs: options.orphanGraceMs ?? 3_600_000,
    });
  } catch (error) {
    if (own) client.dispose();
    throw error;
  }
}

interface CosmosContext {
  readonly container: Container;
  readonly cache: PayloadCache;
  readonly locks: SessionLocks;
  /** Migrations of legacy sessions running in this process, by key: concurrent requests for one key share one. */
  readonly migrations: Map<string, Promise<boolean>>;
}

/** A text value stored as pieces (`k.<ref>.<i>`, i < n) instead of inline. */
interface BigRef {
  readonly ref: string;
  readonly n: number;
}

interface Doc extends ItemDefinition {
  id: string;
  sessionId: string;
  kind: 'session' | 'client' | 'binding' | 'section' | 'entry' | 'anchor' | 'piece' | 'migration';
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
  /** The transaction attempt that committed last: how a lost answer is told from a lost race. */
  attempt?: string;
  /** The session id alone under which this session was stored before tenancy keys (see `migrateLegacy`). */
  migratedFrom?: string;
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
  /** Large values written as pieces by this attempt, deleted again when no committed document refers to them. */
  private readonly written: { sessionId: string; big: BigRef }[] = [];
  /** Large values that the commit makes unreferenced: deleted after it. */
  private readonly garbage: { sessionId: string; big: BigRef }[] = [];
  /**
   * 'lost': the first batch did not commit with this attempt's session document, which has moved on: it never
   * applied, or applied and was replaced since by writers that kept or deleted what it named. 'unknown': no answer
   * and the session unchanged: it may still apply.
   */
  private outcome: 'none' | 'lost' | 'unknown' | 'committed' = 'none';
  private readonly attemptId = nonce();
  private release: (() => void) | undefined;
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
      let response = await this.container.item('session', sessionId).read<SessionDoc>();
      // A key without a session may be a session stored under its id alone before tenancy keys: move it first.
      if (!response.resource && isSessionKey(sessionId) && (await migrateOnce(this.ctx, sessionId))) {
        response = await this.container.item('session', sessionId).read<SessionDoc>();
      }
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
      if (pieces.length !== big.n) {
        // Deleted after a later commit stopped referring to it: what this transaction read is stale, so run it again.
        // But if the session is still as read, a committed document names a value that is gone: no retry can help.
        const now = await this.container.item('session', sessionId).read<SessionDoc>();
        const etag = now.resource ? now.etag : undefined;
        if (etag === this.sessions.get(sessionId)?.etag) throw new DanglingReference(`value ${big.ref} has ${pieces.length} of ${big.n} pieces`);
        throw new WriteConflict(`value ${big.ref} has ${pieces.length} of ${big.n} pieces`);
      }
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

  async session(sessionId: string, lock = false): Promise<SessionRow | undefined> {
    // Writers of this process queue per session (so they never race each other); other instances are caught by the
    // batch that commits, which replaces this document with If-Match on the ETag read here.
    if (lock && this.mode === 'write' && !this.release) this.release = await this.ctx.locks.acquire(sessionId);
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
    return binding && { clientId, userId: binding.userId, sessionId: boundKey(binding), lastMutationId: 0 };
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
      await retryTransient(() => this.container.items.create(binding), statusOf);
      return true;
    } catch (error) {
      // Someone's binding, or this one, created by a try whose answer was lost: either way the stored one decides.
      if (statusOf(error) !== 409) throw error;
      const { resource } = await this.container.item('binding', partition).read<BindingDoc>();
      if (resource === undefined || resource.userId !== row.userId || boundKey(resource) !== row.sessionId) return false;
      // Bound before tenancy keys (its first push never committed): name the key from now on.
      if (resource.boundSession !== row.sessionId) await rebind(this.container, partition, resource.boundSession);
      return true;
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
    docs.sort((a, b) => compareNames(a.pad, b.pad) || compareNames(a.section, b.section));
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
    // Legacy sessions (ids without a key) were migrated to their keys just before (see `migrateAllLegacy`); one left
    // here failed to migrate or was cut short in its cleanup, and is not written under its legacy id.
    return rows.map((r) => r.sessionId).filter(isSessionKey);
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

    doc.attempt = this.attemptId;
    // The session document leads, so that a lost race fails the batch at its first operation.
    const guard: OperationInput =
      state.stored && state.etag
        ? { operationType: BulkOperationType.Replace, id: 'session', resourceBody: { ...doc }, ifMatch: state.etag, partitionKey: sessionId }
        : { operationType: BulkOperationType.Create, resourceBody: { ...doc }, partitionKey: sessionId };
    const batches = packBatches([guard, ...writes], deletes);
    await this.runFirstBatch(sessionId, state, batches[0]!);
    this.outcome = 'committed';
    // Only retention and deletion write more than one batch holds: anchors first, then the history below them.
    // Each later batch is safe on its own, and a crash between them leaves extra history, which the next pass drops.
    for (const batch of batches.slice(1)) await this.runBatch(sessionId, batch);
    this.complete = true;
  }

  /** The batch that commits. Its outcome is settled by the session document, whatever answer (or none) came back. */
  private async runFirstBatch(sessionId: string, state: SessionState, operations: OperationInput[]): Promise<void> {
    for (let send = 1; ; send++) {
      this.outcome = 'unknown';
      let status: number | undefined;
      let failure: unknown;
      try {
        const response = await this.container.items.batch(operations, sessionId);
        const failed = response.result?.find((r) => r.statusCode >= 400 && r.statusCode !== 424);
        if (!failed) return;
        status = failed.statusCode;
        failure = new Error(`A Cosmos DB transactional batch failed with ${status}.`);
      } catch (error) {
        status = statusOf(error);
        failure = error;
      }
      // A 412 may follow a try that applied but whose answer was lost; a dropped connection or a 5xx may hide one.
      const now = await retryTransient(() => this.container.item('session', sessionId).read<SessionDoc>(), statusOf);
      if (now.resource?.attempt === this.attemptId) return;
      if ((now.resource ? now.etag : undefined) !== state.etag || status === 429 || status === 404 || status === 409 || status === 412) {
        this.outcome = 'lost';
        throw new WriteConflict(`transactional batch answered ${status ?? 'nothing'}`);
      }
      if (!isTransient(status)) {
        // A definite refusal: it did not apply, and cannot later.
        this.outcome = 'lost';
        throw failure;
      }
      // No answer and the session as read: not applied yet. Send it again (the If-Match lets at most one copy apply);
      // after a few tries give up with the outcome unknown, deleting nothing.
      if (send >= 4) throw failure;
    }
  }

  private async runBatch(sessionId: string, operations: OperationInput[]): Promise<void> {
    const response = await retryTransient(() => this.container.items.batch(operations, sessionId), statusOf);
    const failed = response.result?.find((r) => r.statusCode >= 400 && r.statusCode !== 424);
    if (!failed) return;
    if (failed.statusCode === 404) {
      // A later batch of deletes raced another pass over the same history: finish one by one.
      for (const op of operations) if (op.operationType === BulkOperationType.Delete) await this.deleteIfExists(sessionId, op.id);
      return;
    }
    throw new Error(`A Cosmos DB transactional batch failed with ${failed.statusCode}.`);
  }

  private deleteIfExists(sessionId: string, id: string): Promise<void> {
    return deleteDoc(this.container, sessionId, id);
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
      this.written.push({ sessionId, big: { ref, n: pieces.length } });
      for (let i = 0; i < pieces.length; i += 4) {
        await Promise.all(
          pieces.slice(i, i + 4).map(async (data, j) => {
            const piece: PieceDoc = { id: pieceId(ref, i + j), sessionId, kind: 'piece', epoch, ref, i: i + j, data };
            try {
              await retryTransient(() => this.container.items.create(piece), statusOf);
            } catch (error) {
              // The id is random and new: if it exists, it is this create, applied on a try whose answer was lost.
              if (statusOf(error) !== 409) throw error;
            }
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
    this.release?.();
    this.release = undefined;
    if (this.outcome === 'none') {
      // The batch was never sent: nothing refers to this attempt's pieces.
      for (const { sessionId, big } of this.written) await this.deleteValue(sessionId, big);
      return;
    }
    if (this.outcome === 'lost') {
      // It may have applied and been replaced by writers that kept some of its values: keep what documents name now.
      for (const { sessionId, big } of this.written) {
        if (!(await referencedValues(this.container, sessionId)).has(big.ref)) await this.deleteValue(sessionId, big);
      }
      return;
    }
    if (this.outcome !== 'committed' || !this.complete) return;
    for (const { sessionId, big } of this.garbage) await this.deleteValue(sessionId, big);
    for (const [sessionId, state] of this.sessions) {
      if (state.oldEpoch === undefined || !state.doc) continue;
      await deleteOldEpochs(this.container, sessionId, state.doc.epoch);
    }
  }

  private async deleteValue(sessionId: string, big: BigRef): Promise<void> {
    for (let i = 0; i < big.n; i++) await this.deleteIfExists(sessionId, pieceId(big.ref, i));
  }
}

async function deleteDoc(container: Container, sessionId: string, id: string): Promise<void> {
  try {
    await retryTransient(() => container.item(id, sessionId).delete(), statusOf);
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
}

/** The large values that documents of the session refer to. */
async function referencedValues(container: Container, sessionId: string): Promise<Set<string>> {
  const rows = await container.items
    .query<{ big?: BigRef }>({ query: 'SELECT c.big FROM c WHERE c.sessionId = @s AND IS_DEFINED(c.big)', parameters: [{ name: '@s', value: sessionId }] }, { partitionKey: sessionId })
    .fetchAll();
  return new Set(rows.resources.flatMap((r) => (r.big ? [r.big.ref] : [])));
}

/** Everything of a deleted session's earlier epochs: sections, history, anchors and pieces, named or orphaned. */
async function deleteOldEpochs(container: Container, sessionId: string, epoch: number): Promise<number> {
  const old = await container.items
    .query<{ id: string }>({ query: 'SELECT c.id FROM c WHERE c.sessionId = @s AND c.epoch < @e', parameters: [{ name: '@s', value: sessionId }, { name: '@e', value: epoch }] }, { partitionKey: sessionId })
    .fetchAll();
  for (const { id } of old.resources) await deleteDoc(container, sessionId, id);
  return old.resources.length;
}

/**
 * Deletes what no committed document can reach: the documents of epochs before a session's deletion (its cleanup
 * may have been cut short) and pieces written at `cutoff` or before (to the second) that no document names. Safe without a lock: a document
 * can only come to name a value that its own attempt wrote (younger than the cutoff) or that the document it
 * replaced named.
 */
async function sweepOrphans(ctx: CosmosContext, cutoff: number): Promise<number> {
  const { container } = ctx;
  let deleted = 0;
  const deletedSessions = await container.items
    .query<{ sessionId: string; epoch: number }>({ query: 'SELECT c.sessionId, c.epoch FROM c WHERE c.kind = "session" AND c.epoch > 0', parameters: [] })
    .fetchAll();
  for (const { sessionId, epoch } of deletedSessions.resources) deleted += await deleteOldEpochs(container, sessionId, epoch);
  const pieces = await container.items
    .query<{ sessionId: string; id: string; ref: string }>({
      query: 'SELECT c.sessionId, c.id, c.ref FROM c WHERE c.kind = "piece" AND c._ts <= @cut',
      parameters: [{ name: '@cut', value: Math.floor(cutoff / 1000) }],
    })
    .fetchAll();
  const bySession = new Map<string, { id: string; ref: string }[]>();
  for (const p of pieces.resources) bySession.set(p.sessionId, [...(bySession.get(p.sessionId) ?? []), p]);
  for (const [sessionId, list] of bySession) {
    const named = await referencedValues(container, sessionId);
    for (const p of list) {
      if (named.has(p.ref)) continue;
      await deleteDoc(container, sessionId, p.id);
      deleted++;
    }
  }
  return deleted;
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

interface MigrationDoc extends Doc {
  kind: 'migration';
  /** The legacy session id (no U+001F) whose partition is copied into this key's. */
  from: string;
  /** `copying` until the batch that creates the session document; `done` for good after it. */
  state: 'copying' | 'done';
  startedAt: number;
  /** Documents written by copy batches, repeats included: each batch replaces this document, which is its guard. */
  copied: number;
  doneAt?: number;
}

/** A binding's session as a key: bindings written before tenancy keys name the session id alone, of their own user. */
function boundKey(binding: BindingDoc): string {
  return isSessionKey(binding.boundSession) ? binding.boundSession : sessionKey(binding.userId, binding.boundSession);
}

/** A document as read, without the properties the service adds, to write it elsewhere. */
function plain<T extends Doc>(doc: T): T {
  const copy: Record<string, unknown> = { ...doc };
  for (const system of ['_rid', '_self', '_etag', '_attachments', '_ts']) delete copy[system];
  return copy as T;
}

async function readDoc<T extends Doc>(container: Container, id: string, partition: string): Promise<{ doc?: T; etag?: string }> {
  const response = await retryTransient(() => container.item(id, partition).read<T>(), statusOf);
  return response.resource ? { doc: response.resource, etag: response.etag } : {};
}

/** One migration per key at a time in this process: concurrent first requests of the owner share it. */
function migrateOnce(ctx: CosmosContext, key: string): Promise<boolean> {
  let running = ctx.migrations.get(key);
  if (!running) {
    running = migrateLegacy(ctx, key).finally(() => ctx.migrations.delete(key));
    ctx.migrations.set(key, running);
  }
  return running;
}

/** Rounds of a migration before it gives up with 503 SESSION_BUSY (the client retries; the next request resumes it). */
const MIGRATION_ROUNDS = 20;

/**
 * Tenancy (rules/tenancy.ts) keys sessions by user and session id. A session written before that lies in the
 * partition of its id alone (which has no U+001F), owned by its first writer. The first time the owner's key is read
 * and has no session, its legacy partition moves there, so nothing scans the container at open (retention's pass,
 * `migrateAllLegacy`, moves the rest):
 *
 * 1. A `migration` document in the key's partition guards the copy: every batch that copies documents (clients, and
 *    the current epoch's sections, entries, anchors and the pieces they name, same ids) replaces it with `If-Match`,
 *    upserting the documents in the same batch. Instances that migrate at once upsert the same content (this release
 *    never writes a legacy partition), so they cannot lose or double anything.
 * 2. One batch turns the marker `done` and creates the session document: the session appears complete, at once. No
 *    copy batch can apply after it, and the marker stays, so a migrator that read the legacy session long ago
 *    cannot copy stale documents over newer ones.
 * 3. Bindings that name the legacy id are rewritten to the key (each with `If-Match`), then the legacy partition's
 *    documents are deleted, its session document last, so that a cleanup cut short is found and finished by the
 *    next pass.
 *
 * Every step can be repeated and resumed. True when the key's session now exists (or was migrated by another).
 */
async function migrateLegacy(ctx: CosmosContext, key: string): Promise<boolean> {
  const parts = splitSessionKey(key);
  if (!parts) return false;
  const { container } = ctx;
  const legacyId = parts.sessionId;
  const legacy = await readDoc<SessionDoc>(container, 'session', legacyId);
  // Another user's session of that id stays where it is: this user gets a new one.
  if (!legacy.doc || legacy.doc.userId !== parts.userId) return false;
  for (let round = 1; ; round++) {
    if (round > MIGRATION_ROUNDS) throw sessionBusy(round);
    const marker = await readDoc<MigrationDoc>(container, 'migration', key);
    if (!marker.doc) {
      const doc: MigrationDoc = { id: 'migration', sessionId: key, kind: 'migration', from: legacyId, state: 'copying', startedAt: Date.now(), copied: 0 };
      try {
        await retryTransient(() => container.items.create(doc), statusOf);
      } catch (error) {
        // Another instance's marker, or this one's created by a try whose answer was lost: read it next round.
        if (statusOf(error) !== 409) throw error;
      }
      continue;
    }
    if (marker.doc.from !== legacyId) throw new Error(`Session ${JSON.stringify(key)} is marked as migrated from ${JSON.stringify(marker.doc.from)}.`);
    if (marker.doc.state === 'done') break;
    const copied = await copyLegacy(container, legacyId, key);
    // The marker turned `done` meanwhile, or the legacy session changed while it was copied: look again.
    if (!copied) continue;
    const now = await readDoc<MigrationDoc>(container, 'migration', key);
    if (!now.doc || now.doc.state !== 'copying') continue;
    const session: SessionDoc = { ...plain(copied), sessionId: key, migratedFrom: legacyId };
    delete session.attempt;
    try {
      const response = await container.items.batch(
        [
          { operationType: BulkOperationType.Replace, id: 'migration', ifMatch: now.etag!, partitionKey: key, resourceBody: { ...plain(now.doc), state: 'done', doneAt: Date.now() } },
          { operationType: BulkOperationType.Create, partitionKey: key, resourceBody: { ...session } },
        ],
        key,
      );
      const failed = response.result?.find((r) => r.statusCode >= 400 && r.statusCode !== 424);
      // 412: another instance copied or finished meanwhile; the next round reads which.
      if (failed && failed.statusCode !== 412) throw new Error(`Finishing the migration of a legacy session failed with ${failed.statusCode}.`);
    } catch (error) {
      // No answer: it may have applied; the marker tells next round.
      if (!isTransient(statusOf(error))) throw error;
    }
  }
  await cleanupLegacy(container, legacyId);
  return true;
}

/**
 * Copies the legacy partition's live documents into the key's, in batches guarded by the marker. Returns the legacy
 * session document as copied, or undefined when the marker is no longer `copying` or the legacy session changed
 * while it was copied (a server of the previous release still writing it): the copy is then looked at again.
 */
async function copyLegacy(container: Container, legacyId: string, key: string): Promise<SessionDoc | undefined> {
  const start = await readDoc<SessionDoc>(container, 'session', legacyId);
  if (!start.doc) return undefined;
  const refs = new Set<string>();
  let batch: Doc[] = [];
  let bytes = 0;
  const flush = async (): Promise<boolean> => {
    const docs = batch;
    batch = [];
    bytes = 0;
    return docs.length === 0 || copyBatch(container, key, docs);
  };
  const add = async (doc: Doc): Promise<boolean> => {
    const copy: Doc = { ...plain(doc), sessionId: key };
    const size = jsonBytes(copy);
    // One operation of each batch is the marker's replace.
    if (batch.length > 0 && (batch.length >= BATCH_OPS - 1 || bytes + size > BATCH_BYTES) && !(await flush())) return false;
    batch.push(copy);
    bytes += size;
    return true;
  };
  // Documents of earlier epochs are deleted data (retention's sweep removes them), and unnamed pieces are orphans.
  const docs = container.items.query<Doc & { big?: BigRef }>(
    {
      query: 'SELECT * FROM c WHERE c.sessionId = @s AND (c.kind = "client" OR ((c.kind = "section" OR c.kind = "entry" OR c.kind = "anchor") AND c.epoch = @e))',
      parameters: [
        { name: '@s', value: legacyId },
        { name: '@e', value: start.doc.epoch },
      ],
    },
    { partitionKey: legacyId, maxItemCount: 100 },
  );
  while (docs.hasMoreResults()) {
    for (const doc of (await docs.fetchNext()).resources) {
      if (doc.big) refs.add(doc.big.ref);
      if (!(await add(doc))) return undefined;
    }
  }
  for (const ref of refs) {
    const pieces = await container.items
      .query<PieceDoc>({ query: 'SELECT * FROM c WHERE c.sessionId = @s AND c.kind = "piece" AND c.ref = @r', parameters: [{ name: '@s', value: legacyId }, { name: '@r', value: ref }] }, { partitionKey: legacyId })
      .fetchAll();
    for (const piece of pieces.resources) if (!(await add(piece))) return undefined;
  }
  if (!(await flush())) return undefined;
  const end = await readDoc<SessionDoc>(container, 'session', legacyId);
  return end.etag === start.etag ? start.doc : undefined;
}

/** Upserts documents into the key's partition in one batch led by the marker's replace. False once it is `done`. */
async function copyBatch(container: Container, key: string, docs: readonly Doc[]): Promise<boolean> {
  for (let tries = 1; ; tries++) {
    const marker = await readDoc<MigrationDoc>(container, 'migration', key);
    if (!marker.doc || marker.doc.state !== 'copying') return false;
    let status: number | undefined;
    try {
      const response = await container.items.batch(
        [
          { operationType: BulkOperationType.Replace, id: 'migration', ifMatch: marker.etag!, partitionKey: key, resourceBody: { ...plain(marker.doc), copied: marker.doc.copied + docs.length } },
          ...docs.map((doc): OperationInput => ({ operationType: BulkOperationType.Upsert, partitionKey: key, resourceBody: { ...doc } })),
        ],
        key,
      );
      const failed = response.result?.find((r) => r.statusCode >= 400 && r.statusCode !== 424);
      if (!failed) return true;
      status = failed.statusCode;
    } catch (error) {
      status = statusOf(error);
      if (!isTransient(status)) throw error;
    }
    // 412: another instance copied meanwhile; no answer: it may have applied. The upserts are the same either way.
    if (status !== 412 && !isTransient(status)) throw new Error(`Copying a legacy session failed with ${status}.`);
    if (tries >= 40) throw sessionBusy(tries);
    await sleep(Math.random() * Math.min(250, 5 * 2 ** tries));
  }
}

/** Step 3 of `migrateLegacy`: bindings to the key, then the legacy partition's documents, its session document last. */
async function cleanupLegacy(container: Container, legacyId: string): Promise<void> {
  const bindings = await container.items
    .query<BindingDoc>({ query: 'SELECT * FROM c WHERE c.kind = "binding" AND c.boundSession = @s', parameters: [{ name: '@s', value: legacyId }] })
    .fetchAll();
  for (const binding of bindings.resources) await rebind(container, binding.sessionId, legacyId);
  const rest = await container.items
    .query<{ id: string }>({ query: 'SELECT c.id FROM c WHERE c.sessionId = @s AND c.id != "session"', parameters: [{ name: '@s', value: legacyId }] }, { partitionKey: legacyId })
    .fetchAll();
  const ids = rest.resources.map((r) => r.id);
  for (let i = 0; i < ids.length; i += BATCH_OPS) {
    const slice = ids.slice(i, i + BATCH_OPS);
    const response = await retryTransient(() => container.items.batch(slice.map((id): OperationInput => ({ operationType: BulkOperationType.Delete, id, partitionKey: legacyId })), legacyId), statusOf);
    // A 404 fails the whole batch: another instance cleaning up at once. Finish one by one.
    if (response.result?.some((r) => r.statusCode >= 400 && r.statusCode !== 424)) for (const id of slice) await deleteDoc(container, legacyId, id);
  }
  await deleteDoc(container, legacyId, 'session');
}

/** Points a binding that names the legacy id at the key of its own user, by compare-and-swap. */
async function rebind(container: Container, partition: string, legacyId: string): Promise<void> {
  for (let tries = 1; ; tries++) {
    const { doc, etag } = await readDoc<BindingDoc>(container, 'binding', partition);
    if (!doc || doc.boundSession !== legacyId) return;
    try {
      await container.item('binding', partition).replace<BindingDoc>({ ...plain(doc), boundSession: sessionKey(doc.userId, legacyId) }, { accessCondition: { type: 'IfMatch', condition: etag! } });
      return;
    } catch (error) {
      const status = statusOf(error);
      if ((status !== 412 && !isTransient(status)) || tries >= 40) throw error;
    }
  }
}

/**
 * Migrates every legacy session (run with retention): those whose owners have not come back yet, and those whose
 * cleanup was cut short. One failure does not stop the others; the first is thrown at the end.
 */
async function migrateAllLegacy(ctx: CosmosContext): Promise<void> {
  const rows = await ctx.container.items
    .query<{ sessionId: string; userId: string }>({ query: 'SELECT c.sessionId, c.userId FROM c WHERE c.kind = "session" AND NOT CONTAINS(c.sessionId, @sep)', parameters: [{ name: '@sep', value: SESSION_KEY_SEPARATOR }] })
    .fetchAll();
  let first: unknown;
  for (const row of rows.resources) {
    if (isSessionKey(row.sessionId)) continue;
    try {
      await migrateOnce(ctx, sessionKey(row.userId, row.sessionId));
    } catch (error) {
      first ??= error;
    }
  }
  if (first !== undefined) throw first;
}
