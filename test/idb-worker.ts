// A second browsing context for the scratchpad-level browser tests: a module worker has its own JS realm, its own
// IndexedDB connection and its own BroadcastChannel, like another tab; terminate() ends it abruptly, like a closed page.
import { createScratchpad } from '../src/index.js';
import { indexedDbStorage } from '../src/storage/idb.js';

export interface WorkerJob {
  readonly name: string;
  readonly agent: string;
  /** [pad, section] pairs written round-robin. */
  readonly targets: readonly (readonly [string, string])[];
  readonly count: number;
  /** Writes issued together before awaiting them; 1 awaits each write. */
  readonly burst: number;
}

export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'ack'; readonly pad: string; readonly section: string; readonly version: number; readonly line: string }
  | { readonly type: 'done' }
  | { readonly type: 'error'; readonly message: string };

const scope = self as unknown as { postMessage(message: WorkerMessage): void; onmessage: ((event: MessageEvent<WorkerJob>) => void) | null };

scope.onmessage = (event) => {
  void run(event.data).catch((error: unknown) => scope.postMessage({ type: 'error', message: String(error) }));
};

async function run(job: WorkerJob): Promise<void> {
  const sp = createScratchpad({ storage: indexedDbStorage({ name: job.name }) });
  await sp.ready;
  scope.postMessage({ type: 'ready' });
  for (let i = 0; i < job.count; i += job.burst) {
    const writes: Promise<void>[] = [];
    for (let j = i; j < Math.min(i + job.burst, job.count); j++) {
      const [pad, section] = job.targets[j % job.targets.length] as readonly [string, string];
      const line = `${job.agent} ${j}`;
      writes.push(
        sp.write(pad, section, line, { mode: 'append', agent: job.agent }).then((result) => {
          scope.postMessage({ type: 'ack', pad, section, version: result.version, line });
        }),
      );
    }
    await Promise.all(writes);
  }
  await sp.flush();
  sp.close();
  scope.postMessage({ type: 'done' });
}
