import { splitLineTokens } from 'scratchpad-store/protocol';
import { merge } from 'node-diff3';

export interface MergeOutcome {
  /** The merged text when the merge was clean. */
  readonly merged: string | undefined;
  readonly clean: boolean;
}

/**
 * Three-way line merge of a stale replace: `ours` (the op's content) and `theirs` (the server's current content) were
 * both made from `base`. Lines are compared with their terminators, as history patches do, so "has a final newline"
 * is part of the merge too. Changes that both sides made identically are not conflicts.
 */
export function mergeThreeWay(base: string, ours: string, theirs: string): MergeOutcome {
  if (theirs === base || ours === theirs) return { merged: ours, clean: true };
  if (ours === base) return { merged: theirs, clean: true };
  const result = merge<string>(splitLineTokens(ours), splitLineTokens(base), splitLineTokens(theirs), { excludeFalseConflicts: true });
  if (result.conflict) return { merged: undefined, clean: false };
  return { merged: result.result.join(''), clean: true };
}
