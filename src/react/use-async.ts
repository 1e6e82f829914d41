import { useCallback, useEffect, useMemo, useState } from 'react';

export interface AsyncValue<T> {
  readonly data: T;
  readonly loading: boolean;
  readonly error: Error | undefined;
  readonly refresh: () => void;
}

interface Loaded<T> {
  readonly key: string;
  readonly data: T;
  readonly loading: boolean;
  readonly error: Error | undefined;
}

/**
 * Loads `load()` whenever `key` (what is asked) or `trigger` (the data behind it changed) changes. While a new `key`
 * loads, `data` is `empty`; while the same key reloads after `trigger` moved, the previous data stays on screen, so a
 * list does not flash empty on every change. Results of superseded loads are dropped.
 */
export function useAsyncValue<T>(key: string, trigger: unknown, empty: T, load: () => Promise<T>): AsyncValue<T> {
  const [state, setState] = useState<Loaded<T> | undefined>(undefined);
  const [nonce, setNonce] = useState(0);

  useEffect(() => {
    let current = true;
    setState((previous) => (previous?.key === key ? { ...previous, loading: true } : { key, data: empty, loading: true, error: undefined }));
    load().then(
      (data) => {
        if (current) setState({ key, data, loading: false, error: undefined });
      },
      (error: unknown) => {
        if (current) setState((previous) => ({ key, data: previous?.key === key ? previous.data : empty, loading: false, error: asError(error) }));
      },
    );
    return () => {
      current = false;
    };
    // `load` is a fresh closure each render; `key` and `trigger` say everything it depends on.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, trigger, nonce]);

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
