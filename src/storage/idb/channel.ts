import type { SectionKey } from '../types.js';

/** What a commit tells the other connections: which sections of which session changed, never their data. */
export interface ChangeMessage {
  readonly sessionId: string;
  readonly sections: readonly SectionKey[];
}

/**
 * One BroadcastChannel per open session storage. BroadcastChannel never delivers a message to the object that posted
 * it, so a connection's own commits do not come back to it, while every other connection (tab, worker, or a second
 * scratchpad in the same page) hears them.
 */
export class ChangeChannel {
  private readonly channel: BroadcastChannel | undefined;
  private readonly listeners = new Set<(message: ChangeMessage) => void>();

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
    try {
      this.channel.postMessage(message);
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
