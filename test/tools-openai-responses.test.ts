/**
 * `toOpenAIResponsesTools`: the openai SDK sends the tools to the Responses API (scripted fetch, no network), a function
 * call with nulls for the optional arguments is dispatched as if they were left out, and every schema is in the
 * Structured Outputs strict subset.
 */
import OpenAI from 'openai';
import { toStrictJsonSchema } from 'openai/lib/transform';
import type { FunctionTool, ResponseFunctionToolCall } from 'openai/resources/responses/responses';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { createScratchpad, memoryStorage } from '../src/index.js';
import { createTools, toOpenAIResponsesTools, type OpenAIResponsesTool, type StrictJsonSchema, type StrictObjectSchema } from '../src/tools/index.js';

async function setup() {
  let clock = Date.UTC(2025, 0, 1);
  const sp = createScratchpad({ storage: memoryStorage(), now: () => (clock += 1000) });
  await sp.ready;
  return sp;
}

describe('toOpenAIResponsesTools', () => {
  it('is sent by the openai SDK in responses.create, and the model’s call with nulls is dispatched', async () => {
    const sp = await setup();
    const tools = createTools(sp, { agent: 'gpt' });
    const responsesTools = toOpenAIResponsesTools(tools.definitions);
    const requests: { url: string; body: Record<string, unknown> }[] = [];
    const call: ResponseFunctionToolCall = {
      type: 'function_call',
      id: 'fc_1',
      call_id: 'call_1',
      name: 'scratchpad_write',
      // Strict mode: every property is present, the optional ones as null.
      arguments: JSON.stringify({ pad: 'research', section: 'findings', content: 'CRLF lines are dropped.\n', mode: null, expected_version: null }),
      status: 'completed',
    };
    const scriptedFetch = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
      requests.push({ url: String(url), body: JSON.parse(String(init?.body)) as Record<string, unknown> });
      const response = {
        id: 'resp_1',
        object: 'response',
        created_at: 1,
        status: 'completed',
        model: 'gpt-5',
        output: [call],
        parallel_tool_calls: true,
        tool_choice: 'auto',
        tools: responsesTools,
      };
      return new Response(JSON.stringify(response), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const client = new OpenAI({ apiKey: 'test-key', fetch: scriptedFetch, maxRetries: 0 });
    const response = await client.responses.create({ model: 'gpt-5', input: 'Note what you found.', tools: responsesTools });

    expect(requests).toHaveLength(1);
    expect(requests[0]!.url).toBe('https://api.openai.com/v1/responses');
    expect(requests[0]!.body).toEqual({ model: 'gpt-5', input: 'Note what you found.', tools: JSON.parse(JSON.stringify(responsesTools)) });
    const sent = requests[0]!.body['tools'] as Record<string, unknown>[];
    expect(sent.map((t) => t['name'])).toEqual(tools.names);
    for (const tool of sent) {
      expect(Object.keys(tool).sort()).toEqual(['description', 'name', 'parameters', 'strict', 'type']);
      expect(tool['type']).toBe('function');
      expect(tool['strict']).toBe(true);
    }

    const calls = response.output.filter((item): item is ResponseFunctionToolCall => item.type === 'function_call');
    expect(calls).toHaveLength(1);
    const answer = await tools.call(calls[0]!.name, calls[0]!.arguments);
    expect(answer).toContain("Wrote to 'research.findings' (mode: replace)");
    expect(sp.get('research', 'findings')).toMatchObject({ content: 'CRLF lines are dropped.\n', version: 1, updatedBy: 'gpt' });

    // Nested optional objects may be null too; a null for a required argument is still an error.
    const edited = await tools.call('scratchpad_edit', {
      pad: 'research', section: 'findings', old_text: 'dropped', new_text: 'kept',
      insert_at_line: null, text: null, delete_lines: null, replace_lines: null, expected_version: 1,
    });
    expect(edited).toContain('Now at version 2 (was 1).');
    const refused = await tools.call('scratchpad_write', { pad: 'research', section: null, content: 'x', mode: null, expected_version: null });
    expect(refused).toMatch(/^Error: invalid arguments for scratchpad_write:\n- 'section' must be a string, got null/);
    expect(sp.get('research', 'findings')?.version).toBe(2);
    const read = await tools.call('scratchpad_read', { pad: 'research', section: 'findings', line_numbers: null, from: null, to: null });
    expect(read).toContain('CRLF lines are kept.');
  });

  it('gives strict schemas: every property required, optional ones nullable, no additional properties', async () => {
    const sp = await setup();
    const definitions = createTools(sp, { agent: 'a' }).definitions;
    const converted = toOpenAIResponsesTools(definitions);
    expect(converted).toHaveLength(9);
    const checkObject = (schema: StrictObjectSchema, optional: readonly string[], where: string) => {
      expect(schema.additionalProperties, where).toBe(false);
      expect([...schema.required].sort(), where).toEqual(Object.keys(schema.properties).sort());
      for (const [name, child] of Object.entries(schema.properties)) {
        const nullable = Array.isArray(child.type) && child.type[1] === 'null';
        expect(nullable, `${where}.${name} nullable`).toBe(optional.includes(name));
        if ('enum' in child && child.enum !== undefined) expect(child.enum.includes(null), `${where}.${name} enum`).toBe(nullable);
        expect(Object.keys(child).filter((k) => k === 'minLength' || k === 'default'), `${where}.${name}`).toEqual([]);
        if (child.type === 'object' || (Array.isArray(child.type) && child.type[0] === 'object')) {
          checkNested(child as StrictObjectSchema, `${where}.${name}`);
        }
      }
    };
    const checkNested = (schema: StrictObjectSchema, where: string) => checkObject(schema, [], where);
    for (const [i, tool] of converted.entries()) {
      const original = definitions[i]!.inputSchema;
      const optional = Object.keys(original.properties).filter((k) => !original.required.includes(k));
      checkObject(tool.parameters, optional, tool.name);
      expect(tool.description).toBe(definitions[i]!.description);
      // The openai SDK's own strict transform has nothing left to change (and throws on what strict mode refuses).
      expect(toStrictJsonSchema(structuredClone(tool.parameters) as Record<string, unknown>), tool.name).toEqual(tool.parameters);
    }
    // The edit tool's line ranges are nested objects: nullable as a whole, strict inside.
    const edit = converted.find((t) => t.name === 'scratchpad_edit')!.parameters.properties['delete_lines'] as StrictObjectSchema;
    expect(edit.type).toEqual(['object', 'null']);
    expect(edit.required).toEqual(['from', 'to']);
    // The definitions themselves are untouched (they are frozen and shared with the other converters).
    expect(definitions[0]!.inputSchema.required).not.toEqual(Object.keys(definitions[0]!.inputSchema.properties));
  });

  it('is typed against the openai SDK’s FunctionTool without depending on it', () => {
    expectTypeOf<OpenAIResponsesTool>().toExtend<FunctionTool>();
    expectTypeOf<OpenAIResponsesTool[]>().toExtend<OpenAI.Responses.ResponseCreateParams['tools']>();
    expectTypeOf<StrictJsonSchema>().not.toBeAny();
  });
});
