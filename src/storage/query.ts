import type { HistoryEntry, HistoryQuery } from '../core/types.js';

/** The one history order every adapter returns: by timestamp, then pad, section and version. */
export function compareEntries(a: HistoryEntry, b: HistoryEntry): number {
  return (
    a.timestamp - b.timestamp ||
    (a.pad < b.pad ? -1 : a.pad > b.pad ? 1 : 0) ||
    (a.section < b.section ? -1 : a.section > b.section ? 1 : 0) ||
    a.version - b.version
  );
}

export function matchesQuery(entry: HistoryEntry, query: HistoryQuery): boolean {
  return (
    (query.pad === undefined || entry.pad === query.pad) &&
    (query.section === undefined || entry.section === query.section) &&
    (query.agent === undefined || entry.agent === query.agent) &&
    (query.since === undefined || entry.timestamp >= query.since) &&
    (query.until === undefined || entry.timestamp <= query.until)
  );
}
