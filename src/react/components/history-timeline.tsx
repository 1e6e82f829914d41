import { useState, type ReactNode } from 'react';
import { isScratchpadError } from '../../core/errors.js';
import type { HistoryEntry, StructuredPatch, WriteResult } from '../../core/types.js';
import { cx } from '../class-names.js';
import { instanceKey, useScratchpad } from '../context.js';
import { formatFullTime, formatTime, opLabel } from '../format.js';
import { useAsyncValue } from '../use-async.js';
import { useHistory } from '../use-history.js';
import { useSection } from '../use-section.js';
import { AgentBadge } from './agent-badge.js';
import { DiffView } from './diff-view.js';

export interface HistoryTimelineProps {
  /** Only this pad's history; with `section`, only that section's. */
  readonly pad?: string;
  readonly section?: string;
  /** Only changes by this agent. */
  readonly agent?: string;
  /** Newest entries shown. Default 100. */
  readonly limit?: number;
  /** Who a revert made here is attributed to. Default 'user'. */
  readonly user?: string;
  /** Offer "Restore this version" on a selected entry. Default true. */
  readonly allowRevert?: boolean;
  readonly onRevert?: (result: WriteResult) => void;
  readonly emptyText?: ReactNode;
  readonly className?: string;
}

/**
 * A section's, a pad's or the whole scratchpad's changes, newest first: who, when, what and how much. Selecting an
 * entry shows its diff and lets a person restore the section to that version (a new version; nothing is lost).
 */
export function HistoryTimeline(props: HistoryTimelineProps): ReactNode {
  const { pad, section, agent, limit = 100, emptyText = 'No changes yet.' } = props;
  const { entries, loading, error } = useHistory({ pad, section, agent, limit, order: 'desc' });
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const showNames = section === undefined;

  return (
    <div className={cx('sp-history', props.className)} aria-busy={loading}>
      {error ? <p className="sp-error" role="alert">{error.message}</p> : null}
      {entries.length === 0 && !loading && !error ? <p className="sp-empty">{emptyText}</p> : null}
      <ol className="sp-history-list" aria-label="History">
        {entries.map((entry) => {
          const open = entry.id === selected;
          return (
            <li key={entry.id} className={cx('sp-history-entry', open && 'sp-history-entry--open', entry.conflict && 'sp-history-entry--conflict')}>
              <button
                type="button"
                className="sp-history-summary"
                aria-expanded={open}
                onClick={() => setSelected(open ? undefined : entry.id)}
              >
                <AgentBadge agent={entry.agent} />
                <span className={`sp-op sp-op--${entry.op}`}>{opLabel(entry.op)}</span>
                {showNames ? (
                  <span className="sp-history-target">
                    {pad === undefined ? `${entry.pad} / ` : ''}
                    {entry.section}
                  </span>
                ) : null}
                <span className="sp-version">v{entry.version}</span>
                <span className="sp-stats">
                  <span className="sp-stats-add">+{entry.stats.added}</span>
                  <span className="sp-stats-remove">−{entry.stats.removed}</span>
                </span>
                <time className="sp-time" dateTime={formatFullTime(entry.timestamp)} title={formatFullTime(entry.timestamp)}>
                  {formatTime(entry.timestamp)}
                </time>
              </button>
              {open ? <EntryDetail entry={entry} allowRevert={props.allowRevert ?? true} user={props.user ?? 'user'} onRevert={props.onRevert} /> : null}
            </li>
          );
        })}
      </ol>
    </div>
  );
}

interface EntryDetailProps {
  readonly entry: HistoryEntry;
  readonly allowRevert: boolean;
  readonly user: string;
  readonly onRevert: ((result: WriteResult) => void) | undefined;
}

function EntryDetail({ entry, allowRevert, user, onRevert }: EntryDetailProps): ReactNode {
  const sp = useScratchpad();
  const current = useSection(entry.pad, entry.section);
  const [reverting, setReverting] = useState(false);
  const [revertError, setRevertError] = useState<string | undefined>(undefined);
  // The stored patch has no context lines; the diff between the two versions shows the change where it happened.
  const withContext = useAsyncValue<StructuredPatch | undefined>(JSON.stringify([instanceKey(sp), entry.id]), entry.id, undefined, () =>
    sp.diff(entry.pad, entry.section, entry.version - 1, entry.version).then((d) => d.patch),
  );
  const patch = withContext.data ?? entry.patch;
  const isCurrent = current !== undefined && current.version === entry.version;
  const canRevert = allowRevert && entry.op !== 'delete' && !isCurrent;

  async function revert(): Promise<void> {
    setReverting(true);
    setRevertError(undefined);
    try {
      const result = await sp.revert(entry.pad, entry.section, entry.version, { agent: user });
      onRevert?.(result);
    } catch (error) {
      setRevertError(isScratchpadError(error) || error instanceof Error ? error.message : String(error));
    } finally {
      setReverting(false);
    }
  }

  return (
    <div className="sp-history-detail">
      <DiffView patch={patch} />
      {allowRevert ? (
        <div className="sp-history-actions">
          {isCurrent ? <span className="sp-muted">This is the current version.</span> : null}
          {canRevert ? (
            <button type="button" className="sp-button" disabled={reverting} onClick={() => void revert()}>
              Restore version {entry.version}
            </button>
          ) : null}
          {revertError ? <span className="sp-error" role="alert">{revertError}</span> : null}
        </div>
      ) : null}
    </div>
  );
}
