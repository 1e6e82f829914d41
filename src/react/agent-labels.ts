import { createContext, useContext } from 'react';

/**
 * How an agent's name reads on this page: a person editing from two devices writes as "ann · Firefox on Mac" and
 * "ann · Chrome on Linux", and the app can show the one of this browser as "ann on this browser". Undefined keeps
 * the name as it is.
 */
export type AgentLabel = (agent: string) => string | undefined;

export const AgentLabelContext = createContext<AgentLabel | undefined>(undefined);

/** The label of an agent on this page (the name itself unless the provider's `agentLabel` says otherwise). */
export function useAgentLabel(): (agent: string) => string {
  const label = useContext(AgentLabelContext);
  return (agent) => label?.(agent) ?? agent;
}
