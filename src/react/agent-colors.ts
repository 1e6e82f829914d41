import { createContext, useContext } from 'react';

/** Colours by agent name: a Map, or a plain record of own properties. */
export type AgentColors = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

/**
 * A palette readable on light and dark backgrounds, for agents without a colour of their own. Picked by a hash of
 * the name, so an agent keeps its colour across reloads and tabs.
 */
export const AGENT_PALETTE: readonly string[] = Object.freeze([
  '#7c5cff',
  '#0e9f6e',
  '#e0752d',
  '#d6336c',
  '#1c7ed6',
  '#a3722b',
  '#0c8599',
  '#9c36b5',
]);

export const AgentColorsContext = createContext<AgentColors | undefined>(undefined);

/** The colour of an agent: from `colors` when it names one, else from the palette. */
export function agentColor(agent: string, colors?: AgentColors): string {
  const own = colors === undefined ? undefined : colors instanceof Map ? colors.get(agent) : ownValue(colors as Readonly<Record<string, string>>, agent);
  if (own !== undefined) return own;
  let hash = 0;
  for (let i = 0; i < agent.length; i++) hash = (Math.imul(hash, 31) + agent.charCodeAt(i)) | 0;
  return AGENT_PALETTE[Math.abs(hash) % AGENT_PALETTE.length]!;
}

/** The colour function of the nearest provider's `agentColors`. */
export function useAgentColor(): (agent: string) => string {
  const colors = useContext(AgentColorsContext);
  return (agent) => agentColor(agent, colors);
}

// Agent names come from models and people: `__proto__` or `toString` must not pick up Object.prototype's members.
function ownValue(record: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}
