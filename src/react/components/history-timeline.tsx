import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { isScratchpadError } from '../../core/errors.js';
import type { HistoryEntry, StructuredPatch, WriteResult } from '../../core/types.js';
import type { Scratchpad } from '../../types.js';
import { cx } from '../class-names.js';
import { useCompute, versionDiffWith } from '../compute.js';
import { instanceKey, useScratchpad } from '../context.js';
import { opLabel, plural } from '../format.js';
import { useAsyncValue } from '../use-async.js';
import { useHistory } from '../use-history.js';
import { useSection } from '../use-section.js';
import { AgentBadge } from './agent-badge.js';
import { DiffView } from './diff-view.js';
import { RelativeTime } from './relative-time.js';
import { VirtualList } from './virtual-list.js';

export interface HistoryTimelineProps {
  /** Only this pad's history; with `section`, only that section's. */
  readonly pad?: string;
  readonly section?: string;
  /** Only changes by this agent. */
  readonly agent?: string;
  /** Entries per page: the newest this many first, "Load more" for the next page. Default 100. */
  readonly limit?: number;
  /** Who a revert made here is attributed to. Default 'user'. */
  readonly user?: string;
  /** Offer "Restore this version" on a selected entry. Default true. */
  readonly allowRevert?: boolean;
  readonly onRevert?: (result: WriteResult) => void;
  readonly emptyText?: ReactNode;
  readonly className?: string;
  /** The tallest the list gets before it scrolls (px). Default 360. */
  readonly maxHeight?: number;
}

const ROW_HEIGHT = 44;

/**
 * A section's, a pad's or the whole scratchpad's changes, newest first: who, when, what and how much. Pages of
 * `limit` entries load on demand and only the rows in view are rendered, so every version of a long history can be
 * reached. Selecting an entry shows its diff below the list and lets a person restore the section to that version
 * (a new version; nothing is lost), or undo a delete.
 */
export function HistoryTimeline(props: HistoryTimelineProps): ReactNode {
  const { pad, section, agent, limit = 100, emptyText = 'No changes yet.', maxHeight = 360 } = props;
  const [pages, setPages] = useState(1);
  const shown = limit * pages;
  // One entry past the page says whether there is more: a history of exactly `shown` entries has nothing to load.
  const loaded = useHistory({ pad, section, agent, limit: shown + 1, order: 'desc' });
  const { loading, error } = loaded;
  const more = loaded.entries.length > shown;
  const entries = useMemo(() => (more ? loaded.entries.slice(0, shown) : loaded.entries), [more, loaded.entries, shown]);
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const showNames = section === undefined;
  const selectedIndex = entries.findIndex((entry) => entry.id === selected);
  const selectedEntry = entries[selectedIndex];

  return (
    <div className={cx('sp-history', props.className)} aria-busy={loading}>
      {error ? <p className="sp-error" role="alert">{error.message}</p> : null}
      {entries.length === 0 && !loading && !error ? <p className="sp-empty">{emptyText}</p> : null}
      {entries.length > 0 ? (
        <VirtualList
          className="sp-history-list"
          count={entries.length}
          rowHeight={ROW_HEIGHT}
          maxHeight={maxHeight}
          label={`History, ${plural(entries.length, 'change')}${more ? ' loaded' : ''}`}
          innerRole="list"
          scrollToIndex={selectedIndex}
          renderRow={(i) => {
            const entry = entries[i]!;
            return (
              <HistoryRow
                key={entry.id}
                entry={entry}
                index={i}
                total={entries.length}
                open={entry.id === selected}
                showPad={pad === undefined}
                showNames={showNames}
                onToggle={() => setSelected(entry.id === selected ? undefined : entry.id)}
              />
            );
          }}
        />
      ) : null}
      {entries.length > 0 ? (
        <div className="sp-history-paging">
          <span className="sp-muted" aria-live="polite">
            {more ? `The newest ${plural(entries.length, 'change')}` : `All ${plural(entries.length, 'change')}`}
          </span>
          {more ? (
            <button type="button" className="sp-button" disabled={loading} onClick={() => setPages(pages + 1)}>
              Load {limit} more
            </button>
          ) : null}
        </div>
      ) : null}
      {selectedEntry ? (
        <EntryDetail key={selectedEntry.id} entry={selectedEntry} allowRevert={props.allowRevert ?? true} user={props.user ?? 'user'} onRevert={props.onRevert} />
      ) : null}
    </div>
  );
}

interface HistoryRowProps {
  readonly entry: HistoryEntry;
  readonly index: number;
  readonly total: number;
  readonly open: boolean;
  readonly showPad: boolean;
  readonly showNames: boolean;
  readonly onToggle: () => void;
}

function HistoryRow({ entry, index, total, open, showPad, showNames, onToggle }: HistoryRowProps): ReactNode {
  return (
    <div
      role="listitem"
      aria-posinset={index + 1}
      aria-setsize={total}
      className={cx('sp-history-entry', 'sp-vrow', open && 'sp-history-entry--open', entry.conflict && 'sp-history-entry--conflict')}
    >
      <button type="button" className="sp-history-summary" aria-expanded={open} aria-controls={open ? detailId(entry) : undefined} onClick={onToggle}>
        <AgentBadge agent={entry.agent} />
        <OpLabel entry={entry} />
        {showNames ? (
          <span className="sp-history-target">
            {showPad ? `${entry.pad} / ` : ''}
            {entry.section}
          </span>
        ) : null}
        <span className="sp-version">v{entry.version}</span>
        <span className="sp-stats">
          <span className="sp-stats-add">+{entry.stats.added}</span>
          <span className="sp-stats-remove">−{entry.stats.removed}</span>
        </span>
        <RelativeTime timestamp={entry.timestamp} />
      </button>
    </div>
  );
}

/** "edited", "deleted", and for a revert the version it restored: "restored v3". */
function OpLabel({ entry }: { entry: HistoryEntry }): ReactNode {
  const sp = useScratchpad();
  const restored = useAsyncValue<number | null | undefined>(JSON.stringify([instanceKey(sp), entry.id]), entry.id, undefined, () =>
    entry.op === 'revert' ? restoredVersion(sp, entry) : Promise.resolve(null),
  );
  const text = entry.op !== 'revert' ? opLabel(entry.op) : restored.data === undefined ? 'restored' : restored.data === null ? 'restored an earlier version' : `restored v${restored.data}`;
  return <span className={`sp-op sp-op--${entry.op}`}>{text}</span>;
}

const restoredCache = new WeakMap<Scratchpad, Map<string, number | null>>();
/**
 * How far back a revert's target is looked for: up to this many versions, or this many characters of content
 * compared, whichever comes first. A restore of v1 in a 1,000-version section of short lines is found; a search
 * through a megabyte section stops after a few of its versions. Asynchronous reads, so no long task either way.
 */
const RESTORE_SEARCH_VERSIONS = 1_000;
const RESTORE_SEARCH_CHARS = 16_000_000;

/**
 * The version a revert restored: the newest older version with the same content. History entries keep the patch,
 * not the target, so it is found by comparing contents (cached; only rows in view ask).
 */
async function restoredVersion(sp: Scratchpad, entry: HistoryEntry): Promise<number | null> {
  let cache = restoredCache.get(sp);
  if (!cache) restoredCache.set(sp, (cache = new Map()));
  const known = cache.get(entry.id);
  if (known !== undefined) return known;
  const content = await sp.contentAt(entry.pad, entry.section, entry.version);
  let found: number | null = null;
  let compared = 0;
  for (let v = entry.version - 2; v >= Math.max(1, entry.version - RESTORE_SEARCH_VERSIONS) && compared < RESTORE_SEARCH_CHARS; v--) {
    const older = await sp.contentAt(entry.pad, entry.section, v);
    if (older === content) {
      found = v;
      break;
    }
    compared += older.length;
  }
  cache.set(entry.id, found);
  return found;
}

const detailId = (entry: HistoryEntry): string => `sp-version-${encodeURIComponent(entry.id).replace(/%/g, '_')}`;

interface EntryDetailProps {
  readonly entry: HistoryEntry;
  readonly allowRevert: boolean;
  readonly user: string;
  readonly onRevert: ((result: WriteResult) => void) | undefined;
}

interface Loaded {
  readonly patch: StructuredPatch;
  readonly content: string;
}

function EntryDetail({ entry, allowRevert, user, onRevert }: EntryDetailProps): ReactNode {
  const sp = useScratchpad();
  const compute = useCompute();
  const current = useSection(entry.pad, entry.section);
  const [reverting, setReverting] = useState(false);
  const [revertError, setRevertError] = useState<string | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  useEffect(() => setDone(undefined), [current?.version]);
  // The stored patch has no context lines; the diff between the two versions shows the change where it happened.
  // Under a provider with `compute` it is worked out off the page's thread.
  const loaded = useAsyncValue<Loaded | undefined>(JSON.stringify([instanceKey(sp), entry.id]), entry.id, undefined, async () => {
    if (compute) return versionDiffWith(sp, compute, entry.pad, entry.section, entry.version);
    const [diff, content] = await Promise.all([sp.diff(entry.pad, entry.section, entry.version - 1, entry.version), sp.contentAt(entry.pad, entry.section, entry.version)]);
    return { patch: diff.patch, content };
  });
  const patch = loaded.data?.patch ?? entry.patch;
  const isCurrent = current !== undefined && current.version === entry.version;
  const sameAsCurrent = !isCurrent && current !== undefined && loaded.data !== undefined && loaded.data.content === current.content;
  const deletedNow = current === undefined;
  const target = entry.op === 'delete' ? entry.version - 1 : entry.version;
  const canRevert = allowRevert && !isCurrent && !sameAsCurrent && loaded.data !== undefined && (entry.op !== 'delete' || (deletedNow && target >= 1));

  async function revert(): Promise<void> {
    setReverting(true);
    setRevertError(undefined);
    try {
      const result = await sp.revert(entry.pad, entry.section, target, { agent: user });
      setDone(`Restored as version ${result.version}.`);
      onRevert?.(result);
    } catch (error) {
      setRevertError(isScratchpadError(error) || error instanceof Error ? error.message : String(error));
    } finally {
      setReverting(false);
    }
  }

  return (
    <section className="sp-history-detail" id={detailId(entry)} aria-label={`Version ${entry.version} of ${entry.pad} / ${entry.section}`}>
      <h3 className="sp-history-detail-title">
        <span>
          {entry.pad} / {entry.section} · v{entry.version}
        </span>
        <RelativeTime timestamp={entry.timestamp} />
      </h3>
      <DiffView patch={patch} />
      {allowRevert ? (
        <div className="sp-history-actions">
          {isCurrent ? <span className="sp-muted">This is the current version.</span> : null}
          {sameAsCurrent ? <span className="sp-muted">Same content as the current version (v{current?.version}).</span> : null}
          {canRevert ? (
            <button type="button" className="sp-button" disabled={reverting} onClick={() => void revert()}>
              {entry.op === 'delete' ? 'Undo this delete' : deletedNow ? `Bring back version ${entry.version}` : `Restore version ${entry.version}`}
            </button>
          ) : null}
          {done ? (
            <span className="sp-muted" role="status">
              {done}
            </span>
          ) : null}
          {revertError ? <span className="sp-error" role="alert">{revertError}</span> : null}
        </div>
      ) : null}
    </section>
  );
}
