import { useStore } from 'zustand';
import type { HistoryEntry } from '../core/types.js';
import type { ScratchpadState } from '../store/state.js';
import { instanceKey, useScratchpad } from './context.js';
import { useAsyncValue } from './use-async.js';

export interface DeletedSection {
  readonly pad: string;
  readonly section: string;
  /** The delete's history entry: restoring reverts to `entry.version - 1`. */
  readonly entry: HistoryEntry;
}

const NONE: readonly DeletedSection[] = Object.freeze([]);
const selectPads = (state: ScratchpadState): unknown => state.pads;

/**
 * Sections deleted among the newest `scan` changes and not written again since, newest first: what a "recently
 * deleted" list offers to bring back. Reloaded when any pad changes.
 */
export function useDeletedSections(scan = 500): readonly DeletedSection[] {
  const sp = useScratchpad();
  const trigger = useStore(sp.store, selectPads);
  const { data } = useAsyncValue<readonly DeletedSection[]>(JSON.stringify([instanceKey(sp), 'deleted', scan]), trigger, NONE, async () => {
    const entries = await sp.history({ order: 'desc', limit: scan });
    const seen = new Set<string>();
    const deleted: DeletedSection[] = [];
    for (const entry of entries) {
      const key = JSON.stringify([entry.pad, entry.section]);
      if (seen.has(key)) continue;
      seen.add(key);
      if (entry.op === 'delete' && sp.get(entry.pad, entry.section) === undefined && entry.version > 1) deleted.push({ pad: entry.pad, section: entry.section, entry });
    }
    return deleted;
  });
  return data;
}
