import type { ReactNode } from 'react';
import { useAgentColor } from '../agent-colors.js';
import { cx } from '../class-names.js';
import { agentStyle, formatFullTime, formatTime } from '../format.js';
import { useBlame } from '../use-blame.js';
import { AgentBadge } from './agent-badge.js';

export interface BlameViewProps {
  readonly pad: string;
  readonly section: string;
  readonly emptyText?: ReactNode;
  readonly className?: string;
}

/**
 * Each line of a section next to the version and agent that last wrote it. Consecutive lines from the same version
 * form one block, labelled once.
 */
export function BlameView({ pad, section, emptyText = 'Nothing to blame: the section is empty.', className }: BlameViewProps): ReactNode {
  const { lines, loading, error } = useBlame(pad, section);
  const colorOf = useAgentColor();
  if (error) return <p className="sp-error" role="alert">{error.message}</p>;
  if (lines.length === 0) return loading ? null : <p className={cx('sp-empty', className)}>{emptyText}</p>;
  return (
    <div className={cx('sp-blame', className)} aria-busy={loading}>
      <table className="sp-blame-table" aria-label={`Blame of ${pad} / ${section}`}>
        <tbody>
          {lines.map((line, i) => {
            const first = i === 0 || lines[i - 1]!.version !== line.version;
            return (
              <tr key={i} className={cx('sp-blame-row', first && 'sp-blame-row--first')} style={agentStyle(colorOf(line.agent))}>
                <td className="sp-blame-who" title={`${line.agent}, version ${line.version}, ${formatTime(line.timestamp)}`}>
                  {first ? (
                    <>
                      <AgentBadge agent={line.agent} />
                      <time className="sp-version" dateTime={formatFullTime(line.timestamp)}>
                        v{line.version}
                      </time>
                    </>
                  ) : null}
                </td>
                <td className="sp-blame-num">{i + 1}</td>
                <td className="sp-blame-text">{line.text === '' ? '\u200b' : line.text}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
