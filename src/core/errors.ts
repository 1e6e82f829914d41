/** Stable error codes: match on `error.code`, never on the message. */
export type ScratchpadErrorCode =
  | 'INVALID_NAME'
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'TOO_LARGE'
  | 'QUOTA_EXCEEDED'
  | 'STORAGE_UNAVAILABLE'
  | 'CLOSED';

/** Extra facts about an error, for programs (a conflict's versions, a limit's value). */
export interface ScratchpadErrorDetails {
  readonly pad?: string;
  readonly section?: string;
  readonly expectedVersion?: number;
  readonly actualVersion?: number;
  readonly limit?: number;
  readonly actual?: number;
  readonly [key: string]: unknown;
}

/** Every error the library throws on purpose. A failed call has changed nothing. */
export class ScratchpadError extends Error {
  override readonly name = 'ScratchpadError';
  readonly code: ScratchpadErrorCode;
  readonly details: ScratchpadErrorDetails;

  constructor(code: ScratchpadErrorCode, message: string, details: ScratchpadErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }
}

export function isScratchpadError(error: unknown, code?: ScratchpadErrorCode): error is ScratchpadError {
  return error instanceof ScratchpadError && (code === undefined || error.code === code);
}

/** Storage errors keep their code; anything else a storage throws means it is not usable right now. */
export function asStorageError(error: unknown, what: string): ScratchpadError {
  if (error instanceof ScratchpadError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ScratchpadError('STORAGE_UNAVAILABLE', `${what}: ${message}`, {}, { cause: error });
}
