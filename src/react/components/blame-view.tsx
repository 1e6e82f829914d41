import type { ReactNode } from 'react';
import type { BlameLine } from '../../core/types.js';
import { useAgentColor } from '../agent-colors.js';
import { useAgentLabel } from '../agent-labels.js';
import { cx } from '../class-names.js';
import { agentStyle, formatExactTime } from '../format.js';
import { useBlame } from '../use-blame.js';
import { AgentBadge } from './agent-badge.js';
import { VirtualList } from './virtual-list.js';

export interface BlameViewProps {
  readonly pad: string;
  readonly section: string;
  readonly emptyText?: ReactNode;
  readonly className?: string;
  /** The tallest the view gets before it scrolls (px). Default 520. */
  readonly maxHeight?: number;
}

const ROW_HEIGHT = 24;

/**
 * Each line of a section next to the version and agent that last wrote it. Consecutive lines from the same version
 * form one block, labelled once. Only the lines in view are rendered, so a 20,000-line section scrolls as freely as a
 * short one.
 */
export function BlameView({ pad, section, emptyText = 'Nothing to blame: the section is empty.', className, maxHeight = 520 }: BlameViewProps): ReactNode {
  const { lines, loading, error } = useBlame(pad, section);
  const colorOf = useAgentColor();
  const labelOf = useAgentLabel();
  if (error) return <p className="sp-error" role="alert">{error.message}</p>;
  if (lines.length === 0) {
    return loading ? (
      <p className="sp-empty" role="status">
        Working out who wrote each line…
      </p>
    ) : (
      <p className={cx('sp-empty', className)}>{emptyText}</p>
    );
  }
  const width = String(lines.length).length;
  return (
    <div className={cx('sp-blame', className)} aria-busy={loading}>
      <VirtualList
        className="sp-blame-scroll"
        count={lines.length}
        rowHeight={ROW_HEIGHT}
        maxHeight={maxHeight}
        role="table"
        innerRole="rowgroup"
        label={`Blame of ${pad} / ${section}, ${lines.length} lines`}
        renderRow={(i) => <BlameRow key={i} lines={lines} index={i} color={colorOf(lines[i]!.agent)} label={labelOf(lines[i]!.agent)} width={width} />}
      />
    </div>
  );
}

function BlameRow({ lines, index, color, label, width }: { lines: readonly BlameLine[]; index: number; color: string; label: string; width: number }): ReactNode {
  const line = lines[index]!;
  const first = index === 0 || lines[index - 1]!.version !== line.version;
  return (
    <div className={cx('sp-blame-row', 'sp-vrow', first && 'sp-blame-row--first')} role="row" aria-rowindex={index + 1} style={agentStyle(color)}>
      <span className="sp-blame-who" role="cell" title={`${label}, version ${line.version}, ${formatExactTime(line.timestamp)}`}>
        {first ? (
          <>
            <AgentBadge agent={line.agent} />
            <span className="sp-version">v{line.version}</span>
          </>
        ) : null}
      </span>
      <span className="sp-blame-num" role="cell" style={{ width: `${width + 1.5}ch` }}>
        {index + 1}
      </span>
      <span className="sp-blame-text" role="cell">
        {line.text === '' ? '\u200b' : line.text}
      </span>
    </div>
  );
}
