import type { DeleteSessionResponse, ErrorResponse, PullResponse, PushResponse, SessionEvent, SnapshotResponse } from '../core/protocol.js';
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
  /**
   * Live pokes from the server's event stream (`GET …/events`, read with fetch streaming so that the bearer token
   * goes in a header): a change on another device is pulled at once instead of at the next poll. Default true;
   * polling (`pullIntervalMs`) stays on as the fallback.
   */
  readonly live?: boolean;
}

/** Without a byte for this long (the server sends a comment every 25 s), the stream is taken as dead and reopened. */
const STREAM_IDLE_MS = 60_000;

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
      const answer = await request<Partial<DeleteSessionResponse>>('DELETE', session(sessionId));
      // Servers before epochs answered { deleted } only: the engine then asks for a snapshot's cursor instead.
      return typeof answer.cursor === 'string' && typeof answer.epoch === 'number' ? (answer as DeleteSessionResponse) : undefined;
    },
    ...(options.live === false
      ? {}
      : {
          subscribe(sessionId: string, handlers: { onEvent(event: SessionEvent): void; onState(connected: boolean): void }) {
            return openEventStream(`${base}${session(sessionId)}/events`, doFetch, options, handlers);
          },
        }),
  };
}

/**
 * Reads the session's event stream until stopped, reopening it after a failure with backoff (1 s doubling to 30 s,
 * with jitter). Server-Sent Events framing: `event:` and `data:` lines, a blank line ends an event.
 */
function openEventStream(
  url: string,
  doFetch: typeof fetch,
  options: HttpSyncOptions,
  handlers: { onEvent(event: SessionEvent): void; onState(connected: boolean): void },
): () => void {
  let stopped = false;
  let controller: AbortController | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  /** A throttled or busy server's Retry-After, in ms: the next attempt waits at least this long. */
  let retryAfterMs = 0;

  const connect = async (): Promise<void> => {
    if (stopped) return;
    controller = new AbortController();
    const current = controller;
    let idle: ReturnType<typeof setTimeout> | undefined;
    const watch = () => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => current.abort(), STREAM_IDLE_MS);
    };
    try {
      const token = options.getToken ? await options.getToken() : options.token;
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (token) headers.authorization = `Bearer ${token}`;
      watch();
      const response = await doFetch(url, { headers, signal: current.signal });
      if (!response.ok || !response.body) {
        const header = response.headers.get('retry-after');
        const seconds = header === null ? NaN : Number(header);
        if (Number.isFinite(seconds) && seconds > 0) retryAfterMs = seconds * 1000;
        throw new Error(`events answered ${response.status}`);
      }
      failures = 0;
      handlers.onState(true);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        watch();
        buffer += value.replace(/\r\n?/g, '\n');
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).replace(/^ /, ''))
            .join('\n');
          if (!data) continue;
          try {
            handlers.onEvent(JSON.parse(data) as SessionEvent);
          } catch {
            // An event this client does not understand: the next poll covers it.
          }
        }
      }
    } catch {
      // Unreachable, refused or cut: reopen after a while; polling covers the gap.
    } finally {
      if (idle) clearTimeout(idle);
    }
    handlers.onState(false);
    if (stopped) return;
    failures++;
    const delay = Math.max(retryAfterMs, Math.random() * Math.min(30_000, 1_000 * 2 ** (failures - 1)) + 250);
    retryAfterMs = 0;
    retry = setTimeout(() => void connect(), delay);
  };
  void connect();
  return () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    controller?.abort();
  };
}

/** Retry-After as seconds or an HTTP date, in ms; capped at an hour so that a wrong header cannot stall sync for good. */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const ms = /^\s*\d+\s*$/.test(value) ? Number(value) * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 3_600_000) : undefined;
}
