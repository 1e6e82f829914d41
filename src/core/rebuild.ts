// Rebuilding old versions from a delta chain: split from history.ts (what a write plans), so that an app loads it only
// when it reads an old version (src/core/reads.ts), imports, retains or syncs.
import { ScratchpadError } from './errors.js';
import { splitLineTokens } from './lines.js';
import { applyPatchToTokens } from './patch-read.js';
import type { ChainRead, HistoryEntry, SectionRecord, SnapshotRecord } from './types.js';

/** Rebuilds the content of `version` from what `readChain` returned. */
export function rebuildFromChain(chain: ChainRead, version: number): string {
  const tokens = splitLineTokens(chainBase(chain, version).content);
  for (const entry of chain.entries) applyPatchToTokens(tokens, entry.patch);
  return tokens.join('');
}

function chainBase(chain: ChainRead, version: number): { version: number; content: string } {
  const { anchor } = chain;
  let base: { version: number; content: string };
  if (!anchor) base = { version: 0, content: '' };
  else if (anchor.content !== undefined) base = { version: anchor.version, content: anchor.content };
  else {
    const source = chain.resolvedBy?.content ?? chain.current?.content;
    if (source === undefined || source.length < anchor.prefixLength) {
      throw new ScratchpadError('STORAGE_UNAVAILABLE', 'History is corrupt: a prefix checkpoint has nothing to resolve it.');
    }
    base = { version: anchor.version, content: source.slice(0, anchor.prefixLength) };
  }
  let expected = base.version + 1;
  for (const entry of chain.entries) {
    if (entry.version !== expected) break;
    expected++;
  }
  if (expected !== version + 1) {
    throw new ScratchpadError('NOT_FOUND', `Version ${version} is no longer in history (dropped by retention).`, { version });
  }
  return base;
}

/**
 * The chain that rebuilds version `upTo` from a section's anchors and entries held in memory, both ascending by
 * version: what a storage's `readChain` answers, for callers that have the records at hand (an import being checked).
 */
export function chainUpTo(
  anchors: readonly SnapshotRecord[],
  entries: readonly HistoryEntry[],
  current: SectionRecord | undefined,
  upTo: number,
): ChainRead {
  let at = -1;
  while (at + 1 < anchors.length && anchors[at + 1]!.version <= upTo) at++;
  const anchor = anchors[at];
  const resolvedBy = anchor && anchor.content === undefined ? anchors.slice(at + 1).find((a) => a.content !== undefined) : undefined;
  const from = anchor?.version ?? 0;
  return {
    anchor,
    resolvedBy,
    current: anchor && anchor.content === undefined && !resolvedBy ? current : undefined,
    entries: entries.filter((e) => e.version > from && e.version <= upTo),
  };
}
