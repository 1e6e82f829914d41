import Ajv from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createScratchpad, memoryStorage } from '../src/index.js';
import { createTools, toAiSdkTools, toAnthropicTools, toMcpTools, toOpenAITools, type JsonSchema, type ToolPermissions } from '../src/tools/index.js';

const ALL_TOOLS = [
  'scratchpad_read',
  'scratchpad_write',
  'scratchpad_edit',
  'scratchpad_list',
  'scratchpad_changes',
  'scratchpad_history',
  'scratchpad_diff',
  'scratchpad_revert',
  'scratchpad_delete',
];

async function tools(allow?: ToolPermissions) {
  const sp = createScratchpad({ storage: memoryStorage() });
  await sp.ready;
  await sp.write('notes', 'todo', 'one\ntwo\n', { agent: 'seed' });
  return { sp, tools: createTools(sp, { agent: 'model', ...(allow === undefined ? {} : { allow }) }) };
}

describe('definitions', () => {
  it('are the nine tools, each a JSON Schema object that forbids unknown arguments', async () => {
    const { tools: t } = await tools();
    expect(t.names).toEqual(ALL_TOOLS);
    expect(t.definitions.map((d) => d.name)).toEqual(ALL_TOOLS);
    for (const { inputSchema, description } of t.definitions) {
      expect(description.length).toBeGreaterThan(150);
      expect(inputSchema.type).toBe('object');
      expect(inputSchema.additionalProperties).toBe(false);
      for (const key of inputSchema.required) expect(Object.keys(inputSchema.properties)).toContain(key);
      // LLM SDKs reject combinators at the top of a tool's input schema.
      expect(Object.keys(inputSchema).filter((k) => ['oneOf', 'anyOf', 'allOf', 'not', 'if'].includes(k))).toEqual([]);
    }
  });

  it('tell the model the rules it needs', async () => {
    const { tools: t } = await tools();
    const describe = (name: string) => t.definitions.find((d) => d.name === name)!.description;
    expect(describe('scratchpad_write')).toMatch(/one newline unless the section is empty or already ends with a newline/);
    expect(describe('scratchpad_write')).toMatch(/expected_version/);
    expect(describe('scratchpad_edit')).toMatch(/1-based/);
    expect(describe('scratchpad_edit')).toMatch(/exactly once/);
    expect(describe('scratchpad_read')).toMatch(/line_numbers/);
    expect(describe('scratchpad_changes')).toMatch(/other agents/);
    const expected = t.definitions.find((d) => d.name === 'scratchpad_write')!.inputSchema.properties['expected_version']!;
    expect(expected.description).toMatch(/overwriting others' work/);
  });

  it('are frozen, so that no caller can loosen what call() validates', async () => {
    const { tools: t } = await tools();
    const write = t.definitions.find((d) => d.name === 'scratchpad_write')!;
    expect(() => {
      (write.inputSchema.required as string[]).pop();
    }).toThrow(TypeError);
    expect(() => {
      (write.inputSchema.properties['mode'] as { enum: string[] }).enum.push('overwrite');
    }).toThrow(TypeError);
  });
});

describe('JSON Schema validity (ajv, strict mode)', () => {
  it('compiles every input schema, for every permission shape', async () => {
    for (const allow of [undefined, { readOnly: true }, { modes: ['append' as const], pads: ['notes'] }, { pads: (p: string) => p !== 'x' }]) {
      const { tools: t } = await tools(allow);
      const ajv = new Ajv({ strict: true, allErrors: true });
      for (const { name, inputSchema } of t.definitions) {
        expect(ajv.validateSchema(inputSchema), `${name}: ${ajv.errorsText(ajv.errors)}`).toBe(true);
        expect(() => ajv.compile(inputSchema)).not.toThrow();
      }
    }
  });

  const SAMPLES: ReadonlyArray<readonly [string, unknown, boolean]> = [
    ['scratchpad_write', { pad: 'notes', section: 's', content: 'x' }, true],
    ['scratchpad_write', { pad: 'notes', section: 's', content: 'x', mode: 'append', expected_version: 0 }, true],
    ['scratchpad_write', { pad: 'notes', section: 's' }, false],
    ['scratchpad_write', { pad: 'notes', section: 's', content: 'x', mode: 'upsert' }, false],
    ['scratchpad_write', { pad: 'notes', section: 's', content: 'x', expected_version: 2.5 }, false],
    ['scratchpad_write', { pad: 'notes', section: '', content: 'x' }, false],
    ['scratchpad_write', { pad: 'notes', section: 's', content: 'x', force: true }, false],
    ['scratchpad_edit', { pad: 'notes', section: 'todo', delete_lines: { from: 1, to: 1 } }, true],
    ['scratchpad_edit', { pad: 'notes', section: 'todo', delete_lines: { from: 1, to: '2' } }, false],
    ['scratchpad_edit', { pad: 'notes', section: 'todo', replace_lines: { from: 0, to: 1 }, text: 'x' }, false],
    ['scratchpad_read', { pad: 'notes', section: 'todo', line_numbers: true, from: 1, to: 2 }, true],
    ['scratchpad_read', { pad: 'notes', line_numbers: 1 }, false],
    ['scratchpad_list', {}, true],
    ['scratchpad_list', { pad: 7 }, false],
    ['scratchpad_history', { pad: 'notes', agent: 'seed', limit: 200 }, true],
    ['scratchpad_history', { limit: 201 }, false],
    ['scratchpad_diff', { pad: 'notes', section: 'todo', from_version: 0, to_version: 1 }, true],
    ['scratchpad_diff', { pad: 'notes', section: 'todo', from_version: -1 }, false],
    ['scratchpad_revert', { pad: 'notes', section: 'todo', to_version: 1 }, true],
    ['scratchpad_revert', { pad: 'notes', section: 'todo' }, false],
    ['scratchpad_delete', { pad: 'notes', section: 'todo' }, true],
    ['scratchpad_delete', { section: 'todo' }, false],
    ['scratchpad_changes', {}, true],
    ['scratchpad_changes', { all: true }, false],
    ['scratchpad_changes', null, false],
  ];

  it.each(SAMPLES)('%s %j: ajv and call() agree (valid: %s)', async (name, args, valid) => {
    const { tools: t } = await tools();
    const schema = t.definitions.find((d) => d.name === name)!.inputSchema;
    expect(new Ajv({ strict: true }).validate(schema, args)).toBe(valid);
    expect(rejectsArguments(await t.call(name, args))).toBe(!valid);
  });

  it('agrees with call() on random arguments for every tool', async () => {
    await agreeOnRandomArguments(undefined);
  });

  it('agrees with call() on random arguments for an append-only agent limited to some pads', async () => {
    await agreeOnRandomArguments({ modes: ['append'], pads: ['notes', 'plan'] });
  });
});

describe('arguments as JSON text', () => {
  it('are decoded, then validated exactly like the object they encode', async () => {
    const { tools: t } = await tools();
    const ajv = new Ajv({ strict: true });
    const schema = t.definitions.find((d) => d.name === 'scratchpad_write')!.inputSchema;
    for (const args of [{ pad: 'notes', section: 's', content: 'x' }, { pad: 'notes', section: 's' }, { pad: 'notes', section: 's', content: 'x', extra: 1 }]) {
      expect(rejectsArguments(await t.call('scratchpad_write', JSON.stringify(args)))).toBe(!ajv.validate(schema, args));
    }
    expect(await t.call('scratchpad_write', '{"pad": "notes",')).toMatch(/^Error: the arguments are not valid JSON/);
  });
});

/** Whether call() refused the arguments themselves (as opposed to running and failing on the scratchpad's state). */
function rejectsArguments(text: string): boolean {
  return /^Error: (invalid arguments for|the arguments must be|agent '[^']*' may not use pad|mode '[^']*' is not allowed)/.test(text);
}

async function agreeOnRandomArguments(allow: ToolPermissions | undefined): Promise<void> {
  const { tools: t } = await tools(allow);
  const ajv = new Ajv({ strict: true, allErrors: true });
  for (const { name, inputSchema } of t.definitions) {
    const check = ajv.compile(inputSchema);
    const seen = { valid: 0, invalid: 0 };
    await fc.assert(
      fc.asyncProperty(argumentsFor(inputSchema), async (args) => {
        // call() takes null for an optional argument as "not given" (strict function calling sends one).
        const valid = check(withoutNullOptionals(inputSchema, args));
        seen[valid ? 'valid' : 'invalid']++;
        expect(rejectsArguments(await t.call(name, args)), `${name} ${JSON.stringify(args)}`).toBe(!valid);
      }),
      { numRuns: 200, seed: 20250101 },
    );
    // Both outcomes must occur, or the property says nothing.
    expect(seen.valid, `${name}: valid samples`).toBeGreaterThan(5);
    expect(seen.invalid, `${name}: invalid samples`).toBeGreaterThan(5);
  }
}

function withoutNullOptionals(schema: JsonSchema, value: unknown): unknown {
  if (schema.type !== 'object' || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const property = Object.hasOwn(schema.properties, key) ? schema.properties[key] : undefined;
    if (child === null && property !== undefined && !schema.required.includes(key)) continue;
    out[key] = property === undefined ? child : withoutNullOptionals(property, child);
  }
  return out;
}

const junk = fc.oneof(
  fc.string({ maxLength: 4 }),
  fc.integer({ min: -3, max: 300 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.constant({}),
);

/** Arguments near the schema: mostly valid values, some near misses (out of range, not in the enum, empty), some junk. */
function argumentsFor(schema: JsonSchema): fc.Arbitrary<unknown> {
  const mix = (valid: fc.Arbitrary<unknown>, nearMiss: fc.Arbitrary<unknown>) =>
    fc.oneof({ arbitrary: valid, weight: 10 }, { arbitrary: nearMiss, weight: 1 }, { arbitrary: junk, weight: 1 });
  switch (schema.type) {
    case 'string':
      return schema.enum
        ? mix(fc.constantFrom(...schema.enum), fc.constantFrom('replace', 'other', ''))
        : mix(fc.string({ minLength: schema.minLength ?? 0, maxLength: 6 }), fc.constant(''));
    case 'integer': {
      const min = schema.minimum ?? -5;
      const max = schema.maximum ?? min + 10;
      return mix(fc.integer({ min, max }), fc.constantFrom(min - 1, max + 1, min + 0.5));
    }
    case 'boolean':
      return mix(fc.boolean(), fc.constantFrom('true', 0));
    case 'object': {
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, child] of Object.entries(schema.properties)) model[key] = argumentsFor(child);
      // Required keys are mostly present, so that enough samples are valid for the property to mean something.
      const record = fc.oneof(
        { arbitrary: fc.record(model, { requiredKeys: schema.required }), weight: 4 },
        { arbitrary: fc.record(model, { requiredKeys: [] }), weight: 1 },
      );
      const extra = fc.oneof(
        { arbitrary: fc.constant(null), weight: 6 },
        { arbitrary: fc.constantFrom('extra', 'sectoin', 'constructor', 'toString'), weight: 1 },
      );
      // No strings in place of the whole object: call() reads a string as the arguments' JSON text (tested apart).
      return fc.oneof(
        { arbitrary: fc.tuple(record, extra).map(([value, key]) => (key === null ? value : { ...value, [key]: 1 })), weight: 9 },
        { arbitrary: junk.filter((value) => typeof value !== 'string'), weight: 1 },
      );
    }
  }
}

describe('conversions keep the schemas identical', () => {
  it('OpenAI function tools', async () => {
    const { tools: t } = await tools();
    const openai = toOpenAITools(t.definitions);
    expect(openai).toHaveLength(9);
    openai.forEach((tool, i) => {
      const d = t.definitions[i]!;
      expect(tool).toEqual({ type: 'function', function: { name: d.name, description: d.description, parameters: d.inputSchema } });
      expect(tool.function.parameters).toBe(d.inputSchema);
    });
  });

  it('Anthropic tools', async () => {
    const { tools: t } = await tools();
    const anthropic = toAnthropicTools(t.definitions);
    anthropic.forEach((tool, i) => {
      const d = t.definitions[i]!;
      expect(tool).toEqual({ name: d.name, description: d.description, input_schema: d.inputSchema });
      expect(tool.input_schema).toBe(d.inputSchema);
    });
    // Serialised the way each SDK sends them, the schemas are byte for byte the same.
    const openai = toOpenAITools(t.definitions);
    expect(JSON.stringify(anthropic.map((a) => a.input_schema))).toBe(JSON.stringify(openai.map((o) => o.function.parameters)));
  });

  it('MCP tools', async () => {
    const { tools: t } = await tools();
    const mcp = toMcpTools(t.definitions);
    mcp.forEach((tool, i) => expect(tool).toEqual({ name: t.definitions[i]!.name, description: t.definitions[i]!.description, inputSchema: t.definitions[i]!.inputSchema }));
  });

  it('Vercel AI SDK tools, keyed by name, with execute when call is given', async () => {
    const { sp, tools: t } = await tools({ readOnly: true });
    const plain = toAiSdkTools(t.definitions);
    expect(Object.keys(plain)).toEqual([...t.names]);
    expect(plain['scratchpad_read']).toEqual({ description: t.definitions[0]!.description, inputSchema: t.definitions[0]!.inputSchema });
    const runnable = toAiSdkTools(t.definitions, t.call);
    expect(await runnable['scratchpad_read']!.execute!({ pad: 'notes', section: 'todo' })).toContain(sp.read('notes', 'todo'));
  });
});
