// An agent loop over the scratchpad tools, with a scripted model instead of an LLM: the model's replies are fixtures,
// so the example runs offline and prints the same transcript every time.
//
//   node --import tsx examples/agent-loop.ts
//
// In your project, import from 'scratchpad-store/tools' and 'scratchpad-store/testing' instead of ../src.
import { pathToFileURL } from 'node:url';
import { assertHistory, createTestScratchpad } from '../src/testing/index.js';
import { createTools, type ToolDefinition, type Tools } from '../src/tools/index.js';

/** What a chat model sees and says, reduced to what the loop needs. */
type Message =
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls: ToolCall[] }
  | { role: 'tool'; toolCallId: string; content: string; isError: boolean };
type ToolCall = { id: string; name: string; arguments: string };
type Reply = { content: string; toolCalls: ToolCall[] };

interface Model {
  reply(messages: readonly Message[], tools: readonly ToolDefinition[]): Promise<Reply>;
}

/** A model that plays back its replies, one per turn. A real model would read `messages` and choose. */
function scriptedModel(turns: Array<{ say?: string; call?: Array<[name: string, args: Record<string, unknown>]> }>): Model {
  let turn = 0;
  let nextId = 1;
  return {
    async reply() {
      const next = turns[turn++];
      if (next === undefined) throw new Error('the script has run out of turns');
      const toolCalls = (next.call ?? []).map(([name, args]) => ({ id: `call_${nextId++}`, name, arguments: JSON.stringify(args) }));
      return { content: next.say ?? '', toolCalls };
    },
  };
}

/**
 * The loop every tool-using agent runs: ask the model, run the tools it calls, hand back their answers, and stop when
 * it answers without calling a tool. Tool errors go back to the model as text, so it can correct itself.
 */
export async function runAgent(model: Model, tools: Tools, task: string, log: (line: string) => void, maxTurns = 10): Promise<string> {
  const messages: Message[] = [{ role: 'user', content: task }];
  for (let turn = 0; turn < maxTurns; turn++) {
    const reply = await model.reply(messages, tools.definitions);
    messages.push({ role: 'assistant', ...reply });
    if (reply.toolCalls.length === 0) return reply.content;
    for (const call of reply.toolCalls) {
      const { text, isError } = await tools.run(call.name, call.arguments);
      log(`  -> ${call.name} ${call.arguments}`);
      log(`  <- ${isError ? '[error] ' : ''}${shorten(text)}`);
      messages.push({ role: 'tool', toolCallId: call.id, content: text, isError });
    }
  }
  throw new Error(`no final answer after ${maxTurns} turns`);
}

/** The first lines of an answer, enough to follow the transcript. */
function shorten(text: string, lines = 14): string {
  const all = text.split('\n');
  const shown = all.slice(0, lines).join('\n     ');
  return all.length > lines ? `${shown}\n     ... (${all.length - lines} more lines)` : shown;
}

export async function main(log: (line: string) => void = console.log): Promise<void> {
  const sp = createTestScratchpad();

  const researcher = scriptedModel([
    { call: [['scratchpad_list', {}]] },
    { call: [['scratchpad_write', { pad: 'research', section: 'findings', content: '- CSV parsers drop CRLF lines\n' }]] },
    { call: [['scratchpad_write', { pad: 'research', section: 'findings', content: '- quoted newlines break naive splitting', mode: 'append' }]] },
    { say: 'Two findings are in research.findings.' },
  ]);
  // One tools instance per agent for its whole life: it remembers what the agent has seen, for scratchpad_changes.
  const researcherTools = createTools(sp, { agent: 'researcher' });
  log('researcher:');
  log(`  = ${await runAgent(researcher, researcherTools, 'Collect findings about CSV parsing.', log)}`);

  const reviewer = scriptedModel([
    { call: [['scratchpad_read', { pad: 'research', section: 'findings' }]] },
    // A mistake the model makes: it edits against a version that is not the current one, and is told so.
    { call: [['scratchpad_edit', { pad: 'research', section: 'findings', old_text: 'drop CRLF', new_text: 'drop CRLF-terminated', expected_version: 1 }]] },
    { call: [['scratchpad_edit', { pad: 'research', section: 'findings', old_text: 'drop CRLF', new_text: 'drop CRLF-terminated', expected_version: 2 }]] },
    { say: 'Reviewed: one wording fix.' },
  ]);
  log('reviewer (may not rewrite or delete, only edit and append):');
  const reviewerTools = createTools(sp, { agent: 'reviewer', allow: { modes: ['append'], edit: true } });
  log(`  = ${await runAgent(reviewer, reviewerTools, 'Review research.findings.', log)}`);

  sp.clock.tick(3_600_000);
  await sp.write('research', 'findings', '- (added by a person) check BOM handling', { mode: 'append', agent: 'alice' });
  const catchUp = scriptedModel([
    { call: [['scratchpad_changes', {}]] },
    { say: 'The reviewer reworded my first finding, and alice added a point about BOMs.' },
  ]);
  log('researcher, an hour later:');
  log(`  = ${await runAgent(catchUp, researcherTools, 'What changed since you last looked?', log)}`);

  // The test an agent developer would write about this run.
  await assertHistory(sp)
    .inOrder([
      { agent: 'researcher', op: 'write_replace' },
      { agent: 'researcher', op: 'write_append' },
      { agent: 'reviewer', op: 'edit', contains: 'CRLF-terminated' },
      { agent: 'alice' },
    ])
    .noWritesBy('reviewer', { pad: 'other' })
    .contentOf('research', 'findings')
    .equals('- CSV parsers drop CRLF-terminated lines\n- quoted newlines break naive splitting\n- (added by a person) check BOM handling');
  log('history assertions passed');
  log('');
  log(sp.render('research'));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
