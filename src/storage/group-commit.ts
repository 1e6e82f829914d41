import type { HistoryEntry, SectionRecord, SnapshotRecord } from '../core/types.js';
import type { CommitBatch, SyncOp } from './types.js';

/** What one call (a write, an edit, a deletePad…) contributes to a commit. */
export interface CommitPart {
  readonly sections: readonly { readonly record: SectionRecord; readonly expectedVersion: number }[];
  readonly entries: readonly HistoryEntry[];
  readonly snapshots: readonly SnapshotRecord[];
  readonly outbox?: readonly SyncOp[];
}

export interface QueuedPart<Meta> {
  readonly part: CommitPart;
  readonly meta: Meta;
}

const RESOLVED = Promise.resolve();

/**
 * Group commit: every part added in the same tick (and all parts added while a commit is in flight) go to storage in
 * one batch, so a burst of writes costs one transaction. Batches commit strictly one after another, in order. On
 * failure the batch and everything queued behind it (which was built on top of it) go to `onFailure` together.
 */
export class GroupCommit<Meta> {
  private queue: QueuedPart<Meta>[] = [];
  private inFlight = false;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  /** Bound once: scheduling runs on every write. */
  private readonly runNow = (): void => this.run();

  constructor(
    private readonly commit: (batch: CommitBatch) => Promise<void>,
    private readonly onSuccess: (parts: QueuedPart<Meta>[]) => void,
    private readonly onFailure: (error: unknown, parts: QueuedPart<Meta>[]) => void,
  ) {}

  add(part: CommitPart, meta: Meta): void {
    this.queue.push({ part, meta });
    this.schedule();
  }

  get size(): number {
    return this.queue.length + (this.inFlight ? 1 : 0);
  }

  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void> {
    if (!this.inFlight && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    // A resolved promise's `then` rather than `queueMicrotask`: the same microtask queue and order, but Node wraps
    // every `queueMicrotask` callback in an async resource, a measurable share of a small write.
    void RESOLVED.then(this.runNow);
  }

  // Not an async function: with `then` a commit costs one promise (the storage's) instead of two, on every write.
  private run(): void {
    this.scheduled = false;
    if (this.inFlight || this.queue.length === 0) return this.notifyIdle();
    const parts = this.queue;
    this.queue = [];
    this.inFlight = true;
    let committing: Promise<void>;
    try {
      committing = this.commit(parts.length === 1 ? parts[0]!.part : mergeParts(parts.map((p) => p.part)));
    } catch (error) {
      committing = Promise.reject(error);
    }
    committing.then(
      () => this.succeeded(parts),
      (error: unknown) => this.failed(error, parts),
    );
  }

  private succeeded(parts: QueuedPart<Meta>[]): void {
    this.inFlight = false;
    this.onSuccess(parts);
    if (this.queue.length > 0) this.schedule();
    else this.notifyIdle();
  }

  private failed(error: unknown, parts: QueuedPart<Meta>[]): void {
    const failed = [...parts, ...this.queue];
    this.queue = [];
    this.inFlight = false;
    this.onFailure(error, failed);
    if (this.queue.length > 0) this.schedule();
    else this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.inFlight || this.queue.length > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** One section row per section (the last), checked against the version it had before the first part touched it. */
export function mergeParts(parts: readonly CommitPart[]): CommitBatch {
  if (parts.length === 1) return parts[0]!;
  const sections = new Map<string, { record: SectionRecord; expectedVersion: number }>();
  const entries: HistoryEntry[] = [];
  const snapshots: SnapshotRecord[] = [];
  const outbox: SyncOp[] = [];
  for (const part of parts) {
    for (const { record, expectedVersion } of part.sections) {
      const key = `${record.pad}\u0000${record.section}`;
      const earlier = sections.get(key);
      sections.set(key, { record, expectedVersion: earlier ? earlier.expectedVersion : expectedVersion });
    }
    entries.push(...part.entries);
    snapshots.push(...part.snapshots);
    if (part.outbox) outbox.push(...part.outbox);
  }
  return { sections: [...sections.values()], entries, snapshots, ...(outbox.length > 0 ? { outbox } : {}) };
}
