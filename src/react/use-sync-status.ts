import { useStore } from 'zustand';
import type { ScratchpadState } from '../store/state.js';
import type { SyncStatus } from '../sync/types.js';
import { useScratchpad } from './context.js';

const selectSync = (state: ScratchpadState): SyncStatus => state.sync;

/** `{ state: 'idle' | 'pushing' | 'offline' | 'error', pending, lastError? }`; 'idle' with 0 pending without sync. */
export function useSyncStatus(): SyncStatus {
  const sp = useScratchpad();
  return useStore(sp.store, selectSync);
}
