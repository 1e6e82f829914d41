/**
 * The IndexedDB adapter's code, loaded by `indexedDbStorage` on its first `open` (in parallel with nothing: the
 * database cannot be opened before it anyway), so that it is not part of an app's up-front bundle.
 */
export { ChangeChannel } from './channel.js';
export { Connection } from './connection.js';
export { IdbSessionStorage } from './session.js';
