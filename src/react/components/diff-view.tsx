import { useMemo, type ReactNode } from 'react';
import type { StructuredPatch } from '../../core/types.js';
import { cx } from '../class-names.js';
import { diffRows, type DiffRowKind } from '../diff-rows.js';

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
  const rows = useMemo(() => diffRows(patch), [patch]);
  if (rows.length === 0) return <div className={cx('sp-diff sp-diff--empty', className)}>{emptyText}</div>;
  return (
    <div className={cx('sp-diff', className)} role="figure" aria-label="Diff">
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
