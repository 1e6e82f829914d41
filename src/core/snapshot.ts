import { ScratchpadError } from './errors.js';
import { EMPTY_CHAIN } from './history.js';
import { chainUpTo, rebuildFromChain } from './rebuild.js';
import type { HistoryEntry, HistoryOp, ScratchpadLimits, ScratchpadSnapshot, SectionRecord, SnapshotRecord } from './types.js';
import { validateInteger, validateName, validateText } from './validate.js';

const OPS: readonly HistoryOp[] = ['write_replace', 'write_append', 'write_prepend', 'edit', 'revert', 'delete'];

/**
 * Checks an exported snapshot completely (shapes, names, and that every section's history rebuilds its content) and
 * returns it re-homed to `sessionId`. Throws INVALID_ARGUMENT, with what is wrong, before anything is imported.
 */
export async function checkSnapshot(
  snapshot: ScratchpadSnapshot,
  sessionId: string,
  limits: ScratchpadLimits,
): Promise<{ sections: SectionRecord[]; history: HistoryEntry[]; snapshots: SnapshotRecord[] }> {
  const fail = (why: string): never => {
    throw new ScratchpadError('INVALID_ARGUMENT', `Not a scratchpad snapshot: ${why}.`);
  };
  if (typeof snapshot !== 'object' || snapshot === null) fail('expected an object');
  if (snapshot.format !== 'scratchpad-store/v1') fail(`unknown format ${JSON.stringify(snapshot.format)}`);
  if (!Array.isArray(snapshot.sections) || !Array.isArray(snapshot.history) || !Array.isArray(snapshot.snapshots)) {
    fail('sections, history and snapshots must be arrays');
  }
  const guard = <T>(what: string, check: () => T): T => {
    try {
      return check();
    } catch (error) {
      return fail(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  const sections = snapshot.sections.map((r, i) =>
    guard(`sections[${i}]`, (): SectionRecord => {
      const chain = r.chain ?? EMPTY_CHAIN;
      return {
        pad: validateName(r.pad, 'pad', limits),
        section: validateName(r.section, 'section', limits),
        content: validateText(r.content, 'content'),
        version: validateInteger(r.version, 'version', 1),
        updatedAt: validateInteger(r.updatedAt, 'updatedAt', 0),
        updatedBy: validateName(r.updatedBy, 'agent', limits),
        deleted: r.deleted === true,
        chain: {
          anchorVersion: validateInteger(chain.anchorVersion, 'chain.anchorVersion', 0),
          bytesSinceAnchor: validateInteger(chain.bytesSinceAnchor, 'chain.bytesSinceAnchor', 0),
          openPrefix: chain.openPrefix === true,
        },
      };
    }),
  );
  const history = snapshot.history.map((e, i) =>
    guard(`history[${i}]`, (): HistoryEntry => {
      if (!OPS.includes(e.op)) throw new Error(`unknown op ${JSON.stringify(e.op)}`);
      if (typeof e.patch !== 'object' || e.patch === null || !Array.isArray(e.patch.hunks)) throw new Error('patch.hunks must be an array');
      for (const hunk of e.patch.hunks) {
        for (const key of ['oldStart', 'oldLines', 'newStart', 'newLines'] as const) validateInteger(hunk[key], `hunk.${key}`, 0);
        if (!Array.isArray(hunk.lines) || !hunk.lines.every((l) => typeof l === 'string' && /^[-+ \\]/.test(l))) throw new Error('bad hunk lines');
      }
      return {
        id: validateText(e.id, 'id'),
        sessionId,
        pad: validateName(e.pad, 'pad', limits),
        section: validateName(e.section, 'section', limits),
        version: validateInteger(e.version, 'version', 1),
        op: e.op,
        agent: validateName(e.agent, 'agent', limits),
        timestamp: validateInteger(e.timestamp, 'timestamp', 0),
        patch: e.patch,
        stats: { added: validateInteger(e.stats?.added, 'stats.added', 0), removed: validateInteger(e.stats?.removed, 'stats.removed', 0) },
        ...(e.conflict === true ? { conflict: true } : {}),
      };
    }),
  );
  const snapshots = snapshot.snapshots.map((a, i) =>
    guard(`snapshots[${i}]`, (): SnapshotRecord => {
      const base = { pad: validateName(a.pad, 'pad', limits), section: validateName(a.section, 'section', limits), version: validateInteger(a.version, 'version', 1) };
      if (typeof a.content === 'string') return { ...base, content: a.content };
      return { ...base, prefixLength: validateInteger(a.prefixLength, 'prefixLength', 0) };
    }),
  );

  // Every section's current content must come out of its own history.
  const key = (pad: string, section: string): string => `${pad.length}:${pad}${section}`;
  const entriesOf = groupBy(history, (e) => key(e.pad, e.section));
  const anchorsOf = groupBy(snapshots, (s) => key(s.pad, s.section));
  for (const record of sections) {
    const entries = (entriesOf.get(key(record.pad, record.section)) ?? []).sort((a, b) => a.version - b.version);
    const anchors = (anchorsOf.get(key(record.pad, record.section)) ?? []).sort((a, b) => a.version - b.version);
    if (entries.at(-1)?.version !== record.version) fail(`'${record.pad}.${record.section}' has no history entry for its version ${record.version}`);
    let rebuilt: string | undefined;
    try {
      rebuilt = rebuildFromChain(chainUpTo(anchors, entries, record, record.version), record.version);
    } catch {
      rebuilt = undefined;
    }
    if (rebuilt !== (record.deleted ? '' : record.content)) fail(`the history of '${record.pad}.${record.section}' does not rebuild its content`);
  }
  return { sections, history, snapshots };
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
