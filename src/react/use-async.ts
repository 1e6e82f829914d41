import { useCallback, useEffect, useMemo, useRef, useState } from 'react';

export interface AsyncValue<T> {
  readonly data: T;
  readonly loading: boolean;
  readonly error: Error | undefined;
  readonly refresh: () => void;
}

/** The pause before a reload that was asked for while the previous load ran. */
const RELOAD_GAP_MS = 100;

interface Flight {
  readonly key: string;
  /** A change came while this load ran. */
  again: boolean;
}

interface Loaded<T> {
  readonly key: string;
  readonly data: T;
  readonly loading: boolean;
  readonly error: Error | undefined;
}

/**
 * Loads `load()` whenever `key` (what is asked) or `trigger` (the data behind it changed) changes, and whenever
 * `watch` reports a change. While a new `key` loads, `data` is `empty`; while the same key reloads, the previous data
 * stays on screen, so a list does not flash empty on every change. Results of superseded loads are dropped.
 *
 * For one key, at most one load runs at a time: a change while a load runs starts one more load `RELOAD_GAP_MS` after
 * it is over, however many changes came. Loading on every change made a stream of writes cost one history read each
 * (the demo's 63 ms writes: every write waited behind a read of the whole history, and the reads queued up). Changes
 * reported through `watch` do not re-render the component: only a finished load does.
 */
export function useAsyncValue<T>(
  key: string,
  trigger: unknown,
  empty: T,
  load: () => Promise<T>,
  watch?: (onChange: () => void) => () => void,
): AsyncValue<T> {
  const [state, setState] = useState<Loaded<T> | undefined>(undefined);
  const [nonce, setNonce] = useState(0);
  // The latest load function, and the load in flight (for its key): read by the effects, never a reason to re-run them.
  const latest = useRef(load);
  latest.current = load;
  const inFlight = useRef<Flight | undefined>(undefined);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  /** Starts a load of `forKey` now, or marks the running one (same key) to load once more when it is over. */
  const request = useCallback(
    (forKey: string): void => {
      const running = inFlight.current;
      if (running !== undefined && running.key === forKey) {
        running.again = true;
        return;
      }
      const flight: Flight = { key: forKey, again: false };
      inFlight.current = flight;
      setState((previous) =>
        previous?.key === forKey ? (previous.loading ? previous : { ...previous, loading: true }) : { key: forKey, data: empty, loading: true, error: undefined },
      );
      const settle = (next: (previous: Loaded<T> | undefined) => Loaded<T>): void => {
        // Superseded by a load of another key: dropped.
        if (inFlight.current !== flight || !mounted.current) return;
        setState((previous) => (previous === undefined || previous.key === forKey ? next(previous) : previous));
        if (!flight.again) {
          inFlight.current = undefined;
          return;
        }
        // Changes came while loading: one more load, after a pause, with whatever is current then.
        flight.again = false;
        setTimeout(() => {
          if (inFlight.current !== flight || !mounted.current) return;
          inFlight.current = undefined;
          request(forKey);
        }, RELOAD_GAP_MS);
      };
      latest.current().then(
        (data) => settle(() => ({ key: forKey, data, loading: false, error: undefined })),
        (error: unknown) => settle((previous) => ({ key: forKey, data: previous?.key === forKey ? previous.data : empty, loading: false, error: asError(error) })),
      );
    },
    // `empty` is a constant of the caller.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [],
  );

  useEffect(() => {
    request(key);
  }, [key, trigger, nonce, request]);

  useEffect(() => (watch ? watch(() => request(key)) : undefined), [watch, key, request]);

  const refresh = useCallback(() => setNonce((n) => n + 1), []);
  const fresh = state?.key === key;
  const data = fresh ? state.data : empty;
  const loading = fresh ? state.loading : true;
  const error = fresh ? state.error : undefined;
  return useMemo(() => ({ data, loading, error, refresh }), [data, loading, error, refresh]);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
