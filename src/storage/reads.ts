/**
 * The scratchpad's read side (history queries, rebuilding old versions, diffs, blame, export and import) and the
 * failure report of `flush`, loaded on the first call of one of those methods: they return promises anyway, and an
 * app that only writes never downloads this code.
 * Nothing here holds state: the scratchpad passes what each call needs.
 */
import { ScratchpadError, asStorageError } from '../core/errors.js';
import { rebuildFromChain } from '../core/rebuild.js';
import { computePatch } from '../core/patch.js';
import { formatPatch } from '../core/patch-read.js';
import type { BlameLine, DiffResult, HistoryQuery, ScratchpadLimits, ScratchpadSnapshot } from '../core/types.js';
import { describe, validateInteger, validateName } from '../core/validate.js';
import type { LiveSection } from '../core/change.js';
import type { SessionStorage } from './types.js';

export function validateQuery(query: HistoryQuery, limits: ScratchpadLimits): HistoryQuery {
  if (typeof query !== 'object' || query === null) throw new ScratchpadError('INVALID_ARGUMENT', 'The history query must be an object.');
  if (query.pad !== undefined) validateName(query.pad, 'pad', limits);
  if (query.section !== undefined) validateName(query.section, 'section', limits);
  if (query.agent !== undefined) validateName(query.agent, 'agent', limits);
  for (const key of ['since', 'until'] as const) {
    const value = query[key];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw new ScratchpadError('INVALID_ARGUMENT', `history ${key} must be a timestamp in milliseconds, got ${describe(value)}.`);
    }
  }
  if (query.limit !== undefined) validateInteger(query.limit, 'history limit', 1);
  if (query.order !== undefined && query.order !== 'asc' && query.order !== 'desc') {
    throw new ScratchpadError('INVALID_ARGUMENT', `history order must be 'asc' or 'desc', got ${describe(query.order)}.`);
  }
  return query;
}

/** The content of `version` of a section whose live state is `live`: rebuilt from storage unless it is the latest. */
export async function readVersion(session: SessionStorage, live: LiveSection | undefined, pad: string, section: string, version: number): Promise<string> {
  if (!live || version > live.record.version) {
    throw new ScratchpadError('NOT_FOUND', `'${pad}.${section}' has no version ${version}.`, { pad, section, version });
  }
  if (version === live.record.version) return live.record.content;
  return rebuildFromChain(await session.readChain(pad, section, version), version);
}

/** The unified diff between two versions' contents (3 lines of context), labelled with the versions. */
export function diffResult(pad: string, section: string, fromVersion: number, to: number, oldText: string, newText: string): DiffResult {
  const label = `${pad}/${section}`;
  const { patch, stats } = computePatch(oldText, newText, { context: 3, oldName: label, newName: label });
  const labelled = { ...patch, oldHeader: `version ${fromVersion}`, newHeader: `version ${to}` };
  return { patch: labelled, text: formatPatch(labelled), stats };
}

export async function exportSnapshot(session: SessionStorage, sessionId: string, exportedAt: number): Promise<ScratchpadSnapshot> {
  const [sections, history, snapshots] = await Promise.all([session.loadSections(), session.readHistory({}), session.readSnapshots()]);
  return { format: 'scratchpad-store/v1', sessionId, exportedAt, sections, history, snapshots };
}

/**
 * Imports a snapshot into an empty session: checked whole before anything changes (an import that fails leaves the
 * session as it was), then committed once every pending change is.
 */
export async function importSnapshot(
  snapshot: ScratchpadSnapshot,
  sessionId: string,
  limits: ScratchpadLimits,
  settled: () => Promise<void>,
  openSession: () => SessionStorage,
): Promise<void> {
  const { checkSnapshot } = await import('../core/snapshot.js');
  const data = await checkSnapshot(snapshot, sessionId, limits);
  await settled();
  const session = openSession();
  const previous = await session.loadSections();
  if (previous.length > 0) {
    throw new ScratchpadError('INVALID_ARGUMENT', 'importJSON needs an empty session: call deleteSession() first, or import into a new sessionId.');
  }
  await session.commit({ sections: data.sections.map((record) => ({ record, expectedVersion: 0 })), entries: data.history, snapshots: data.snapshots }).catch((error: unknown) => {
    throw asStorageError(error, 'Could not import');
  });
}

/** Who wrote each line of the latest `version` (blame's own code, src/core/blame.ts, loads with it). */
export async function blameSection(
  session: SessionStorage,
  pad: string,
  section: string,
  version: number,
  contentAt: (version: number) => Promise<string>,
): Promise<BlameLine[]> {
  const [entries, { blameFromHistory }] = await Promise.all([session.readEntries(pad, section, 1, version), import('../core/blame.js')]);
  const head = entries[0];
  if (!head || head.version === 1) return blameFromHistory(entries);
  // History before `head` was dropped: its content is credited to `head` as a whole.
  const content = await contentAt(head.version);
  return blameFromHistory(entries.slice(1), { content, entry: head });
}

/** The error of a `flush` whose changes are stored but could not be pushed. */
export function notSynced(error: unknown): ScratchpadError {
  return new ScratchpadError(
    'STORAGE_UNAVAILABLE',
    `Saved locally, but not synced: ${error instanceof Error ? error.message : String(error)}. The changes wait in the outbox and are pushed when the server is back.`,
    { sync: true },
    { cause: error },
  );
}
