import { planCheckpoint } from './history.js';
import { applyPatch, patchSize } from './patch-read.js';
import type { ChainState, HistoryEntry, SectionRecord, SectionRow, SnapshotRecord } from './types.js';

/** A section as a sync server reports it. */
export type ServerRow = SectionRow;

export interface Adoption {
  /** The section row at the last version the server's entries lead to (the server's row once they all arrived). */
  readonly record: SectionRecord;
  /** The server's entries, renumbered nothing: they already carry the server's versions. */
  readonly entries: HistoryEntry[];
  /** Anchors planned afresh for them, starting with a full snapshot of the agreed base. */
  readonly snapshots: SnapshotRecord[];
}

/**
 * Replays the server's history of one section on top of the last version both sides agree on (`from`, with its
 * content `base`, or undefined if it could not be read) and plans its anchors as a local write would. Pure.
 *
 * - All entries chain from `from` to the server's row: the result is the row, with full history.
 * - They chain but stop short (one page of a longer pull): the result is the version they reach; the next page
 *   goes on from there.
 * - They do not chain (history the server no longer has): the result is the row itself, anchored by a full snapshot.
 */
export function planAdoption(input: {
  readonly sessionId: string;
  readonly server: ServerRow;
  readonly entries: readonly HistoryEntry[];
  readonly from: number;
  readonly base: string | undefined;
  readonly checkpointEvery: number;
  /**
   * The server's content at the first version it still has history for (retention dropped the ones before), sent
   * when this page starts that section's history there. Used when the entries do not chain from `from`: the history
   * then starts at this version instead of being given up for the bare row.
   */
  readonly serverBase?: { readonly version: number; readonly content: string };
}): Adoption {
  const { server, from } = input;
  const { pad, section } = server;
  const serverContent = server.deleted ? '' : server.content;
  const snapshots: SnapshotRecord[] = [];
  const entries: HistoryEntry[] = [];
  let content = input.base;
  let chain: ChainState = { anchorVersion: from, bytesSinceAnchor: 0, openPrefix: false };
  if (content !== undefined && from > 0) snapshots.push({ pad, section, version: from, content });
  let version = from;
  let pending: readonly HistoryEntry[] = input.entries;
  const serverBase = input.serverBase;
  const chains = content !== undefined && pending[0]?.version === from + 1;
  if (serverBase && !chains && serverBase.version > from && pending.some((e) => e.version === serverBase.version)) {
    // Start at the base: its own entry is kept for the record (its patch leads from a version nobody has any more).
    content = serverBase.content;
    version = serverBase.version;
    snapshots.push({ pad, section, version, content });
    chain = { anchorVersion: version, bytesSinceAnchor: 0, openPrefix: false };
    for (const entry of pending) if (entry.version <= version) entries.push({ ...entry, sessionId: input.sessionId });
    pending = pending.filter((e) => e.version > version);
  }
  for (const entry of pending) {
    if (content === undefined || entry.version !== version + 1) break;
    const next = applyOrUndefined(content, entry);
    if (next === undefined) break;
    const checkpoint = planCheckpoint({
      pad,
      section,
      version: entry.version,
      previousContent: content,
      content: next,
      chain,
      patchBytes: patchSize(entry.patch),
      isAppend: entry.op === 'write_append' && next.startsWith(content),
      checkpointEvery: input.checkpointEvery,
    });
    snapshots.push(...checkpoint.snapshots);
    chain = checkpoint.chain;
    entries.push({ ...entry, sessionId: input.sessionId });
    content = next;
    version = entry.version;
  }
  const last = entries.at(-1);
  if (content !== undefined && last && version < server.version) {
    const record = { pad, section, content, version, updatedAt: last.timestamp, updatedBy: last.agent, deleted: last.op === 'delete', chain, synced: version };
    return { record, entries, snapshots };
  }
  if (version !== server.version || content !== serverContent) {
    snapshots.push({ pad, section, version: server.version, content: serverContent });
    chain = { anchorVersion: server.version, bytesSinceAnchor: 0, openPrefix: false };
  }
  const record: SectionRecord = {
    pad,
    section,
    content: serverContent,
    version: server.version,
    updatedAt: server.updatedAt,
    updatedBy: server.updatedBy,
    deleted: server.deleted,
    chain,
    synced: server.version,
  };
  return { record, entries, snapshots };
}

/** The local row already is the server's: nothing to rewrite, at most the version it is in sync at. */
export function agreesWithServer(local: SectionRecord | undefined, server: ServerRow): local is SectionRecord {
  return local !== undefined && local.version === server.version && local.deleted === server.deleted && local.content === (server.deleted ? '' : server.content);
}

function applyOrUndefined(content: string, entry: HistoryEntry): string | undefined {
  try {
    return applyPatch(content, entry.patch);
  } catch {
    return undefined;
  }
}
