import { ScratchpadError } from '../../core/errors.js';

/** The DOMException name of an IndexedDB failure, if it is one. */
export function domErrorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const name: unknown = (error as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

export function isQuotaError(error: unknown, transactionError?: unknown): boolean {
  if (domErrorName(error) === 'QuotaExceededError') return true;
  // Chromium aborts a transaction that ran out of quota: its requests fail with AbortError and only
  // `transaction.error` says why.
  return domErrorName(error) === 'AbortError' && domErrorName(transactionError) === 'QuotaExceededError';
}

/**
 * Turns whatever IndexedDB threw into the library's error codes, so that apps match on `code` and never on browser
 * specific exception names. `where` names the database for the message.
 */
export function toStorageError(error: unknown, where: string, transactionError?: unknown): ScratchpadError {
  if (error instanceof ScratchpadError) return error;
  const name = domErrorName(error) ?? 'Error';
  const details = { storage: where, cause: name };
  const options = { cause: error };
  if (isQuotaError(error, transactionError)) {
    return new ScratchpadError(
      'QUOTA_EXCEEDED',
      `${where}: the browser's storage quota for this site is used up; the change was not saved. ` +
        'Free space (delete old sessions or prune history) or ask for persistent storage with navigator.storage.persist().',
      details,
      options,
    );
  }
  switch (name) {
    case 'ConstraintError':
      return new ScratchpadError(
        'CONFLICT',
        `${where}: this sync client's mutation id is already queued in the outbox; nothing of the change was saved`,
        details,
        options,
      );
    case 'DataCloneError':
    case 'DataError':
      return new ScratchpadError('INVALID_ARGUMENT', `${where}: IndexedDB cannot store this record (${messageOf(error)})`, details, options);
    case 'VersionError':
      return new ScratchpadError(
        'STORAGE_UNAVAILABLE',
        `${where}: the database was upgraded by a newer version of scratchpad-store (another tab?); reload this page`,
        details,
        options,
      );
    case 'InvalidStateError':
      return new ScratchpadError(
        'STORAGE_UNAVAILABLE',
        `${where}: the IndexedDB connection is closed and could not be reopened (${messageOf(error)})`,
        details,
        options,
      );
    case 'SecurityError':
      return new ScratchpadError(
        'STORAGE_UNAVAILABLE',
        `${where}: the browser refuses IndexedDB here (private mode, blocked site data, or a sandboxed/opaque origin)`,
        details,
        options,
      );
    case 'AbortError':
      return new ScratchpadError(
        'STORAGE_UNAVAILABLE',
        `${where}: the IndexedDB transaction was aborted (connection closed by the browser?); nothing of it was saved`,
        details,
        options,
      );
    default:
      return new ScratchpadError('STORAGE_UNAVAILABLE', `${where}: IndexedDB failed: ${name}: ${messageOf(error)}`, details, options);
  }
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return String(error);
}
