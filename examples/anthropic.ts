// The scratchpad tools in an Anthropic Messages API exchange. No SDK and no network: the example builds the request
// bodies that `anthropic.messages.create(...)` would send, and plays a response of the shape the API returns.
//
//   node --import tsx examples/anthropic.ts
//
// In your project: import { createTools, toAnthropicTools } from 'scratchpad-store/tools'.
import { pathToFileURL } from 'node:url';
import { createScratchpad } from '../src/index.js';
import { createTools, toAnthropicTools, type AnthropicTool } from '../src/tools/index.js';

// The parts of the Messages API types this exchange uses.
type ToolUse = { type: 'tool_use'; id: string; name: string; input: unknown };
type ToolResultBlock = { type: 'tool_result'; tool_use_id: string; content: string; is_error?: boolean };
type Message =
  | { role: 'user'; content: string | ToolResultBlock[] }
  | { role: 'assistant'; content: Array<{ type: 'text'; text: string } | ToolUse> };
type MessagesRequest = { model: string; max_tokens: number; system?: string; messages: Message[]; tools: AnthropicTool[] };
type MessagesResponse = { role: 'assistant'; content: Extract<Message, { role: 'assistant' }>['content']; stop_reason: 'tool_use' | 'end_turn' };

export async function main(log: (line: string) => void = console.log): Promise<void> {
  const sp = createScratchpad({ sessionId: 'anthropic-example' });
  await sp.write('plan', 'steps', '1. collect sources\n2. summarize\n', { agent: 'planner' });
  // This agent may append only: its scratchpad_write offers no 'replace', and it gets no edit, revert or delete tool.
  const tools = createTools(sp, { agent: 'claude-worker', allow: { modes: ['append'] } });

  const request: MessagesRequest = {
    model: 'claude-sonnet-4-5',
    max_tokens: 1024,
    system: 'Work through the plan in the scratchpad and record progress.',
    messages: [{ role: 'user', content: 'Do step 1.' }],
    tools: toAnthropicTools(tools.definitions),
  };
  log(`request: tools ${request.tools.map((t) => t.name).join(', ')}`);

  // Claude answers with text and tool_use blocks; `input` is already an object.
  const response: MessagesResponse = {
    role: 'assistant',
    stop_reason: 'tool_use',
    content: [
      { type: 'text', text: 'Reading the plan, then noting progress.' },
      { type: 'tool_use', id: 'toolu_1', name: 'scratchpad_read', input: { pad: 'plan', section: 'steps', line_numbers: true } },
      { type: 'tool_use', id: 'toolu_2', name: 'scratchpad_write', input: { pad: 'plan', section: 'steps', content: 'done', mode: 'replace' } },
      { type: 'tool_use', id: 'toolu_3', name: 'scratchpad_write', input: { pad: 'plan', section: 'progress', content: '- step 1: 3 sources found', mode: 'append' } },
    ],
  };

  // Every tool_use gets a tool_result in the next user message; `run` keeps the error flag for `is_error`.
  const results: ToolResultBlock[] = [];
  for (const block of response.content) {
    if (block.type !== 'tool_use') continue;
    const { text, isError } = await tools.run(block.name, block.input);
    results.push({ type: 'tool_result', tool_use_id: block.id, content: text, ...(isError ? { is_error: true } : {}) });
    log(`${block.id} ${block.name}${isError ? ' (is_error)' : ''}: ${text.split('\n')[0]}`);
  }

  const followUp: MessagesRequest = {
    ...request,
    messages: [...request.messages, { role: 'assistant', content: response.content }, { role: 'user', content: results }],
  };
  log(`follow-up request: ${followUp.messages.length} messages, the last with ${results.length} tool_result blocks`);
  log(`plan.steps unchanged: ${JSON.stringify(sp.read('plan', 'steps'))}`);
  log(`plan.progress: ${JSON.stringify(sp.read('plan', 'progress'))}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
