import { createHash, randomUUID } from 'node:crypto';
import type { TransactionRunner, StoreTx } from '../rules/tx.js';

/**
 * A compare-and-swap lost to another writer (HTTP 412, or 409 on a create): the transaction is run again from the
 * start on fresh reads. Never reaches the client.
 */
export class WriteConflict extends Error {
  override readonly name = 'WriteConflict';
}

export interface RetryPolicy {
  /** Attempts of one transaction before it fails with a server error (the client retries the request). Default 40. */
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
   * Best-effort cleanup once the attempt is over: large values it wrote that nothing refers to (its commit definitely
   * failed), or that its commit stopped referring to. After an unknown outcome it deletes nothing.
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
            if (error instanceof WriteConflict) throw new Error(`Gave up after ${attempt} attempts: the session is written too often to commit (${error.message}).`);
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
