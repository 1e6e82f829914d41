import { agreesWithServer, planAdoption } from '../core/adopt.js';
import { liveFromRecord, planIn, planWrite, type ChangePlan, type LiveSection, type PlanContext, type PlannedChange } from '../core/change.js';
import { ScratchpadError } from '../core/errors.js';
import type { PullResponse, SectionBase } from '../core/protocol.js';
import type { HistoryEntry, SectionRow } from '../core/types.js';
import type { SessionStorage, SyncOp } from '../storage/types.js';
import { SyncEngine } from './engine.js';
import type { SyncAdapter, SyncStatus } from './types.js';

/**
 * What the sync client needs from the scratchpad it belongs to. The scratchpad owns the live sections and the
 * commit pipeline; the client owns everything about the server: mutation ids, unacknowledged ops, pulls, adoption.
 */
export interface SyncClientHost {
  readonly context: PlanContext;
  session(): SessionStorage;
  live(pad: string, section: string): LiveSection | undefined;
  /** Replaces a live section (already in storage); `publish` pushes such changes to the store. */
  setLive(pad: string, section: string, live: LiveSection): void;
  /** Forgets every live section (storage has already dropped them); `publish` shows it. */
  dropAllLive(): void;
  publish(): void;
  /** Runs `body` once no local commit is in flight, holding new calls back until it is over. */
  exclusive(body: () => Promise<void>): Promise<void>;
  /** The content of a version, without waiting for pending commits (the caller holds the gate). */
  readVersion(pad: string, section: string, version: number): Promise<string>;
  setStatus(status: SyncStatus): void;
}

/**
 * The client half of sync for one scratchpad instance, loaded only by apps that sync (a chunk of its own). Each
 * instance is its own sync client: mutation ids count up from 1 with no gaps, and an id is only final once its commit
 * succeeded (a failed commit hands its ids to the replanned changes).
 */
export class SyncClient {
  readonly clientId = randomClientId();
  private readonly engine: SyncEngine;
  private nextMutationId = 1;
  private durableNextMutationId = 1;
  /** This client's ops not yet acknowledged, oldest first: a change on top of one of them names it as its base. */
  private unacked: SyncOp[] = [];

  constructor(
    private readonly adapter: SyncAdapter,
    private readonly host: SyncClientHost,
  ) {
    const sessionId = host.context.sessionId;
    this.engine = new SyncEngine(adapter, {
      sessionId,
      clientId: this.clientId,
      session: () => host.session(),
      applyPull: (response) => this.applyPull(response),
      reset: () => this.resetFromServer(),
      acknowledged: (clientId, upTo) => {
        if (clientId === this.clientId) this.unacked = this.unacked.filter((op) => op.mutationId > upTo);
      },
      setStatus: (status) => host.setStatus(status),
    });
  }

  start(): Promise<void> {
    return this.engine.start();
  }

  stop(): void {
    this.engine.stop();
  }

  /** One push and pull round now (for `flush`). */
  sync(): Promise<void> {
    return this.engine.sync();
  }

  /** The sync op of a change, committed in the same transaction as the change itself. */
  opFor(change: PlannedChange): SyncOp {
    const { record } = change.after;
    const kind = change.entry.op === 'delete' ? 'delete' : change.appended !== undefined ? 'append' : 'replace';
    let base: SyncOp | undefined;
    for (let i = this.unacked.length - 1; i >= 0 && !base; i--) {
      const op = this.unacked[i]!;
      if (op.pad === record.pad && op.section === record.section) base = op;
    }
    const op: SyncOp = {
      clientId: this.clientId,
      mutationId: this.nextMutationId++,
      pad: record.pad,
      section: record.section,
      kind,
      content: kind === 'append' ? change.appended! : kind === 'replace' ? record.content : '',
      baseVersion: change.before?.record.version ?? 0,
      ...(base ? { baseMutationId: base.mutationId } : {}),
      // The server refuses an op of an older epoch (SESSION_RESET): a change made on deleted state never resurrects it.
      ...(this.engine.epoch !== undefined ? { epoch: this.engine.epoch } : {}),
      op: change.entry.op,
      agent: record.updatedBy,
      timestamp: record.updatedAt,
    };
    this.unacked.push(op);
    return op;
  }

  /** These ops are in storage: their ids are final, and the engine has something to push. */
  committed(ops: readonly SyncOp[]): void {
    if (ops.length === 0) return;
    for (const op of ops) this.durableNextMutationId = Math.max(this.durableNextMutationId, op.mutationId + 1);
    this.engine.changed();
  }

  /** A commit failed: the ids it took go to the changes that are planned again. */
  rolledBack(): void {
    this.nextMutationId = this.durableNextMutationId;
    this.unacked = this.unacked.filter((op) => op.mutationId < this.durableNextMutationId);
  }

  /** Deletes the session on the server too, then starts this session's pulls from the server's fresh state. */
  async deleteOnServer(): Promise<void> {
    const sessionId = this.host.context.sessionId;
    try {
      const deleted = await this.adapter.deleteSession?.(sessionId);
      // Without this, the next pull would start before the deletion and be answered SESSION_RESET (410).
      if (deleted) await this.engine.adoptCursor(deleted.cursor, deleted.epoch);
      else {
        const fresh = await this.adapter.snapshot?.({ sessionId, clientId: this.clientId });
        if (fresh) await this.engine.adoptCursor(fresh.cursor, fresh.epoch);
      }
    } catch (error) {
      throw new ScratchpadError('STORAGE_UNAVAILABLE', `Deleted locally, but not on the sync server: ${error instanceof Error ? error.message : String(error)}`, {
        sync: true,
      });
    }
  }

  /**
   * Takes the server's rows and history for every section a pull touched. A section whose local row already is the
   * server's, with nothing pending, only records that it is in sync. Otherwise its history from the last agreed
   * version on is rewritten: the server's entries (with the server's numbering), then this device's pending ops
   * replanned on top as speculative versions. Runs with no local commit in flight.
   */
  private async applyPull(response: PullResponse): Promise<void> {
    if (response.sections.length === 0) return;
    await this.host.exclusive(async () => {
      const session = this.host.session();
      // Ops of an older epoch wait only to be rejected by the server (SESSION_RESET): never replanned on new state.
      const pending = (await session.outbox.pending(Number.MAX_SAFE_INTEGER)).filter(
        (op) =>
          (op.clientId !== this.clientId || op.mutationId > response.lastMutationId) &&
          (op.epoch === undefined || response.epoch === undefined || op.epoch === response.epoch),
      );
      for (const server of response.sections) {
        const entries = response.entries.filter((e) => e.pad === server.pad && e.section === server.section).sort((a, b) => a.version - b.version);
        const mine = pending.filter((op) => op.pad === server.pad && op.section === server.section);
        const base = response.bases?.find((b) => b.pad === server.pad && b.section === server.section);
        await this.adoptSection(session, server, entries, mine, base);
      }
      this.host.publish();
    });
  }

  private async adoptSection(
    session: SessionStorage,
    server: SectionRow,
    serverEntries: readonly HistoryEntry[],
    mine: readonly SyncOp[],
    serverBase?: SectionBase,
  ): Promise<void> {
    const { pad, section } = server;
    const host = this.host;
    const local = host.live(pad, section);
    const storedVersion = local?.record.version ?? 0;
    if (mine.length === 0 && local && agreesWithServer(local.record, server)) {
      if (local.record.synced === server.version) return;
      const record = { ...local.record, synced: server.version };
      await session.rewriteSection({ record, expectedVersion: storedVersion, fromVersion: server.version + 1, entries: [], snapshots: [] });
      host.setLive(pad, section, { ...local, record });
      return;
    }
    // From the last version both sides agree on: the server's entries, then this device's pending ops on top.
    const from = Math.min(local?.record.synced ?? 0, server.version);
    const base = from === 0 ? '' : await host.readVersion(pad, section, from).catch(() => undefined);
    const adoption = planAdoption({
      sessionId: host.context.sessionId,
      server,
      entries: serverEntries,
      from,
      base,
      checkpointEvery: host.context.checkpointEvery,
      // Where retention dropped the section's early versions, its history starts at the server's base.
      ...(serverBase ? { serverBase: { version: serverBase.version, content: serverBase.content } } : {}),
    });
    const { entries, snapshots } = adoption;
    let live: LiveSection = liveFromRecord(adoption.record);
    for (const op of mine) {
      const plan = this.replan(op, live);
      if (!plan?.change) continue;
      entries.push(plan.change.entry);
      for (const snapshot of plan.change.snapshots) snapshots.push(snapshot);
      live = plan.change.after;
    }
    await session.rewriteSection({ record: live.record, expectedVersion: storedVersion, fromVersion: from + 1, entries, snapshots });
    host.setLive(pad, section, live);
  }

  /**
   * The session was deleted on the server (another device reset it): drop every section and its history here, in
   * storage too, as a local deleteSession() would, but keep the outbox: its ops go to the server, which rejects them
   * as SESSION_RESET, so mutation ids stay gap-free and nothing deleted comes back. Runs with no commit in flight.
   */
  private async resetFromServer(): Promise<void> {
    await this.host.exclusive(async () => {
      const session = this.host.session();
      const outbox = await session.outbox.pending(Number.MAX_SAFE_INTEGER);
      await session.deleteSession();
      if (outbox.length > 0) await session.commit({ sections: [], entries: [], snapshots: [], outbox });
      this.host.dropAllLive();
      this.host.publish();
    });
  }

  /** A pending op planned again on top of the server's row; undefined if it no longer applies (the server will say so too). */
  private replan(op: SyncOp, before: LiveSection): ChangePlan | undefined {
    const context = this.host.context;
    const common = { pad: op.pad, section: op.section, before, agent: op.agent, timestamp: op.timestamp };
    try {
      if (op.kind === 'append') return planWrite(context, { ...common, text: op.content, mode: 'append' });
      if (op.kind === 'delete') {
        if (before.record.deleted) return undefined;
        return planIn(context, { ...common, content: '', bytes: 0, op: 'delete', mode: 'delete' });
      }
      const historyOp = op.op && op.op !== 'delete' && op.op !== 'write_append' ? op.op : 'write_replace';
      return planIn(context, { ...common, content: op.content, op: historyOp, mode: 'replace' });
    } catch {
      return undefined;
    }
  }
}

function randomClientId(): string {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
