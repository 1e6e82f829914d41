import type { ToolName } from './lib.js';

export type AgentName = 'planner' | 'researcher' | 'writer' | 'reviewer';

export const AGENTS: readonly AgentName[] = ['planner', 'researcher', 'writer', 'reviewer'];

export const AGENT_COLORS: ReadonlyMap<string, string> = new Map([
  ['planner', '#6d4aff'],
  ['researcher', '#0a8f63'],
  ['writer', '#d9641e'],
  ['reviewer', '#c22f6a'],
  // The person at the keyboard, under the default name; other names get a colour from the palette.
  ['you', '#1c7ed6'],
]);

/** What an agent's earlier calls returned, by the name a step remembered them under. */
export interface Memory {
  recall(name: string): string;
}

/** One tool call, as a model would make it after reading the results of the calls before it. */
export interface Step {
  readonly agent: AgentName;
  /** What the agent is up to, for the page. */
  readonly intent: string;
  readonly tool: ToolName;
  readonly args: (memory: Memory) => Record<string, unknown>;
  /** Keep the call's result for later steps under this name. */
  readonly remember?: string;
}

const OUTLINE = `# Brief: cooler streets for Riverside
1. Why our streets overheat
2. What works: trees, cool roofs, water
3. Costs and who pays
4. Recommendation`;

const TASKS = `- [ ] researcher: evidence for sections 1-3
- [ ] writer: draft the brief from the findings
- [ ] reviewer: check the draft against the findings`;

const DRAFT = `# Cooler streets for Riverside

Summer nights downtown stay warm: asphalt and brick soak up heat all day and give it back after dark.
Shade is the cheapest fix we have.

## What works
Street trees cool by shade and by evaporating water; shaded pavement stays far cooler than sunlit pavement.
Cool roofs reflect sunlight and keep top floors cooler.

## Recommendation
Plant 400 street trees on the ten hottest blocks over three years, and require cool roofs on new flat roofs.`;

/** The number of the first line of a `line_numbers: true` read that contains `text`, as a model would find it. */
export function lineOf(numbered: string, text: string): number {
  for (const row of numbered.split('\n')) {
    const match = /^\s*(\d+)\t(.*)$/.exec(row);
    if (match && match[2]!.includes(text)) return Number(match[1]);
  }
  throw new Error(`no line containing '${text}' in the section`);
}

/** The version a history listing names for the newest change by `agent`. */
export function newestVersionBy(history: string, agent: string): number {
  const match = new RegExp(`v(\\d+): \\w+ by ${agent} `).exec(history);
  if (!match) throw new Error(`no change by ${agent} in the history`);
  return Number(match[1]);
}

export const SCRIPT: readonly Step[] = [
  {
    agent: 'planner',
    intent: 'writes the outline of the brief',
    tool: 'scratchpad_write',
    args: () => ({ pad: 'plan', section: 'outline', content: OUTLINE, mode: 'replace' }),
  },
  {
    agent: 'planner',
    intent: 'hands out the tasks',
    tool: 'scratchpad_write',
    args: () => ({ pad: 'plan', section: 'tasks', content: TASKS }),
  },
  {
    agent: 'researcher',
    intent: 'reads the outline',
    tool: 'scratchpad_read',
    args: () => ({ pad: 'plan', section: 'outline' }),
  },
  {
    agent: 'researcher',
    intent: 'appends a finding on why streets overheat',
    tool: 'scratchpad_write',
    args: () => ({
      pad: 'research',
      section: 'findings',
      mode: 'append',
      content: '- Dark, dense surfaces store heat by day and release it at night: city centres stay several degrees warmer than their surroundings after dark.',
    }),
  },
  {
    agent: 'researcher',
    intent: 'appends a finding on trees',
    tool: 'scratchpad_write',
    args: () => ({
      pad: 'research',
      section: 'findings',
      mode: 'append',
      content: '- Street trees cool through shade and evapotranspiration; shaded pavement can be 10-20 °C cooler than pavement in full sun.',
    }),
  },
  {
    agent: 'researcher',
    intent: 'appends a finding on roofs and costs',
    tool: 'scratchpad_write',
    args: () => ({
      pad: 'research',
      section: 'findings',
      mode: 'append',
      content: '- Cool (reflective) roofs cost little more than dark ones when a roof is replaced anyway; trees cost more up front but add value every summer they grow.',
    }),
  },
  {
    agent: 'researcher',
    intent: 'lists where the findings come from',
    tool: 'scratchpad_write',
    args: () => ({
      pad: 'research',
      section: 'sources',
      content: '- Environmental agency overview of heat islands\n- Public-health guidance on heat and health\n- Riverside tree-canopy survey',
    }),
  },
  {
    agent: 'writer',
    intent: 'catches up on what the others wrote',
    tool: 'scratchpad_changes',
    args: () => ({}),
  },
  {
    agent: 'writer',
    intent: 'writes the first draft',
    tool: 'scratchpad_write',
    args: () => ({ pad: 'output', section: 'draft', content: DRAFT, expected_version: 0 }),
  },
  {
    agent: 'writer',
    intent: 'reads the draft with line numbers',
    tool: 'scratchpad_read',
    args: () => ({ pad: 'output', section: 'draft', line_numbers: true }),
    remember: 'numbered draft',
  },
  {
    agent: 'writer',
    intent: 'sharpens the opening line',
    tool: 'scratchpad_edit',
    args: (memory) => {
      const line = lineOf(memory.recall('numbered draft'), 'Summer nights downtown');
      return {
        pad: 'output',
        section: 'draft',
        replace_lines: { from: line, to: line },
        text: 'Downtown Riverside stays warm long after sunset: asphalt and brick soak up heat all day and release it at night.',
      };
    },
  },
  {
    agent: 'writer',
    intent: 'adds a paragraph on costs',
    tool: 'scratchpad_edit',
    args: (memory) => ({
      pad: 'output',
      section: 'draft',
      insert_at_line: lineOf(memory.recall('numbered draft'), '## Recommendation'),
      text: '## Costs\nCool roofs add little when a roof is due anyway. Trees cost more up front and pay back in every summer they grow.\n\n',
    }),
  },
  {
    agent: 'writer',
    intent: 'reads the draft again before trimming it',
    tool: 'scratchpad_read',
    args: () => ({ pad: 'output', section: 'draft', line_numbers: true }),
    remember: 'numbered draft',
  },
  {
    agent: 'writer',
    intent: 'trims for length, and cuts the recommendation by mistake',
    tool: 'scratchpad_edit',
    args: (memory) => {
      const line = lineOf(memory.recall('numbered draft'), 'Plant 400 street trees');
      return { pad: 'output', section: 'draft', replace_lines: { from: line, to: line }, text: 'TODO: recommendation (cut for length)' };
    },
  },
  {
    agent: 'reviewer',
    intent: "looks at the draft's history",
    tool: 'scratchpad_history',
    args: () => ({ pad: 'output', section: 'draft', limit: 10 }),
    remember: 'draft history',
  },
  {
    agent: 'reviewer',
    intent: "inspects the writer's last change",
    tool: 'scratchpad_diff',
    args: (memory) => {
      const bad = newestVersionBy(memory.recall('draft history'), 'writer');
      return { pad: 'output', section: 'draft', from_version: bad - 1, to_version: bad };
    },
  },
  {
    agent: 'reviewer',
    intent: 'reverts the change that dropped the recommendation',
    tool: 'scratchpad_revert',
    args: (memory) => {
      const bad = newestVersionBy(memory.recall('draft history'), 'writer');
      return { pad: 'output', section: 'draft', to_version: bad - 1, expected_version: bad };
    },
  },
  {
    agent: 'reviewer',
    intent: 'notes what was checked',
    tool: 'scratchpad_write',
    args: () => ({
      pad: 'review',
      section: 'notes',
      mode: 'append',
      content: '- Draft matches the findings on heat, trees and roofs.\n- Restored the recommendation that a trim removed.\n- Ready to send.',
    }),
  },
  {
    agent: 'planner',
    intent: 'ticks off the tasks',
    tool: 'scratchpad_edit',
    args: () => ({
      pad: 'plan',
      section: 'tasks',
      replace_lines: { from: 1, to: 3 },
      text: TASKS.replaceAll('- [ ]', '- [x]'),
    }),
  },
];
