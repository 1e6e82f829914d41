// The scratchpad tools with the Vercel AI SDK (`ai`). Not installed here and no network: a stand-in for the SDK's
// `jsonSchema` helper and a scripted model step show what `generateText({ tools })` does with the tools.
//
//   node --import tsx examples/vercel-ai.ts
//
// With the SDK, in your project:
//
//   import { generateText, jsonSchema, stepCountIs, tool } from 'ai';
//   import { createTools, toAiSdkTools } from 'scratchpad-store/tools';
//
//   const scratchpad = createTools(sp, { agent: 'assistant' });
//   const tools = Object.fromEntries(
//     Object.entries(toAiSdkTools(scratchpad.definitions, scratchpad.call)).map(([name, t]) => [
//       name,
//       tool({ description: t.description, inputSchema: jsonSchema(t.inputSchema), execute: t.execute }),
//     ]),
//   );
//   await generateText({ model, tools, stopWhen: stepCountIs(5), prompt: '…' });
import { pathToFileURL } from 'node:url';
import { createScratchpad } from '../src/index.js';
import { createTools, toAiSdkTools, type ObjectSchema } from '../src/tools/index.js';

/** Stand-in for `jsonSchema` from 'ai': marks a plain JSON Schema as a tool's input schema. */
function jsonSchema<T>(schema: ObjectSchema): { readonly jsonSchema: ObjectSchema; readonly _type?: T } {
  return { jsonSchema: schema };
}

/** A model step as the SDK reports it: the tool calls it made, with parsed inputs. */
type ToolCall = { toolCallId: string; toolName: string; input: unknown };

export async function main(log: (line: string) => void = console.log): Promise<void> {
  const sp = createScratchpad({ sessionId: 'vercel-ai-example' });
  const scratchpad = createTools(sp, { agent: 'assistant' });

  // Passing `call` gives every tool an `execute`, so the SDK runs the tools itself between model steps.
  const aiTools = toAiSdkTools(scratchpad.definitions, scratchpad.call);
  const tools = Object.fromEntries(
    Object.entries(aiTools).map(([name, t]) => [name, { description: t.description, inputSchema: jsonSchema(t.inputSchema), execute: t.execute }]),
  );
  log(`tools: ${Object.keys(tools).join(', ')}`);
  log(`scratchpad_edit input schema requires: ${tools['scratchpad_edit']!.inputSchema.jsonSchema.required.join(', ')}`);

  // One step of a scripted model, and what generateText does with it: execute each call, collect the outputs.
  const step: ToolCall[] = [
    { toolCallId: 't1', toolName: 'scratchpad_write', input: { pad: 'todo', section: 'today', content: '- write the report\n- review PR 12\n' } },
    { toolCallId: 't2', toolName: 'scratchpad_edit', input: { pad: 'todo', section: 'today', delete_lines: { from: 2, to: 2 } } },
    { toolCallId: 't3', toolName: 'scratchpad_read', input: { pad: 'todo', section: 'today', line_numbers: true } },
  ];
  for (const call of step) {
    const output = await tools[call.toolName]!.execute!(call.input);
    log(`${call.toolCallId} ${call.toolName}: ${output.split('\n')[0]}`);
  }
  log(`todo.today: ${JSON.stringify(sp.read('todo', 'today'))}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
