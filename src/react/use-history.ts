import { useCallback } from 'react';
import type { HistoryEntry, HistoryQuery } from '../core/types.js';
import type { ScratchpadState } from '../store/state.js';
import { instanceKey, useScratchpad } from './context.js';
import { useAsyncValue } from './use-async.js';

export interface HistoryState {
  /** The entries of the last completed load; kept while a refresh runs. */
  readonly entries: readonly HistoryEntry[];
  readonly loading: boolean;
  readonly error: Error | undefined;
  /** Loads again, for changes the store does not show (another device's history, retention). */
  readonly refresh: () => void;
}

const NO_ENTRIES: readonly HistoryEntry[] = Object.freeze([]);

/**
 * `sp.history(query)`, loaded asynchronously and loaded again whenever what the query covers changes: the section
 * (pad and section given), the pad (pad given), or any pad. The query is compared by value, so an inline object is fine.
 */
export function useHistory(query: HistoryQuery = {}): HistoryState {
  const sp = useScratchpad();
  const { pad, section, agent, since, until, limit, order } = query;
  // The narrowest part of the state whose identity changes when the covered history grows: a change elsewhere
  // does not reload this history.
  const selectTrigger = useCallback(
    (state: ScratchpadState): unknown => {
      if (pad === undefined) return state.pads;
      const sections = state.pads.get(pad);
      return section === undefined ? sections : sections?.get(section);
    },
    [pad, section],
  );
  // Watched outside React: a write to the covered sections reloads the history without re-rendering the component
  // (a timeline of 100 entries re-rendered on every write was most of a write's cost with the panel mounted).
  const watch = useCallback(
    (onChange: () => void) => {
      let last = selectTrigger(sp.store.getState());
      return sp.store.subscribe((state) => {
        const next = selectTrigger(state);
        if (next === last) return;
        last = next;
        onChange();
      });
    },
    [sp, selectTrigger],
  );
  const key = JSON.stringify([instanceKey(sp), pad, section, agent, since, until, limit, order]);
  const { data, loading, error, refresh } = useAsyncValue<readonly HistoryEntry[]>(
    key,
    undefined,
    NO_ENTRIES,
    () => sp.history(clean({ pad, section, agent, since, until, limit, order })),
    watch,
  );
  return { entries: data, loading, error, refresh };
}

/** Without the keys that are undefined: `history()` validates whatever it is given. */
function clean(query: HistoryQuery): HistoryQuery {
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined)) as HistoryQuery;
}
