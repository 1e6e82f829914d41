/**
 * The small subset of JSON Schema the tool inputs use. Kept deliberately flat: the LLM SDKs reject `oneOf`/`anyOf`
 * at the top of a tool's input schema, so rules between arguments (such as "exactly one edit operation") are stated in
 * the descriptions and checked by `call`, not expressed in the schema.
 *
 * Arrays are typed mutable (`string[]`) on purpose: the SDKs' own types (Anthropic's `required?: string[]`, MCP's)
 * do not accept readonly arrays, and definitions must pass to them without casts. At runtime they are frozen.
 */
export type StringSchema = {
  type: 'string';
  description?: string;
  enum?: string[];
  minLength?: number;
  default?: string;
};

export type IntegerSchema = {
  type: 'integer';
  description?: string;
  minimum?: number;
  maximum?: number;
  default?: number;
};

export type BooleanSchema = {
  type: 'boolean';
  description?: string;
  default?: boolean;
};

export type ObjectSchema = {
  type: 'object';
  description?: string;
  properties: { [name: string]: JsonSchema };
  required: string[];
  additionalProperties: false;
};

export type JsonSchema = StringSchema | IntegerSchema | BooleanSchema | ObjectSchema;

export function objectSchema(properties: { [name: string]: JsonSchema }, required: string[] = [], description?: string): ObjectSchema {
  return {
    type: 'object',
    ...(description === undefined ? {} : { description }),
    properties,
    required,
    additionalProperties: false,
  };
}

/** Makes a definition immutable, so that no caller can loosen the schema that `call` validates against. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
