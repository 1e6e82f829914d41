// The scratchpad tools in an OpenAI Chat Completions exchange. No SDK and no network: the example builds the request
// bodies that `openai.chat.completions.create(...)` would send, and plays a response of the shape the API returns.
//
//   node --import tsx examples/openai.ts
//
// In your project: import { createTools, toOpenAITools } from 'scratchpad-store/tools'.
import { pathToFileURL } from 'node:url';
import { createScratchpad } from '../src/index.js';
import { createTools, toOpenAITools, type OpenAITool } from '../src/tools/index.js';

// The parts of the Chat Completions types this exchange uses (the SDK's ChatCompletionMessageParam and friends).
type ToolCall = { id: string; type: 'function'; function: { name: string; arguments: string } };
type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };
type ChatRequest = { model: string; messages: ChatMessage[]; tools: OpenAITool[] };
type ChatResponse = { choices: Array<{ message: Extract<ChatMessage, { role: 'assistant' }>; finish_reason: 'tool_calls' | 'stop' }> };

export async function main(log: (line: string) => void = console.log): Promise<void> {
  const sp = createScratchpad({ sessionId: 'openai-example' });
  const tools = createTools(sp, { agent: 'gpt-researcher' });

  const request: ChatRequest = {
    model: 'gpt-4.1',
    messages: [
      { role: 'system', content: 'Keep your notes in the scratchpad.' },
      { role: 'user', content: 'Note that the API limit is 60 requests per minute.' },
    ],
    tools: toOpenAITools(tools.definitions),
  };
  log(`request: ${request.tools.length} tools, first: ${JSON.stringify(request.tools[0]?.function.name)}`);
  log(`  parameters of scratchpad_write: ${Object.keys(request.tools.find((t) => t.function.name === 'scratchpad_write')!.function.parameters.properties).join(', ')}`);

  // What the API answers when the model decides to call a tool: arguments arrive as JSON text.
  const response: ChatResponse = {
    choices: [
      {
        finish_reason: 'tool_calls',
        message: {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'scratchpad_write', arguments: '{"pad":"notes","section":"limits","content":"API: 60 requests/minute"}' } },
            { id: 'call_2', type: 'function', function: { name: 'scratchpad_read', arguments: '{"pad":"notes"' } }, // cut off: invalid JSON
          ],
        },
      },
    ],
  };

  const { message } = response.choices[0]!;
  const results: ChatMessage[] = [];
  for (const call of message.tool_calls ?? []) {
    // `call` takes the JSON text as it is, and answers bad JSON with an `Error: …` the model can act on.
    const content = await tools.call(call.function.name, call.function.arguments);
    results.push({ role: 'tool', tool_call_id: call.id, content });
    log(`${call.id} ${call.function.name}: ${content.split('\n')[0]}`);
  }

  // The next request carries the assistant's tool calls and one `tool` message per call.
  const followUp: ChatRequest = { ...request, messages: [...request.messages, message, ...results] };
  log(`follow-up request: ${followUp.messages.map((m) => m.role).join(', ')}`);
  log(`scratchpad now: ${JSON.stringify(sp.read('notes', 'limits'))}, written by ${sp.get('notes', 'limits')?.updatedBy}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
