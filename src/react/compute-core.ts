import { blameFromHistory } from '../core/blame.js';
import { computePatch } from '../core/patch.js';
import type { BlameLine, HistoryEntry, StructuredPatch } from '../core/types.js';

/**
 * The pure work behind blame and context diffs, with no React and no DOM: it runs on the page's thread or in a Web
 * Worker (see `serveCompute`). Kept apart from the components so that a worker bundle pulls in only this.
 */
export type ComputeRequest =
  | { readonly id: number; readonly kind: 'blame'; readonly entries: readonly HistoryEntry[]; readonly base?: { readonly content: string; readonly entry: HistoryEntry } }
  | { readonly id: number; readonly kind: 'diff'; readonly oldText: string; readonly newText: string; readonly context: number };

export type ComputeResponse =
  | { readonly id: number; readonly ok: true; readonly value: BlameLine[] | StructuredPatch }
  | { readonly id: number; readonly ok: false; readonly error: string };

export function blameLines(entries: readonly HistoryEntry[], base?: { readonly content: string; readonly entry: HistoryEntry }): BlameLine[] {
  return blameFromHistory(entries, base);
}

export function contextDiff(oldText: string, newText: string, context: number): StructuredPatch {
  // Generous limits: this runs off the page's thread, where a slow diff freezes nothing.
  return computePatch(oldText, newText, { context, limits: { timeoutMs: 2_000, maxEditLength: 50_000 } }).patch;
}

export function answer(request: ComputeRequest): ComputeResponse {
  try {
    const value = request.kind === 'blame' ? blameLines(request.entries, request.base) : contextDiff(request.oldText, request.newText, request.context);
    return { id: request.id, ok: true, value };
  } catch (error) {
    return { id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** The worker's side: `serveCompute(self)` in a module worker answers `workerCompute(worker)`'s requests. */
export function serveCompute(scope: { onmessage: ((event: MessageEvent<ComputeRequest>) => void) | null; postMessage(message: ComputeResponse): void }): void {
  scope.onmessage = (event) => scope.postMessage(answer(event.data));
}
