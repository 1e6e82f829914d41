import type { ErrorResponse, PullResponse, PushResponse, SnapshotResponse } from '../core/protocol.js';
import { SyncTransportError, type PullRequest, type PushRequest, type SyncAdapter } from './types.js';

export interface HttpSyncOptions {
  /** Base URL of the reference server, e.g. `http://localhost:8787`. */
  readonly url: string;
  /** A bearer token, or a function that returns a fresh one for each request. */
  readonly token?: string;
  readonly getToken?: () => string | Promise<string>;
  /** Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
  readonly pullIntervalMs?: number;
  readonly batchSize?: number;
  readonly maxBatchBytes?: number;
  /** Per request. Default 15 s. */
  readonly timeoutMs?: number;
}

/** The `SyncAdapter` for the reference server's HTTP API (see `scratchpad-store/server`). */
export function httpSync(options: HttpSyncOptions): SyncAdapter {
  const base = options.url.replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const timeoutMs = options.timeoutMs ?? 15_000;

  async function request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const token = options.getToken ? await options.getToken() : options.token;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await doFetch(`${base}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new SyncTransportError(`Sync server unreachable: ${error instanceof Error ? error.message : String(error)}`, 0, true);
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) {
      let detail: ErrorResponse['error'] | undefined;
      try {
        detail = (JSON.parse(text) as ErrorResponse).error;
      } catch {
        detail = undefined;
      }
      // Server trouble and throttling pass; a refused request stays refused until something changes.
      const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
      const retryAfterMs = response.status === 429 || response.status === 503 ? parseRetryAfter(response.headers.get('retry-after')) : undefined;
      throw new SyncTransportError(`Sync server answered ${response.status}: ${detail?.message ?? (text.slice(0, 200) || response.statusText)}`, response.status, retryable, detail?.code, retryAfterMs);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new SyncTransportError('Sync server answered with a body that is not JSON.', response.status, true);
    }
  }

  const session = (sessionId: string) => `/v1/sessions/${encodeURIComponent(sessionId)}`;
  return {
    ...(options.pullIntervalMs === undefined ? {} : { pullIntervalMs: options.pullIntervalMs }),
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    ...(options.maxBatchBytes === undefined ? {} : { maxBatchBytes: options.maxBatchBytes }),
    push({ sessionId, clientId, ops }: PushRequest) {
      return request<PushResponse>('POST', `${session(sessionId)}/push`, { clientId, ops });
    },
    pull({ sessionId, clientId, cursor }: PullRequest) {
      const query = new URLSearchParams({ clientId, ...(cursor === undefined ? {} : { since: cursor }) });
      return request<PullResponse>('GET', `${session(sessionId)}/pull?${query}`);
    },
    snapshot({ sessionId, clientId }: Omit<PullRequest, 'cursor'>) {
      return request<SnapshotResponse>('GET', `${session(sessionId)}/snapshot?${new URLSearchParams({ clientId })}`);
    },
    async deleteSession(sessionId: string) {
      await request<unknown>('DELETE', session(sessionId));
    },
  };
}

/** Retry-After as seconds or an HTTP date, in ms; capped at an hour so that a wrong header cannot stall sync for good. */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const ms = /^\s*\d+\s*$/.test(value) ? Number(value) * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 3_600_000) : undefined;
}
