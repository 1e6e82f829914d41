import { useCallback } from 'react';
import { useStore } from 'zustand';
import type { Section } from '../core/types.js';
import type { ScratchpadState } from '../store/state.js';
import { useScratchpad } from './context.js';
import { selectSection } from './selectors.js';

/**
 * One section ({ content, version, updatedAt, updatedBy }), or undefined while it does not exist. Re-renders only when
 * this section changes: the store keeps every other section's object as it was.
 */
export function useSection(pad: string, section: string): Section | undefined {
  const sp = useScratchpad();
  const select = useCallback((state: ScratchpadState) => selectSection(state, pad, section), [pad, section]);
  return useStore(sp.store, select);
}
