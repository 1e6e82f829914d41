// What reads of history need of patches: applying them (rebuilding old versions, blame, adopting server state),
// measuring them and formatting whole ones. Split from patch.ts, which a write needs, so that this is not up front.
import { ScratchpadError } from './errors.js';
import { splitLineTokens } from './lines.js';
import { formatHunks } from './patch.js';
import type { DiffStats, StructuredPatch } from './types.js';

type Hunk = StructuredPatch['hunks'][number];

export function patchStats(hunks: readonly Hunk[]): DiffStats {
  let added = 0;
  let removed = 0;
  for (const hunk of hunks) {
    for (const line of hunk.lines) {
      if (line.startsWith('+')) added++;
      else if (line.startsWith('-')) removed++;
    }
  }
  return { added, removed };
}

/** Characters a patch keeps: what the delta chain costs to store and to read. */
export function patchSize(patch: StructuredPatch): number {
  let size = 0;
  for (const hunk of patch.hunks) for (const line of hunk.lines) size += line.length + 1;
  return size;
}

/**
 * Applies a patch exactly, in place: every context and removed line must match, or the history is corrupt and this
 * throws. Hunks are applied last to first so that earlier line numbers stay valid.
 */
export function applyPatchToTokens(tokens: string[], patch: StructuredPatch): void {
  const hunks = patch.hunks;
  for (let h = hunks.length - 1; h >= 0; h--) {
    const hunk = hunks[h]!;
    const start = hunk.oldLines === 0 ? hunk.oldStart : hunk.oldStart - 1;
    const removed: string[] = [];
    const added: string[] = [];
    const lines = hunk.lines;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const kind = line.charCodeAt(0);
      if (kind === 92 /* '\' */) continue;
      const terminated = lines[i + 1]?.charCodeAt(0) !== 92;
      const token = terminated ? line.slice(1) + '\n' : line.slice(1);
      if (kind === 32 /* ' ' */) {
        removed.push(token);
        added.push(token);
      } else if (kind === 45 /* '-' */) removed.push(token);
      else added.push(token);
    }
    for (let i = 0; i < removed.length; i++) {
      if (tokens[start + i] !== removed[i]) {
        throw new ScratchpadError('STORAGE_UNAVAILABLE', `History is corrupt: a patch does not apply at line ${start + i + 1}.`);
      }
    }
    spliceArray(tokens, start, removed.length, added);
  }
}

export function applyPatch(text: string, patch: StructuredPatch): string {
  const tokens = splitLineTokens(text);
  applyPatchToTokens(tokens, patch);
  return tokens.join('');
}

/** A complete unified diff with file headers, as GNU `patch` reads it. */
export function formatPatch(patch: StructuredPatch): string {
  const header = (marker: string, name: string, label: string | undefined) => `${marker} ${name}${label ? `\t${label}` : ''}`;
  const body = formatHunks(patch);
  return [header('---', patch.oldFileName, patch.oldHeader), header('+++', patch.newFileName, patch.newHeader), ...(body ? [body] : [])].join('\n') + '\n';
}

/** `array.splice(start, deleteCount, ...items)` without the argument-count limit that spreading a huge array hits. */
export function spliceArray<T>(array: T[], start: number, deleteCount: number, items: readonly T[]): void {
  if (items.length < 8_192) {
    array.splice(start, deleteCount, ...items);
    return;
  }
  const tail = array.slice(start + deleteCount);
  array.length = start;
  for (const item of items) array.push(item);
  for (const item of tail) array.push(item);
}
