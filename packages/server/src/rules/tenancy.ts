/**
 * Tenancy: a session is named by its user and its id together, so that two users can each have a session
 * `default`. The rules hand the stores one opaque key per (user, session id) and map it back to the client's session
 * id in everything they return; the stores never parse it.
 *
 * The key is `<userId>\u001f<sessionId>`. A session id has no control characters (the HTTP layer refuses them), so
 * the key splits at its last U+001F and no two pairs share a key; and no session id written before keys existed
 * (schema 1) contains U+001F, so an old row can never collide with a new key while it is migrated.
 */
export const SESSION_KEY_SEPARATOR = '\u001f';

export function sessionKey(userId: string, sessionId: string): string {
  return `${userId}${SESSION_KEY_SEPARATOR}${sessionId}`;
}

/** True for a key made by `sessionKey`; false for a session id stored before keys existed (to migrate). */
export function isSessionKey(stored: string): boolean {
  return stored.includes(SESSION_KEY_SEPARATOR);
}

/**
 * The user and session id a key was made of, or undefined for a session id stored before keys existed. For stores
 * that migrate such sessions lazily (the Azure stores): they find a key's legacy session under its session id alone.
 */
export function splitSessionKey(key: string): { userId: string; sessionId: string } | undefined {
  const at = key.lastIndexOf(SESSION_KEY_SEPARATOR);
  return at < 0 ? undefined : { userId: key.slice(0, at), sessionId: key.slice(at + 1) };
}
