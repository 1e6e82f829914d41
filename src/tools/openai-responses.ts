/**
 * OpenAI Responses API function tools. The Responses API takes flat tools (`{ type: 'function', name, parameters,
 * strict }`) and, with `strict: true`, only schemas in the Structured Outputs subset: every property listed in
 * `required`, an optional one made nullable instead, `additionalProperties: false` on every object. `call` takes the
 * nulls such a model sends for the arguments it leaves out as if they were not there.
 */
import type { JsonSchema, ObjectSchema } from './schema.js';
import type { ToolDefinition } from './types.js';

type Nullable<T extends string> = T | [T, 'null'];

export type StrictJsonSchema =
  | { type: Nullable<'string'>; description?: string; enum?: (string | null)[] }
  | { type: Nullable<'integer'>; description?: string; minimum?: number; maximum?: number }
  | { type: Nullable<'boolean'>; description?: string }
  | StrictObjectSchema;

export type StrictObjectSchema = {
  type: Nullable<'object'>;
  description?: string;
  properties: { [name: string]: StrictJsonSchema };
  required: string[];
  additionalProperties: false;
};

/** One entry of `responses.create({ tools })`; assignable to the openai SDK's `FunctionTool`. */
export type OpenAIResponsesTool = {
  type: 'function';
  name: string;
  description: string;
  parameters: StrictObjectSchema;
  strict: true;
};

export function toOpenAIResponsesTools(definitions: readonly ToolDefinition[]): OpenAIResponsesTool[] {
  return definitions.map((d) => ({
    type: 'function',
    name: d.name,
    description: d.description,
    parameters: toStrictSchema(d.inputSchema),
    strict: true,
  }));
}

/**
 * A tool's input schema in the strict subset. `minLength` and `default` are left out (strict mode does not take
 * them); `call` still checks the original schema, so an empty name still gets an error that says what to fix.
 */
export function toStrictSchema(schema: ObjectSchema): StrictObjectSchema {
  return strictObject(schema, false);
}

function strictObject(schema: ObjectSchema, nullable: boolean): StrictObjectSchema {
  const properties: { [name: string]: StrictJsonSchema } = {};
  for (const [name, child] of Object.entries(schema.properties)) {
    properties[name] = strict(child, !schema.required.includes(name));
  }
  return {
    type: nullable ? ['object', 'null'] : 'object',
    ...(schema.description === undefined ? {} : { description: schema.description }),
    properties,
    required: Object.keys(schema.properties),
    additionalProperties: false,
  };
}

function strict(schema: JsonSchema, nullable: boolean): StrictJsonSchema {
  const description = schema.description === undefined ? {} : { description: schema.description };
  switch (schema.type) {
    case 'string':
      return {
        type: nullable ? ['string', 'null'] : 'string',
        ...description,
        // An enum lists every value the property may take: null too, when it may be left out.
        ...(schema.enum === undefined ? {} : { enum: nullable ? [...schema.enum, null] : [...schema.enum] }),
      };
    case 'integer':
      return {
        type: nullable ? ['integer', 'null'] : 'integer',
        ...description,
        ...(schema.minimum === undefined ? {} : { minimum: schema.minimum }),
        ...(schema.maximum === undefined ? {} : { maximum: schema.maximum }),
      };
    case 'boolean':
      return { type: nullable ? ['boolean', 'null'] : 'boolean', ...description };
    case 'object':
      return strictObject(schema, nullable);
  }
}
