import type { ReactNode } from 'react';
import { useAgentColor } from '../agent-colors.js';
import { useAgentLabel } from '../agent-labels.js';
import { agentStyle } from '../format.js';

export interface AgentBadgeProps {
  readonly agent: string;
  /** A dot alone, with the name in its tooltip. */
  readonly compact?: boolean;
}

/** An agent's name on a tint of its colour. */
export function AgentBadge({ agent, compact = false }: AgentBadgeProps): ReactNode {
  const color = useAgentColor()(agent);
  const label = useAgentLabel()(agent);
  return (
    <span
      className={compact ? 'sp-agent sp-agent--compact' : 'sp-agent'}
      style={agentStyle(color)}
      title={compact || label !== agent ? agent : undefined}
      data-agent={agent}
      {...(compact ? { role: 'img', 'aria-label': label } : {})}
    >
      <span className="sp-agent-dot" aria-hidden="true" />
      {compact ? null : <span className="sp-agent-name">{label}</span>}
    </span>
  );
}
