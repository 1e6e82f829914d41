import { splitLineTokens, stripTerminator } from './lines.js';
import { applyPatchToTokens, NO_NEWLINE, spliceArray } from './patch.js';
import type { BlameLine, HistoryEntry } from './types.js';

// Its own module: only `blame()` needs it, and a scratchpad loads it on first use (it is not in the up-front bundle).
/**
 * Line-by-line attribution: replays the section's history, carrying for every line the version that introduced it.
 * `base` is the content of the version before `entries[0]` (empty when history starts at version 1); its lines are
 * credited to `baseEntry` when history before it was dropped.
 */
export function blameFromHistory(entries: readonly HistoryEntry[], base?: { content: string; entry: HistoryEntry }): BlameLine[] {
  const tokens = base ? splitLineTokens(base.content) : [];
  const origins: HistoryEntry[] = base ? tokens.map(() => base.entry) : [];
  for (const entry of entries) {
    // Apply the patch to a parallel array of origins: same hunks, with added lines carrying this entry.
    for (let h = entry.patch.hunks.length - 1; h >= 0; h--) {
      const hunk = entry.patch.hunks[h]!;
      const start = hunk.oldLines === 0 ? hunk.oldStart : hunk.oldStart - 1;
      let oldIndex = start;
      const added: HistoryEntry[] = [];
      // Appending to content without a final newline rewrites its last line only to end it (`-X`, `\`, `+X`): the
      // line's text is unchanged, so it keeps its author.
      const lines = hunk.lines;
      let kept = lines[1] === NO_NEWLINE && lines[0]?.[0] === '-' && lines[2]?.[0] === '+' && lines[0].slice(1) === lines[2].slice(1) ? origins[start] : undefined;
      for (const line of lines) {
        if (line.startsWith('-')) oldIndex++;
        else if (line.startsWith('+')) {
          added.push(kept ?? entry);
          kept = undefined;
        } else if (line.startsWith(' ')) added.push(origins[oldIndex++] ?? entry);
      }
      spliceArray(origins, start, oldIndex - start, added);
    }
    applyPatchToTokens(tokens, entry.patch);
  }
  return tokens.map((token, i) => {
    const origin = origins[i]!;
    return { text: stripTerminator(token), version: origin.version, agent: origin.agent, timestamp: origin.timestamp };
  });
}

