import type { ErrorResponse } from 'scratchpad-store/protocol';

export type HttpStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 500 | 503;

/**
 * A request the server refuses, with the status and the JSON body it answers. Messages are written for the client's
 * developer and never name another user, another user's session content, or database details.
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly status: HttpStatus,
    readonly code: string,
    message: string,
    /** Sent as `Retry-After` (seconds): when a retry may succeed (a 503 for a busy session). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  toJSON(): ErrorResponse {
    return { error: { code: this.code, message: this.message } };
  }
}

export const forbiddenSession = () => new HttpError(403, 'FORBIDDEN', 'This session belongs to another user.');
export const forbiddenClient = () =>
  new HttpError(403, 'FORBIDDEN', 'This client id is bound to another user or session: use a new client id for this session.');
