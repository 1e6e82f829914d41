import type { SectionKey } from '../types.js';

/** What a commit tells the other connections: which sections of which session changed, never their data. */
export interface ChangeMessage {
  readonly sessionId: string;
  readonly sections: readonly SectionKey[];
}

/** A visible page tells the others at most this often during a burst of commits (the first one at once). */
export const COALESCE_MS = 10;

/**
 * One BroadcastChannel per open session storage. BroadcastChannel never delivers a message to the object that posted
 * it, so a connection's own commits do not come back to it, while every other connection (tab, worker, or a second
 * scratchpad in the same page) hears them.
 *
 * A post costs an IPC round through the browser, about a tenth of a small awaited write. So in a visible page, a
 * commit within `COALESCE_MS` of the last post is not posted at once: its sections join the next post, sent when that
 * interval is over (or on close, pagehide or a change of visibility). The first commit after a quiet spell is posted at once. Hidden pages
 * (whose timers the browser may hold back for a second or more) and workers post every commit immediately.
 */
export class ChangeChannel {
  private readonly channel: BroadcastChannel | undefined;
  private readonly listeners = new Set<(message: ChangeMessage) => void>();
  private lastPost = -Infinity;
  private pending: Map<string, Map<string, SectionKey>> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly flushNow = (): void => this.flush();

  constructor(name: string) {
    if (typeof BroadcastChannel !== 'function') return;
    const channel = new BroadcastChannel(name);
    // Node keeps the process alive while a channel is open; a storage adapter should never be the reason it cannot exit.
    (channel as { unref?: () => void }).unref?.();
    channel.addEventListener('message', (event: MessageEvent<unknown>) => {
      const message = parseMessage(event.data);
      if (!message) return;
      for (const listener of [...this.listeners]) listener(message);
    });
    this.channel = channel;
  }

  post(message: ChangeMessage): void {
    if (!this.channel || message.sections.length === 0) return;
    const now = performance.now();
    if (!this.pending && (now - this.lastPost >= COALESCE_MS || !coalescing())) {
      this.send(message);
      this.lastPost = now;
      return;
    }
    this.pending ??= new Map();
    let sections = this.pending.get(message.sessionId);
    if (!sections) this.pending.set(message.sessionId, (sections = new Map()));
    for (const key of message.sections) sections.set(`${key.pad}\u0000${key.section}`, key);
    if (this.timer === undefined) {
      this.timer = setTimeout(this.flushNow, Math.max(0, COALESCE_MS - (now - this.lastPost)));
      // A page going away or out of sight must not hold it back.
      globalThis.addEventListener?.('pagehide', this.flushNow);
      globalThis.addEventListener?.('visibilitychange', this.flushNow);
    }
  }

  /** Posts what is waiting, now. */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      globalThis.removeEventListener?.('pagehide', this.flushNow);
      globalThis.removeEventListener?.('visibilitychange', this.flushNow);
    }
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) return;
    for (const [sessionId, sections] of pending) this.send({ sessionId, sections: [...sections.values()] });
    this.lastPost = performance.now();
  }

  private send(message: ChangeMessage): void {
    try {
      this.channel?.postMessage(message);
    } catch {
      // A closed channel (page unloading) cannot tell anyone; the commit itself has succeeded.
    }
  }

  subscribe(listener: (message: ChangeMessage) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  close(): void {
    this.flush();
    this.listeners.clear();
    this.channel?.close();
  }
}

// Anything on the channel comes from the same origin, but possibly from another version of the library.
function parseMessage(data: unknown): ChangeMessage | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const { sessionId, sections } = data as { sessionId?: unknown; sections?: unknown };
  if (typeof sessionId !== 'string' || !Array.isArray(sections)) return undefined;
  const keys: SectionKey[] = [];
  for (const item of sections as unknown[]) {
    if (typeof item !== 'object' || item === null) return undefined;
    const { pad, section } = item as { pad?: unknown; section?: unknown };
    if (typeof pad !== 'string' || typeof section !== 'string') return undefined;
    keys.push({ pad, section });
  }
  return { sessionId, sections: keys };
}

/** Only a page that is visible coalesces: there a timer of a few milliseconds fires on time. */
function coalescing(): boolean {
  const doc = (globalThis as { document?: { visibilityState?: string } }).document;
  return doc?.visibilityState === 'visible';
}
