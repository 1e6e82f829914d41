import { useMemo, type ReactNode } from 'react';
import type { StructuredPatch } from '../../core/types.js';
import { cx } from '../class-names.js';
import { readableDiffRows, type DiffRow, type DiffRowKind } from '../diff-rows.js';
import { VirtualList } from './virtual-list.js';

export interface DiffViewProps {
  /** A jsdiff structured patch: a history entry's `patch`, or `sp.diff(...).patch`. */
  readonly patch: StructuredPatch;
  /** Shown for a patch without hunks. Default 'No changes'. */
  readonly emptyText?: ReactNode;
  readonly className?: string;
}

const SIGNS: Readonly<Record<DiffRowKind, string>> = { hunk: '', context: ' ', add: '+', remove: '−', note: '' };

/**
 * A patch as a unified diff, one row per line with its old and new line numbers. Every line is a text node: content
 * written by a model or a person is never parsed as HTML.
 */
export function DiffView({ patch, emptyText = 'No changes', className }: DiffViewProps): ReactNode {
  const rows = useMemo(() => readableDiffRows(patch), [patch]);
  if (rows.length === 0) return <div className={cx('sp-diff sp-diff--empty', className)}>{emptyText}</div>;
  // A diff of thousands of lines (a 1 MB section's first version) renders only the rows in view.
  if (rows.length > LARGE) {
    return (
      <VirtualList
        className={cx('sp-diff sp-diff--virtual', className)}
        count={rows.length}
        rowHeight={ROW_HEIGHT}
        maxHeight={480}
        role="table"
        innerRole="rowgroup"
        label={`Diff, ${rows.length} lines`}
        renderRow={(i) => <VirtualDiffRow key={i} row={rows[i]!} index={i} />}
      />
    );
  }
  return (
    <div className={cx('sp-diff', className)} role="figure" aria-label="Diff" tabIndex={0}>
      <table className="sp-diff-table">
        <tbody>
          {rows.map((row, i) => (
            <tr key={i} className={`sp-diff-row sp-diff-row--${row.kind}`}>
              {row.kind === 'hunk' || row.kind === 'note' ? (
                <td className="sp-diff-meta" colSpan={4}>
                  {row.text}
                </td>
              ) : (
                <>
                  <td className="sp-diff-num" aria-label={row.oldLine === undefined ? undefined : `old line ${row.oldLine}`}>
                    {row.oldLine ?? ''}
                  </td>
                  <td className="sp-diff-num" aria-label={row.newLine === undefined ? undefined : `new line ${row.newLine}`}>
                    {row.newLine ?? ''}
                  </td>
                  <td className="sp-diff-sign" aria-hidden="true">
                    {SIGNS[row.kind]}
                  </td>
                  <td className="sp-diff-text">{row.text === '' ? '\u200b' : row.text}</td>
                </>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const LARGE = 400;
const ROW_HEIGHT = 20;

function VirtualDiffRow({ row, index }: { row: DiffRow; index: number }): ReactNode {
  return (
    <div className={`sp-diff-row sp-diff-row--${row.kind} sp-vrow`} role="row" aria-rowindex={index + 1}>
      {row.kind === 'hunk' || row.kind === 'note' ? (
        <span className="sp-diff-meta" role="cell">
          {row.text}
        </span>
      ) : (
        <>
          <span className="sp-diff-num" role="cell">{row.oldLine ?? ''}</span>
          <span className="sp-diff-num" role="cell">{row.newLine ?? ''}</span>
          <span className="sp-diff-sign" role="cell" aria-hidden="true">
            {SIGNS[row.kind]}
          </span>
          <span className="sp-diff-text" role="cell">{row.text}</span>
        </>
      )}
    </div>
  );
}
