import { createStore } from 'zustand/vanilla';
import { applyEdit, isWriteMode } from './core/content.js';
import { liveFromRecord, planIn, planWrite, type ChangeFields, type ChangePlan, type LiveSection, type PlanContext, type PlannedChange } from './core/change.js';
import { ScratchpadError, asStorageError, isScratchpadError } from './core/errors.js';
import { compareNatural, numberLines, renderPad } from './core/format.js';
import { DEFAULT_CHECKPOINT_EVERY } from './core/history.js';
import { countLines } from './core/lines.js';
import { DEFAULT_DIFF_LIMITS } from './core/patch.js';
import type {
  BlameLine,
  DiffResult,
  HistoryEntry,
  HistoryQuery,
  RetentionPolicy,
  ScratchpadLimits,
  ScratchpadSnapshot,
  Section,
  SectionEdit,
  SectionRecord,
  SnapshotRecord,
  WriteResult,
} from './core/types.js';
import { describe, resolveLimits, validateInteger, validateName, validateText } from './core/validate.js';
import { GroupCommit, type CommitPart, type QueuedPart } from './storage/group-commit.js';
import { memoryStorage } from './storage/memory-lazy.js';
import type { SectionKey, SessionStorage, SyncOp } from './storage/types.js';
import type { SyncClient } from './sync/client.js';
import type { SyncAdapter } from './sync/types.js';
import { setSections, type ScratchpadState } from './store/state.js';
import type { ChangeOptions, LinesOptions, Scratchpad, ScratchpadOptions, WriteOptions } from './types.js';

/** A call's change, re-runnable on fresh state: a stale tab rebases by planning it again. */
type Intent = () => ChangePlan[];

interface PendingCall {
  readonly intent: Intent;
  /** The plans of the last attempt: what the call resolves with once they are committed. */
  plans: ChangePlan[];
  /** True for the calls that answer with their one result rather than the list. */
  readonly one: boolean;
  readonly resolve: (answer: WriteResult | WriteResult[]) => void;
  readonly reject: (error: unknown) => void;
  rebases: number;
}

const MAX_REBASES = 200;
const DEFAULT_AGENT = 'user';
/** What `changeOptions` answers for options without agent or expected version (most calls): one shared object. */
const DEFAULT_CHANGE_OPTIONS = { agent: DEFAULT_AGENT, expectedVersion: undefined } as const;

/**
 * Creates a scratchpad for one session. The store is updated synchronously by every change (a UI sees it at once);
 * the change's promise resolves once storage has committed it. A change that fails changes nothing anywhere.
 */
export function createScratchpad(options: ScratchpadOptions = {}): Scratchpad {
  return new ScratchpadImpl(options);
}

class ScratchpadImpl implements Scratchpad {
  readonly sessionId: string;
  readonly ready: Promise<void>;
  readonly store;
  readonly storageName: string;

  private readonly limits: ScratchpadLimits;
  /** What every change is planned with (session, limits, checkpoints). */
  private readonly context: PlanContext;
  private readonly retain: RetentionPolicy | undefined;
  private readonly now: () => number;
  /** Every known section, tombstones included, by pad then section name. */
  private readonly live = new Map<string, Map<string, LiveSection>>();
  /** For sections with changes not yet committed: what storage holds (null: nothing), to roll back to. */
  private readonly durable = new Map<string, { pad: string; section: string; live: LiveSection | null }>();
  private readonly committer: GroupCommit<PendingCall>;
  private session: SessionStorage | undefined;
  /** While set, new calls wait for it: hydration at start, reloading after a conflict. */
  private gate: Promise<void> | undefined;
  private closed = false;
  private unwatch: (() => void) | undefined;
  private commitsSinceRetention = 0;
  /** Counts successful commits, so that a reload can tell whether our own commits raced it. */
  private commitCount = 0;

  private readonly syncAdapter: SyncAdapter | undefined;
  /** The client half of sync (src/sync/client.ts), loaded once hydrated, only when `sync` is given. */
  private sync: SyncClient | undefined;

  constructor(options: ScratchpadOptions) {
    this.sessionId = options.sessionId === undefined ? 'default' : validateName(options.sessionId, 'session', { maxNameLength: 256, maxSectionBytes: 1 });
    this.limits = resolveLimits(options.limits);
    const checkpointEvery = validateInteger(options.history?.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY, 'history.checkpointEvery', 1);
    this.context = { sessionId: this.sessionId, limits: this.limits, diffLimits: DEFAULT_DIFF_LIMITS, checkpointEvery };
    this.retain = options.history?.retain;
    if (this.retain?.maxVersionsPerSection !== undefined) validateInteger(this.retain.maxVersionsPerSection, 'retain.maxVersionsPerSection', 1);
    if (this.retain?.maxAgeMs !== undefined) validateInteger(this.retain.maxAgeMs, 'retain.maxAgeMs', 0);
    this.now = options.now ?? Date.now;
    this.syncAdapter = options.sync;
    const storage = options.storage;
    this.storageName = storage?.name ?? 'memory';
    this.store = createStore<ScratchpadState>()(() => ({
      sessionId: this.sessionId,
      ready: false,
      pads: new Map(),
      sync: { state: 'idle', pending: 0 },
    }));
    this.committer = new GroupCommit<PendingCall>(
      (batch) => this.requireSession().commit(batch),
      (parts) => this.committed(parts),
      (error, parts) => this.commitFailed(error, parts),
    );
    // The default memoryStorage's code is loaded only when it is opened: an app on IndexedDB never downloads it.
    this.ready = this.hydrate((storage ?? memoryStorage()).open(this.sessionId));
    this.gate = this.ready;
    // A caller that never awaits `ready` must not see an unhandled rejection; calls report the error themselves.
    this.ready.catch(() => undefined);
  }

  get syncStatus() {
    return this.store.getState().sync;
  }

  // ---------------------------------------------------------------- loading

  private async hydrate(opening: Promise<SessionStorage>): Promise<void> {
    try {
      this.session = await opening;
      await this.reload();
    } catch (error) {
      throw asStorageError(error, 'Could not open the scratchpad storage');
    } finally {
      this.gate = undefined;
    }
    this.store.setState({ ready: true });
    this.unwatch = this.session.watch?.((changed) => void this.refresh(changed));
    if (this.syncAdapter) {
      // Loaded only by apps that sync: the client, its engine and the adoption of server state are a chunk of their own.
      const { SyncClient } = await import('./sync/client.js');
      this.sync = new SyncClient(this.syncAdapter, {
        context: this.context,
        session: () => this.requireSession(),
        live: (pad, section) => this.liveSection(pad, section),
        setLive: (pad, section, live) => this.setLive(pad, section, live),
        dropAllLive: () => this.dropAllLive(),
        publish: () => this.publish(),
        exclusive: (body) => this.exclusive(body),
        readVersion: (pad, section, version) => this.readVersion(pad, section, version),
        setStatus: (sync) => this.store.setState({ sync }),
      });
      await this.sync.start();
    }
    if (this.retain) await this.applyRetention().catch(() => undefined);
  }

  /**
   * Replaces every section (or the given ones) that has no uncommitted change with what storage holds now; a section
   * storage no longer has goes. If one of our own commits landed while storage was being read, the read may predate
   * it: read again.
   */
  private async reload(keys?: readonly SectionKey[]): Promise<void> {
    let records: SectionRecord[];
    for (;;) {
      const commits = this.commitCount;
      records = await this.requireSession().loadSections(keys);
      if (commits === this.commitCount) break;
    }
    const seen = new Set<string>();
    for (const record of records) {
      const key = sectionKey(record.pad, record.section);
      seen.add(key);
      if (this.durable.has(key)) continue;
      const existing = this.liveSection(record.pad, record.section);
      if (existing && existing.record.version === record.version && existing.record.deleted === record.deleted && existing.record.synced === record.synced) continue;
      this.setLive(record.pad, record.section, liveFromRecord(record));
    }
    const candidates = keys ?? [...this.live].flatMap(([pad, sections]) => [...sections.keys()].map((section) => ({ pad, section })));
    for (const { pad, section } of candidates) {
      const key = sectionKey(pad, section);
      if (!seen.has(key) && !this.durable.has(key) && this.liveSection(pad, section)) this.setLive(pad, section, undefined);
    }
    this.publish();
  }

  /** Another connection (tab) committed: take its sections, unless ours are about to conflict and rebase anyway. */
  private async refresh(changed: readonly SectionKey[]): Promise<void> {
    if (this.closed) return;
    try {
      // After a hydration or rebase in progress, which reloads everything anyway.
      if (this.gate) await this.waitForGate();
      await this.reload(changed);
    } catch {
      // The next commit or call reports storage problems; a missed refresh is redone by the next notification.
    }
  }

  // ---------------------------------------------------------------- reading (synchronous, from memory)

  read(pad: string, section: string): string | undefined {
    return this.get(pad, section)?.content;
  }

  get(pad: string, section: string): Section | undefined {
    this.assertOpen();
    validateName(pad, 'pad', this.limits);
    validateName(section, 'section', this.limits);
    return this.store.getState().pads.get(pad)?.get(section);
  }

  pads(): string[] {
    this.assertOpen();
    return [...this.store.getState().pads.keys()].sort(compareNatural);
  }

  sections(pad: string): string[] {
    this.assertOpen();
    validateName(pad, 'pad', this.limits);
    return [...(this.store.getState().pads.get(pad)?.keys() ?? [])].sort(compareNatural);
  }

  lines(pad: string, section: string, options: LinesOptions = {}): string {
    const found = this.get(pad, section);
    if (!found) throw notFound(pad, section);
    const count = countLines(found.content);
    const from = options.from === undefined ? 1 : validateInteger(options.from, 'from line', 1);
    const to = options.to === undefined ? Math.max(count, from) : validateInteger(options.to, 'to line', 1);
    if (from > to) throw new ScratchpadError('INVALID_ARGUMENT', `The line range ${from}-${to} is backwards: from must not exceed to.`);
    if (count > 0 && from > count) throw new ScratchpadError('INVALID_ARGUMENT', `Line ${from} does not exist: the section has ${count} lines.`);
    return numberLines(found.content, from, Math.min(to, count));
  }

  render(pad?: string): string {
    this.assertOpen();
    const pads = this.store.getState().pads;
    const one = (name: string) => renderPad(name, [...(pads.get(name) ?? new Map<string, Section>())].map(([s, v]) => [s, v.content] as const));
    if (pad === undefined) return this.pads().map(one).join('\n');
    validateName(pad, 'pad', this.limits);
    if (!pads.has(pad)) throw new ScratchpadError('NOT_FOUND', `There is no pad '${pad}'.`, { pad });
    return one(pad);
  }

  // ---------------------------------------------------------------- changing

  write(pad: string, section: string, content: string, options: WriteOptions = {}): Promise<WriteResult> {
    // Validated inline (not through `callOne`'s prepare closure): the most frequent call, kept to one closure.
    let intent: Intent;
    try {
      this.assertOpen();
      const padName = validateName(pad, 'pad', this.limits);
      const sectionName = validateName(section, 'section', this.limits);
      const text = validateText(content, 'content');
      const mode = options.mode ?? 'replace';
      if (!isWriteMode(mode)) {
        throw new ScratchpadError('INVALID_ARGUMENT', `Unknown mode ${describe(mode)}: use 'replace', 'append' or 'prepend'.`);
      }
      const { agent, expectedVersion } = this.changeOptions(options);
      intent = () => [
        planWrite(this.context, { pad: padName, section: sectionName, before: this.liveSection(padName, sectionName), text, mode, agent, timestamp: this.now(), expectedVersion }),
      ];
    } catch (error) {
      return Promise.reject(error);
    }
    return this.enqueue(intent, true) as Promise<WriteResult>;
  }

  edit(pad: string, section: string, edit: SectionEdit, options: ChangeOptions = {}): Promise<WriteResult> {
    return this.callOne(() => {
      const names = this.names(pad, section);
      const { agent, expectedVersion } = this.changeOptions(options);
      return () => {
        const before = this.existing(names.pad, names.section);
        const content = applyEdit(before.record.content, edit);
        return [this.plan({ pad: names.pad, section: names.section, before, content, op: 'edit', mode: 'edit', agent, expectedVersion })];
      };
    });
  }

  delete(pad: string, section: string, options: ChangeOptions = {}): Promise<WriteResult> {
    return this.callOne(() => {
      const names = this.names(pad, section);
      const { agent, expectedVersion } = this.changeOptions(options);
      return () => [this.planDelete(names.pad, names.section, agent, expectedVersion)];
    });
  }

  deletePad(pad: string, options: Pick<ChangeOptions, 'agent'> = {}): Promise<WriteResult[]> {
    return this.call(() => {
      validateName(pad, 'pad', this.limits);
      const { agent } = this.changeOptions(options);
      return () => {
        const names = [...(this.live.get(pad) ?? new Map<string, LiveSection>())].filter(([, s]) => !s.record.deleted).map(([n]) => n);
        if (names.length === 0) throw new ScratchpadError('NOT_FOUND', `There is no pad '${pad}'.`, { pad });
        return names.sort(compareNatural).map((name) => this.planDelete(pad, name, agent, undefined));
      };
    });
  }

  revert(pad: string, section: string, toVersion: number, options: ChangeOptions = {}): Promise<WriteResult> {
    return this.guard(async () => {
      const names = this.names(pad, section);
      const { agent, expectedVersion } = this.changeOptions(options);
      const content = await this.contentAt(names.pad, names.section, toVersion);
      const results = await this.call(() => () => {
        const before = this.existing(names.pad, names.section, true);
        return [this.plan({ pad: names.pad, section: names.section, before, content, op: 'revert', mode: 'revert', agent, expectedVersion, revertedTo: toVersion })];
      });
      return first(results);
    });
  }

  private planDelete(pad: string, section: string, agent: string, expectedVersion: number | undefined): ChangePlan {
    const before = this.existing(pad, section);
    return this.plan({ pad, section, before, content: '', bytes: 0, op: 'delete', mode: 'delete', agent, expectedVersion });
  }

  /** Plans a change of this scratchpad, stamped now unless the fields say when. */
  private plan(fields: Omit<ChangeFields, 'timestamp'> & { readonly timestamp?: number }): ChangePlan {
    return planIn(this.context, { ...fields, timestamp: fields.timestamp ?? this.now() });
  }

  /**
   * Runs a call: `prepare` validates the arguments (synchronously, before anything changes) and returns the intent;
   * the intent is planned against current state, applied to the store at once, and queued for the next group commit.
   */
  private call(prepare: () => Intent): Promise<WriteResult[]> {
    return this.run(prepare, false) as Promise<WriteResult[]>;
  }

  /** `call` for the calls that change one section and answer with one result. */
  private callOne(prepare: () => Intent): Promise<WriteResult> {
    return this.run(prepare, true) as Promise<WriteResult>;
  }

  private run(prepare: () => Intent, one: boolean): Promise<WriteResult | WriteResult[]> {
    let intent: Intent;
    try {
      this.assertOpen();
      intent = prepare();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.enqueue(intent, one);
  }

  private enqueue(intent: Intent, one: boolean): Promise<WriteResult | WriteResult[]> {
    // Once ready, a call is planned and applied to the store synchronously, inside the caller's tick.
    return new Promise<WriteResult | WriteResult[]>((resolve, reject) => {
      const pending: PendingCall = { intent, plans: EMPTY_PLANS, one, resolve, reject, rebases: 0 };
      if (!this.gate) this.submit(pending);
      else this.waitForGate().then(() => this.submit(pending), reject);
    });
  }

  private submit(pending: PendingCall): void {
    let plans: ChangePlan[];
    try {
      this.assertOpen();
      this.requireSession();
      plans = pending.intent();
    } catch (error) {
      pending.reject(error);
      return;
    }
    pending.plans = plans;
    // Plain loops: this runs on every write, and one-element arrays from flatMap or spreads were a measurable share of it.
    const sections: { record: SectionRecord; expectedVersion: number }[] = [];
    const entries: HistoryEntry[] = [];
    const snapshots: SnapshotRecord[] = [];
    const outbox: SyncOp[] | undefined = this.sync ? [] : undefined;
    for (const { change } of plans) {
      if (!change) continue;
      this.applyLive(change);
      sections.push({ record: change.after.record, expectedVersion: change.before?.record.version ?? 0 });
      entries.push(change.entry);
      for (const snapshot of change.snapshots) snapshots.push(snapshot);
      if (outbox) outbox.push(this.sync!.opFor(change));
    }
    if (sections.length === 0) {
      pending.resolve(answer(pending));
      return;
    }
    const part: CommitPart = outbox ? { sections, entries, snapshots, outbox } : { sections, entries, snapshots };
    // Queued before publishing: the commit's microtask then runs before the ones a UI schedules on the store update
    // (React renders in a microtask), so storage works while the UI renders instead of after it.
    this.committer.add(part, pending);
    this.publish();
  }

  private applyLive(change: PlannedChange): void {
    const { pad, section } = change.after.record;
    const key = sectionKey(pad, section);
    if (!this.durable.has(key)) this.durable.set(key, { pad, section, live: change.before ?? null });
    this.setLive(pad, section, change.after);
  }

  private committed(parts: QueuedPart<PendingCall>[]): void {
    this.commitCount++;
    if (this.sync) {
      const ops: SyncOp[] = [];
      for (const { part } of parts) if (part.outbox) for (const op of part.outbox) ops.push(op);
      this.sync.committed(ops);
    }
    for (const { part } of parts) {
      for (const { record } of part.sections) {
        const key = sectionKey(record.pad, record.section);
        const live = this.liveSection(record.pad, record.section);
        if (live?.record === record) this.durable.delete(key);
        else if (live) this.durable.set(key, { pad: record.pad, section: record.section, live: liveFromRecord(record) });
      }
    }
    for (const { meta } of parts) meta.resolve(answer(meta));
    this.commitsSinceRetention += parts.length;
    if (this.retain && this.commitsSinceRetention >= 64) {
      this.commitsSinceRetention = 0;
      void this.applyRetention().catch(() => undefined);
    }
  }

  /** Rolls memory back to what storage holds; a conflict (another tab wrote first) reloads and replans every call. */
  private commitFailed(error: unknown, parts: QueuedPart<PendingCall>[]): void {
    this.sync?.rolledBack();
    for (const { pad, section, live } of this.durable.values()) this.setLive(pad, section, live ?? undefined);
    this.durable.clear();
    this.publish();
    const calls = parts.map((p) => p.meta);
    if (!isScratchpadError(error, 'CONFLICT') || this.closed) {
      const failure = asStorageError(error, 'Could not save the change');
      for (const call of calls) call.reject(failure);
      return;
    }
    const rebase = (async () => {
      try {
        await this.reload();
      } finally {
        this.gate = undefined;
      }
    })();
    this.gate = rebase;
    rebase.then(
      () => {
        for (const call of calls) {
          if (++call.rebases > MAX_REBASES) call.reject(error);
          else this.submit(call);
        }
      },
      (reloadError: unknown) => {
        const failure = asStorageError(reloadError, 'Could not reload after a conflicting write');
        for (const call of calls) call.reject(failure);
      },
    );
  }

  // ---------------------------------------------------------------- history (asynchronous, from storage)

  async history(query: HistoryQuery = {}): Promise<HistoryEntry[]> {
    return this.guard(async () => {
      const reads = await loadReads();
      const q = reads.validateQuery(query, this.limits);
      await this.settled();
      return this.requireSession().readHistory(q);
    });
  }

  async contentAt(pad: string, section: string, version: number): Promise<string> {
    return this.guard(async () => {
      const names = this.names(pad, section);
      validateInteger(version, 'version', 1);
      await this.settled();
      return this.readVersion(names.pad, names.section, version);
    });
  }

  /** `contentAt` without waiting for pending commits: for use inside work that holds the gate. */
  private async readVersion(pad: string, section: string, version: number): Promise<string> {
    const live = this.liveSection(pad, section);
    // The latest version is in memory: no need to load the read side for it.
    if (live && version === live.record.version) return live.record.content;
    return (await loadReads()).readVersion(this.requireSession(), live, pad, section, version);
  }

  async diff(pad: string, section: string, fromVersion: number, toVersion?: number): Promise<DiffResult> {
    return this.guard(async () => {
      const names = this.names(pad, section);
      validateInteger(fromVersion, 'fromVersion', 0);
      if (toVersion !== undefined) validateInteger(toVersion, 'toVersion', 0);
      await this.settled();
      const live = this.liveSection(names.pad, names.section);
      if (!live) throw notFound(names.pad, names.section);
      const to = toVersion ?? live.record.version;
      const [oldText, newText, reads] = await Promise.all([this.contentOrEmpty(names, fromVersion), this.contentOrEmpty(names, to), loadReads()]);
      return reads.diffResult(names.pad, names.section, fromVersion, to, oldText, newText);
    });
  }

  async blame(pad: string, section: string): Promise<BlameLine[]> {
    return this.guard(async () => {
      const names = this.names(pad, section);
      await this.settled();
      const live = this.existing(names.pad, names.section);
      return (await loadReads()).blameSection(this.requireSession(), names.pad, names.section, live.record.version, (version) => this.contentAt(names.pad, names.section, version));
    });
  }

  private contentOrEmpty(names: { pad: string; section: string }, version: number): Promise<string> {
    return version === 0 ? Promise.resolve('') : this.contentAt(names.pad, names.section, version);
  }

  // ---------------------------------------------------------------- lifecycle

  async flush(): Promise<void> {
    return this.guard(async () => {
      await this.settled();
      if (this.retain) await this.applyRetention();
      if (this.sync) {
        await this.sync.sync().catch(async (error: unknown) => {
          throw (await loadReads()).notSynced(error);
        });
      }
    });
  }

  /**
   * Runs `body` (adopting server state) once no local commit is in flight; calls made meanwhile wait for it, and go on
   * once it is over whether or not it worked: the sync round reports failures.
   */
  private exclusive(body: () => Promise<void>): Promise<void> {
    if (this.closed) return Promise.resolve();
    const run = (async () => {
      await this.committer.idle();
      // A scratchpad closed meanwhile no longer follows storage: leave adopting to the ones still open.
      if (this.closed) throw new ScratchpadError('CLOSED', 'Closed while syncing.');
      await body();
    })();
    const gate: Promise<void> = run
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        if (this.gate === gate) this.gate = undefined;
      });
    this.gate = gate;
    return run;
  }

  subscribe(listener: (state: ScratchpadState, previous: ScratchpadState) => void): () => void {
    return this.store.subscribe(listener);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unwatch?.();
    this.sync?.stop();
    // Changes already accepted still reach storage; only then is the connection closed.
    void this.committer.idle().then(() => this.session?.close());
  }

  async deleteSession(): Promise<void> {
    return this.guard(async () => {
      await this.settled();
      await this.requireSession().deleteSession().catch((error: unknown) => {
        throw asStorageError(error, 'Could not delete the session');
      });
      await this.sync?.deleteOnServer();
      this.dropAllLive();
      this.publish();
    });
  }

  async exportJSON(): Promise<ScratchpadSnapshot> {
    return this.guard(async () => {
      const reads = await loadReads();
      await this.settled();
      return reads.exportSnapshot(this.requireSession(), this.sessionId, this.now());
    });
  }

  async importJSON(snapshot: ScratchpadSnapshot): Promise<void> {
    return this.guard(async () => {
      await (await loadReads()).importSnapshot(snapshot, this.sessionId, this.limits, () => this.settled(), () => this.requireSession());
      await this.reload();
    });
  }

  // ---------------------------------------------------------------- retention

  /** Drops history that the policy no longer keeps (src/storage/retention.ts, loaded only by apps that retain). */
  private async applyRetention(): Promise<void> {
    const retain = this.retain;
    if (!retain || this.closed) return;
    const { applyRetention } = await import('./storage/retention.js');
    const sections: LiveSection[] = [];
    for (const pad of this.live.values()) for (const live of pad.values()) sections.push(live);
    await applyRetention(this.requireSession(), sections, retain, this.now());
  }

  // ---------------------------------------------------------------- helpers

  private async guard<T>(body: () => Promise<T>): Promise<T> {
    this.assertOpen();
    return body();
  }

  private assertOpen(): void {
    if (this.closed) throw new ScratchpadError('CLOSED', 'This scratchpad is closed: create a new one with createScratchpad().');
  }

  private async waitForGate(): Promise<void> {
    while (this.gate) {
      try {
        await this.gate;
      } catch (error) {
        throw asStorageError(error, 'The scratchpad storage is not available');
      }
    }
  }

  /** Waits until the session is loaded and every accepted change is committed: reads then see all writes. */
  private async settled(): Promise<void> {
    await this.waitForGate();
    await this.committer.idle();
    await this.waitForGate();
  }

  private requireSession(): SessionStorage {
    if (!this.session) throw new ScratchpadError('STORAGE_UNAVAILABLE', 'The scratchpad storage is not open.');
    return this.session;
  }

  private names(pad: string, section: string): { pad: string; section: string } {
    return { pad: validateName(pad, 'pad', this.limits), section: validateName(section, 'section', this.limits) };
  }

  private changeOptions(options: ChangeOptions | undefined): { agent: string; expectedVersion: number | undefined } {
    if (options !== undefined && typeof options === 'object' && options !== null && options.agent === undefined && options.expectedVersion === undefined) {
      return DEFAULT_CHANGE_OPTIONS;
    }
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new ScratchpadError('INVALID_ARGUMENT', `Options must be an object, got ${describe(options)}.`);
    }
    const agent = options?.agent === undefined ? DEFAULT_AGENT : validateName(options.agent, 'agent', this.limits);
    const expectedVersion = options?.expectedVersion === undefined ? undefined : validateInteger(options.expectedVersion, 'expectedVersion', 0);
    return { agent, expectedVersion };
  }

  private liveSection(pad: string, section: string): LiveSection | undefined {
    return this.live.get(pad)?.get(section);
  }

  private existing(pad: string, section: string, allowDeleted = false): LiveSection {
    const live = this.liveSection(pad, section);
    if (!live || (live.record.deleted && !allowDeleted)) throw notFound(pad, section);
    return live;
  }

  private setLive(pad: string, section: string, value: LiveSection | undefined): void {
    let sections = this.live.get(pad);
    if (value) {
      if (!sections) this.live.set(pad, (sections = new Map()));
      sections.set(section, value);
    } else if (sections) {
      sections.delete(section);
      if (sections.size === 0) this.live.delete(pad);
    }
    this.dirty.set(sectionKey(pad, section), { pad, section, value });
  }

  /**
   * Forgets every section in memory (storage has dropped them), marking each for the next publish: clearing the map
   * alone would leave the store showing them.
   */
  private dropAllLive(): void {
    for (const [pad, sections] of [...this.live]) for (const section of [...sections.keys()]) this.setLive(pad, section, undefined);
    this.durable.clear();
  }

  private dirty = new Map<string, { pad: string; section: string; value: LiveSection | undefined }>();

  /** Pushes the sections changed since the last publish into the store in one immutable update. */
  private publish(): void {
    if (this.dirty.size === 0) return;
    const changes: { pad: string; section: string; value: Section | undefined }[] = [];
    for (const { pad, section, value } of this.dirty.values()) {
      changes.push({ pad, section, value: value && !value.record.deleted ? toSection(value.record) : undefined });
    }
    this.dirty.clear();
    this.store.setState({ pads: setSections(this.store.getState().pads, changes) });
  }
}

let reads: Promise<typeof import('./storage/reads.js')> | undefined;

/** The read side (src/storage/reads.ts), loaded on the first history query, old version, diff or export. */
function loadReads(): Promise<typeof import('./storage/reads.js')> {
  return (reads ??= import('./storage/reads.js'));
}

function toSection(record: SectionRecord): Section {
  return { content: record.content, version: record.version, updatedAt: record.updatedAt, updatedBy: record.updatedBy };
}

const EMPTY_PLANS: ChangePlan[] = [];

/** What a call resolves with: its one result, or the list. */
function answer(call: PendingCall): WriteResult | WriteResult[] {
  const plans = call.plans;
  if (call.one) return plans[0]!.result;
  const out: WriteResult[] = [];
  for (const plan of plans) out.push(plan.result);
  return out;
}

function sectionKey(pad: string, section: string): string {
  return `${pad}\u0000${section}`;
}

function first(results: WriteResult[]): WriteResult {
  return results[0]!;
}

function notFound(pad: string, section: string): ScratchpadError {
  return new ScratchpadError('NOT_FOUND', `There is no section '${pad}.${section}'.`, { pad, section });
}


