import { createContext, useContext } from 'react';
import type { BlameLine, HistoryEntry, StructuredPatch } from '../core/types.js';
import type { Scratchpad } from '../types.js';
import { blameLines, contextDiff, type ComputeRequest, type ComputeResponse } from './compute-core.js';

/**
 * Where blame and context diffs of large sections are computed. The default runs them on the page's thread;
 * `workerCompute(worker)` runs them in a Web Worker, so that blaming a 1 MB section never freezes the page.
 */
export interface ScratchpadCompute {
  blame(entries: readonly HistoryEntry[], base?: { readonly content: string; readonly entry: HistoryEntry }): Promise<BlameLine[]>;
  diff(oldText: string, newText: string, context: number): Promise<StructuredPatch>;
}

/** On this thread. */
export const inlineCompute: ScratchpadCompute = {
  blame: async (entries, base) => blameLines(entries, base),
  diff: async (oldText, newText, context) => contextDiff(oldText, newText, context),
};

/**
 * Blame and diffs in `worker`, a module worker that calls `serveCompute(self)` (from `scratchpad-store/react`'s
 * compute-core module). Requests are answered in order; a worker that fails to start falls back to this thread.
 */
export function workerCompute(worker: Worker): ScratchpadCompute & { terminate(): void } {
  let nextId = 1;
  let broken = false;
  const pending = new Map<number, { resolve: (value: BlameLine[] | StructuredPatch) => void; reject: (error: Error) => void; fallback: () => Promise<BlameLine[] | StructuredPatch> }>();
  worker.onmessage = (event: MessageEvent<ComputeResponse>) => {
    const reply = event.data;
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    if (reply.ok) waiter.resolve(reply.value);
    else waiter.reject(new Error(reply.error));
  };
  worker.onerror = (event) => {
    // The worker could not load (a CSP, an old bundler): answer what is waiting on this thread instead of never.
    event.preventDefault();
    broken = true;
    for (const [id, waiter] of pending) {
      pending.delete(id);
      waiter.fallback().then(waiter.resolve, waiter.reject);
    }
  };
  function ask<T extends BlameLine[] | StructuredPatch>(request: Omit<ComputeRequest, 'id'>, fallback: () => Promise<T>): Promise<T> {
    if (broken) return fallback();
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: BlameLine[] | StructuredPatch) => void, reject, fallback });
      worker.postMessage({ ...request, id } as ComputeRequest);
    });
  }
  return {
    blame: (entries, base) => ask<BlameLine[]>({ kind: 'blame', entries, ...(base ? { base } : {}) } as Omit<ComputeRequest, 'id'>, () => inlineCompute.blame(entries, base)),
    diff: (oldText, newText, context) => ask<StructuredPatch>({ kind: 'diff', oldText, newText, context } as Omit<ComputeRequest, 'id'>, () => inlineCompute.diff(oldText, newText, context)),
    terminate: () => worker.terminate(),
  };
}

export const ComputeContext = createContext<ScratchpadCompute | undefined>(undefined);

/** The provider's compute, or undefined: then components call `sp.blame` and `sp.diff` as before. */
export function useCompute(): ScratchpadCompute | undefined {
  return useContext(ComputeContext);
}

/** Blame through `compute`, from the section's history read with the public API: what `sp.blame` does, elsewhere. */
export async function blameWith(sp: Scratchpad, compute: ScratchpadCompute, pad: string, section: string): Promise<BlameLine[]> {
  const entries = await sp.history({ pad, section, order: 'asc' });
  const head = entries[0];
  if (!head || head.version === 1) return compute.blame(entries);
  // History before `head` was dropped (retention): its content is credited to `head` as a whole, as sp.blame does.
  return compute.blame(entries.slice(1), { content: await sp.contentAt(pad, section, head.version), entry: head });
}

/** The diff of one version against the one before it, with context, through `compute`. */
export async function versionDiffWith(sp: Scratchpad, compute: ScratchpadCompute, pad: string, section: string, version: number): Promise<{ patch: StructuredPatch; content: string }> {
  const [oldText, content] = await Promise.all([version <= 1 ? Promise.resolve('') : sp.contentAt(pad, section, version - 1), sp.contentAt(pad, section, version)]);
  return { patch: await compute.diff(oldText, content, 3), content };
}
