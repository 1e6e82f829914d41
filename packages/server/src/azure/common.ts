import { createHash, randomUUID } from 'node:crypto';
import { HttpError } from '../errors.js';
import type { TransactionRunner, StoreTx } from '../rules/tx.js';
import type { ServerStore } from '../types.js';

/**
 * A compare-and-swap lost to another writer (HTTP 412, or 409 on a create): the transaction is run again from the
 * start on fresh reads. Never reaches the client.
 */
export class WriteConflict extends Error {
  override readonly name = 'WriteConflict';
}

/**
 * A committed document or state names a large value that is not in storage. Retrying cannot help (the reference
 * outlives every retry), so it is a 500 of its own, with a code an operator can search the log for, at once.
 */
export class DanglingReference extends HttpError {
  constructor(detail: string) {
    super(500, 'DANGLING_REFERENCE', `The server's copy of this session refers to stored text that is missing (${detail}). Report it to the server's operator.`);
  }
}

/** A compare-and-swap still lost after every retry: other instances keep writing the session. The client retries later. */
export function sessionBusy(attempts: number): HttpError {
  return new HttpError(503, 'SESSION_BUSY', `The session is being written too often to commit or read it consistently (${attempts} attempts lost the race). Retry shortly.`, 1);
}

/**
 * Whether a storage request failed without a definite answer: no status (the connection dropped, a timeout) or a
 * server-side 5xx/408. The write may or may not have been applied.
 */
export function isTransient(status: number | undefined): boolean {
  return status === undefined || status === 408 || status >= 500;
}

/**
 * Runs a storage request again after transient failures (the SDKs do not retry every write themselves). Only for
 * requests that are safe to repeat, or whose repetition the caller recognises (a create answering 409 on its own
 * random name, a delete answering 404).
 */
export async function retryTransient<T>(request: () => Promise<T>, statusOf: (error: unknown) => number | undefined, tries = 6): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (!isTransient(statusOf(error)) || attempt >= tries) throw error;
    }
    await sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));
  }
}

/**
 * One queue per session within this process: writers of a session take turns instead of racing each other's
 * compare-and-swap, so that one instance under load never loses a swap to itself. Across instances the swap decides.
 */
export class SessionLocks {
  private readonly tails = new Map<string, Promise<void>>();

  /** Waits for the writers before, then returns the function that lets the next one in. */
  async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
      // The last writer in the queue leaves no entry behind.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}

export interface RetryPolicy {
  /** Attempts of one transaction before it fails with 503 and Retry-After (the client retries the request). Default 40. */
  readonly maxAttempts?: number;
  /** First backoff in ms; doubled per attempt up to `maxDelayMs`, each delay drawn at random below it. Default 5. */
  readonly baseDelayMs?: number;
  /** Default 250. */
  readonly maxDelayMs?: number;
}

/** A transaction of an optimistic store: `commit` writes what `tx` buffered, or throws `WriteConflict`. */
export interface OptimisticTx {
  readonly tx: StoreTx;
  commit(): Promise<void>;
  /** Read transactions: throws `WriteConflict` when a writer committed while the body read (its reads may disagree). */
  validate(): Promise<void>;
  /**
   * Once the attempt is over: lets the session's next writer in this process go (see `SessionLocks`), then, best
   * effort, deletes large values it wrote that no committed state refers to, or that its commit stopped referring to.
   * After an outcome it could not settle it deletes nothing (the orphan sweep does, after a grace period).
   */
  cleanup(): Promise<void>;
}

/**
 * A `TransactionRunner` for stores without server-side transactions across reads: the body runs on reads taken as it
 * goes, its writes are buffered, and the commit is a compare-and-swap on the session's ETag. A lost swap means someone
 * else wrote the session since it was read, so the whole body runs again. Bounded, with jittered backoff so that
 * writers that collided do not collide again in lockstep.
 */
export function optimisticRunner(begin: (mode: 'read' | 'write') => OptimisticTx, policy: RetryPolicy, guard: InFlight): TransactionRunner {
  const maxAttempts = policy.maxAttempts ?? 40;
  const base = policy.baseDelayMs ?? 5;
  const cap = policy.maxDelayMs ?? 250;
  return <T>(mode: 'read' | 'write', body: (tx: StoreTx) => Promise<T>) =>
    guard.run(async () => {
      for (let attempt = 1; ; attempt++) {
        const t = begin(mode);
        try {
          const result = await body(t.tx);
          if (mode === 'write') await t.commit();
          else await t.validate();
          return result;
        } catch (error) {
          if (!(error instanceof WriteConflict) || attempt >= maxAttempts) {
            if (error instanceof WriteConflict) throw sessionBusy(attempt);
            throw error;
          }
        } finally {
          await t.cleanup().catch(() => undefined);
        }
        await sleep(Math.random() * Math.min(cap, base * 2 ** (attempt - 1)));
      }
    });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Counts running transactions so that `close()` can wait for them; refuses new ones once closed. */
export class InFlight {
  private running = 0;
  private idle: (() => void) | undefined;
  private closed = false;

  constructor(private readonly what: string) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new Error(`The ${this.what} store is closed.`);
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      if (this.running === 0) this.idle?.();
    }
  }

  /** Stops new transactions and waits for the running ones. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.running > 0) await new Promise<void>((resolve) => (this.idle = resolve));
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/**
 * The order of SQL's `ORDER BY pad, section` on the reference stores: SQLite's BINARY collation and PostgreSQL's C
 * compare UTF-8 bytes, which is code point order. JavaScript's `<` compares UTF-16 code units, which differs for
 * characters above U+FFFF against U+E000–U+FFFF, so it cannot be used.
 */
export function compareNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** A fixed-length key for a name of any characters: safe in a Cosmos DB id or a blob name, which forbid some. */
export function hashKey(...parts: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

export function nonce(): string {
  return randomUUID().replaceAll('-', '');
}

/** Splits text into pieces of at most `max` UTF-16 code units, never between the two halves of a surrogate pair. */
export function splitText(text: string, max: number): string[] {
  const pieces: string[] = [];
  let at = 0;
  while (at < text.length) {
    let end = Math.min(text.length, at + max);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    pieces.push(text.slice(at, end));
    at = end;
  }
  return pieces;
}

/** Bytes of a value as JSON in UTF-8: what Cosmos DB counts against its item and request limits. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * Retention with the Azure stores' own housekeeping around it. Sessions written before tenancy keys move to their
 * owner's key first, so that retention sees them too; orphaned large values older than `graceMs` go after it. They run
 * together because both are the periodic housekeeping an operator turns on with retention.
 */
export function withHousekeeping(
  store: ServerStore,
  inFlight: InFlight,
  housekeeping: { readonly migrateLegacy: () => Promise<unknown>; readonly sweepOrphans: (olderThan: number) => Promise<unknown>; readonly graceMs: number },
): ServerStore {
  return {
    ...store,
    async prune(pruneOptions) {
      await inFlight.run(housekeeping.migrateLegacy);
      const report = await store.prune(pruneOptions);
      await inFlight.run(() => housekeeping.sweepOrphans(Date.now() - housekeeping.graceMs));
      return report;
    },
  };
}
