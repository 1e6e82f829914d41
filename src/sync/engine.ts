import type { SessionStorage, SyncOp } from '../storage/types.js';
import type { PullResponse } from '../core/protocol.js';
import { SyncTransportError, type SyncAdapter, type SyncStatus } from './types.js';

/** What the engine needs from the scratchpad it syncs. */
export interface SyncHost {
  readonly sessionId: string;
  readonly clientId: string;
  session(): SessionStorage;
  /** Adopts the server's rows and history for the sections a pull touched, re-applying pending ops on top. */
  applyPull(response: PullResponse): Promise<void>;
  /**
   * The session was deleted on the server since this device last synced: drop the local copy (sections, history,
   * anchors; storage included). The outbox stays, so that its ops reach the server and are rejected there as
   * SESSION_RESET, keeping mutation ids gap-free; they are never replanned on the new state.
   */
  reset(): Promise<void>;
  /** The server has processed this client's ops up to `upTo`. */
  acknowledged(clientId: string, upTo: number): void;
  setStatus(status: SyncStatus): void;
}

export interface RetryPolicy {
  /** First retry delay; doubled each failure. Default 500 ms. */
  readonly baseDelayMs: number;
  /** Upper bound of the delay. Default 30 s. */
  readonly maxDelayMs: number;
}

const DEFAULT_RETRY: RetryPolicy = { baseDelayMs: 500, maxDelayMs: 30_000 };
const CURSOR_KEY = 'sync.cursor';
const EPOCH_KEY = 'sync.epoch';
/** Server faults (5xx) in a row after which automatic retries stop until the next change or flush(). */
const MAX_SERVER_FAULTS = 8;
/** Collects the writes of one burst into one push. */
const PUSH_DEBOUNCE_MS = 20;

/**
 * Pushes the outbox and pulls other clients' changes, in the style of Replicache: server authoritative, the client
 * rebases. One round at a time; failures back off exponentially with full jitter; offline pauses until `online`;
 * a hidden page flushes; with Web Locks only one tab of a session syncs at a time.
 */
export class SyncEngine {
  private cursor: string | undefined;
  private knownEpoch: number | undefined;
  private serverFaults = 0;
  private unsubscribe: (() => void) | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pullTimer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private failures = 0;
  /** Date.now() before which no scheduled round starts: the server's Retry-After. */
  private notBefore = 0;
  private stopped = false;
  private status: SyncStatus = { state: 'idle', pending: 0 };
  private readonly cleanups: (() => void)[] = [];

  constructor(
    private readonly adapter: SyncAdapter,
    private readonly host: SyncHost,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {}

  async start(): Promise<void> {
    const saved = await this.host.session().meta.get(CURSOR_KEY);
    this.cursor = typeof saved === 'string' ? saved : undefined;
    const epoch = await this.host.session().meta.get(EPOCH_KEY);
    this.knownEpoch = typeof epoch === 'number' ? epoch : undefined;
    const target = globalThis as { addEventListener?: (type: string, fn: () => void) => void; removeEventListener?: (type: string, fn: () => void) => void };
    const listen = (type: string, fn: () => void) => {
      target.addEventListener?.(type, fn);
      this.cleanups.push(() => target.removeEventListener?.(type, fn));
    };
    listen('online', () => this.schedule(0));
    listen('offline', () => this.setState('offline'));
    const doc = (globalThis as { document?: { visibilityState?: string; addEventListener?: (t: string, f: () => void) => void; removeEventListener?: (t: string, f: () => void) => void } }).document;
    if (doc?.addEventListener) {
      const onHidden = () => {
        if (doc.visibilityState === 'hidden') this.schedule(0);
      };
      doc.addEventListener('visibilitychange', onHidden);
      this.cleanups.push(() => doc.removeEventListener?.('visibilitychange', onHidden));
    }
    const interval = this.adapter.pullIntervalMs ?? 10_000;
    if (interval > 0) this.pullTimer = setInterval(() => this.schedule(0), interval);
    // Live pokes: pull as soon as the server says the session changed; polling above stays the fallback.
    this.unsubscribe = this.adapter.subscribe?.(this.host.sessionId, {
      onEvent: (event) => {
        if (event.cursor !== this.cursor || event.epoch !== this.knownEpoch) this.schedule(0);
      },
      onState: (live) => {
        this.status = { ...this.status, live };
        this.host.setStatus(this.status);
      },
    });
    await this.refreshPending();
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.pullTimer) clearInterval(this.pullTimer);
    this.unsubscribe?.();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  /** The server epoch that new ops are made in, when this client has learnt one. */
  get epoch(): number | undefined {
    return this.knownEpoch;
  }

  /** Continue pulling from `cursor` (the server's state after this client reset the session). */
  async adoptCursor(cursor: string | undefined, epoch?: number): Promise<void> {
    this.cursor = cursor;
    await this.host.session().meta.set(CURSOR_KEY, cursor);
    if (epoch !== undefined) await this.setEpoch(epoch);
  }

  private async setEpoch(epoch: number | undefined): Promise<void> {
    this.knownEpoch = epoch;
    await this.host.session().meta.set(EPOCH_KEY, epoch);
  }

  /** A local change was committed: push soon. */
  changed(): void {
    this.serverFaults = 0;
    this.status = { ...this.status, pending: this.status.pending + 1 };
    this.host.setStatus(this.status);
    this.schedule(PUSH_DEBOUNCE_MS);
  }

  /** Pushes everything and pulls until up to date, now; rejects if the server cannot be reached. */
  async sync(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (;;) {
      if (this.running) {
        this.again = true;
        await this.running.catch(() => undefined);
        continue;
      }
      this.running = this.locked(() => this.round());
      try {
        await this.running;
        this.failures = 0;
        this.serverFaults = 0;
        return;
      } finally {
        this.running = undefined;
      }
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    // New changes and the pull interval wait for a Retry-After too; an explicit flush() does not.
    delayMs = Math.max(delayMs, this.notBefore - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sync().then(
        () => {
          if (this.again) {
            this.again = false;
            this.schedule(0);
          }
        },
        (error: unknown) => {
          // A refused token or a forbidden session will not fix itself: wait for the next change or flush. Nor, after
          // a run of them, will server faults (a 503 with Retry-After is a pause, not a fault): the status says so
          // instead of retrying forever.
          if (error instanceof SyncTransportError && !error.retryable) return;
          if (error instanceof SyncTransportError && error.status >= 500 && error.status !== 503) {
            if (++this.serverFaults >= MAX_SERVER_FAULTS) {
              this.setState('error', `${error.message} (${this.serverFaults} server errors in a row: automatic retries stopped until the next change or flush())`);
              return;
            }
          }
          this.schedule(this.backoff(error));
        },
      );
    }, delayMs);
  }

  private backoff(error?: unknown): number {
    this.failures++;
    const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (this.failures - 1));
    // Full jitter: clients that failed together do not retry together.
    const jittered = Math.random() * ceiling;
    // A throttled or draining server said how long to wait: never sooner, spread by up to a fifth beyond it.
    const asked = error instanceof SyncTransportError ? error.retryAfterMs : undefined;
    if (asked === undefined) return jittered;
    const delay = Math.max(jittered, asked * (1 + Math.random() * 0.2));
    this.notBefore = Date.now() + delay;
    return delay;
  }

  /** One tab per session at a time, where the platform has Web Locks. */
  private locked(body: () => Promise<void>): Promise<void> {
    const locks = (globalThis as { navigator?: { locks?: { request(name: string, fn: () => Promise<void>): Promise<void> } } }).navigator?.locks;
    return locks ? locks.request(`scratchpad-store:sync:${this.host.sessionId}`, body) : body();
  }

  private async round(): Promise<void> {
    if (this.stopped) return;
    if ((globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine === false) {
      this.setState('offline');
      throw new SyncTransportError('offline', 0, true);
    }
    try {
      await this.pushAll();
      await this.pullAll();
      await this.refreshPending();
      this.setState('idle');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const offline = error instanceof SyncTransportError ? error.status === 0 : true;
      await this.refreshPending().catch(() => undefined);
      this.setState(offline ? 'offline' : 'error', message);
      throw error;
    }
  }

  private async pushAll(): Promise<void> {
    const session = this.host.session();
    const batchSize = this.adapter.batchSize ?? 500;
    for (;;) {
      const pending = await session.outbox.pending(batchSize);
      if (pending.length === 0) return;
      this.setState('pushing');
      // Ops of several clients (tabs) may wait; push them in queue order, one client's run at a time.
      const run = leadingRun(pending, this.adapter.maxBatchBytes ?? 4 * 1024 * 1024);
      const response = await this.adapter.push({ sessionId: this.host.sessionId, clientId: run[0]!.clientId, ops: run });
      const last = run.at(-1)!;
      const upTo = Math.min(response.lastMutationId, last.mutationId);
      if (upTo < run[0]!.mutationId) {
        throw new SyncTransportError(`The server processed none of the pushed ops (its last mutation id is ${response.lastMutationId}).`, 409, false);
      }
      await session.outbox.ack(run[0]!.clientId, upTo);
      this.host.acknowledged(run[0]!.clientId, upTo);
    }
  }

  private async pullAll(): Promise<void> {
    for (let restarts = 0; ; ) {
      let response: PullResponse;
      try {
        response = await this.adapter.pull({ sessionId: this.host.sessionId, clientId: this.host.clientId, cursor: this.cursor });
      } catch (error) {
        if (!(error instanceof SyncTransportError && error.status === 410) || ++restarts > 3) throw error;
        // SESSION_RESET: the session was deleted since our cursor, caught up or not: drop everything and pull afresh.
        // CURSOR_EXPIRED (a cursor the server cannot place): pull from the start; the local copy adopts what comes.
        if (error.code === 'SESSION_RESET') await this.resetLocal(undefined);
        else await this.adoptCursor(undefined);
        continue;
      }
      // An adapter that reports epochs: a new one without a 410 (a first pull after a reset elsewhere) resets too.
      if (response.epoch !== undefined && this.knownEpoch !== undefined && response.epoch !== this.knownEpoch) {
        await this.resetLocal(response.epoch);
        continue;
      }
      await this.host.applyPull(response);
      this.cursor = response.cursor;
      await this.host.session().meta.set(CURSOR_KEY, response.cursor);
      if (response.epoch !== undefined && response.epoch !== this.knownEpoch) await this.setEpoch(response.epoch);
      if (!response.more) return;
    }
  }

  /** Drops the local copy and starts pulling from the beginning of the server's current epoch. */
  private async resetLocal(epoch: number | undefined): Promise<void> {
    await this.host.reset();
    await this.adoptCursor(undefined);
    await this.setEpoch(undefined);
    this.status = { ...this.status, reset: { at: Date.now(), epoch } };
    this.host.setStatus(this.status);
  }

  private async refreshPending(): Promise<void> {
    const pending = await this.host.session().outbox.count();
    this.status = { ...this.status, pending };
    this.host.setStatus(this.status);
  }

  private setState(state: SyncStatus['state'], lastError?: string): void {
    const { reset, live } = this.status;
    this.status = {
      state,
      pending: this.status.pending,
      ...(lastError === undefined ? {} : { lastError }),
      ...(reset === undefined ? {} : { reset }),
      ...(live === undefined ? {} : { live }),
    };
    this.host.setStatus(this.status);
  }
}

/** The first client's ops, in order, cut so that the request stays under `maxBytes` (one op always goes). */
function leadingRun(ops: readonly SyncOp[], maxBytes: number): SyncOp[] {
  const first = ops[0]!;
  const run: SyncOp[] = [];
  let bytes = 0;
  for (const op of ops) {
    if (op.clientId !== first.clientId) break;
    // UTF-16 length × 3 bounds the UTF-8 JSON of the content; 512 covers the other fields.
    bytes += op.content.length * 3 + 512;
    if (run.length > 0 && bytes > maxBytes) break;
    run.push(op);
  }
  return run;
}
