import type { JsonSchema, ObjectSchema } from './schema.js';

/**
 * Checks arguments against a tool's input schema and returns every problem, phrased for a model to fix. It interprets
 * the same schema objects the definitions publish, so that `call` accepts exactly what a JSON Schema validator accepts
 * (the cross-argument rules live in the tools themselves).
 */
export function validate(schema: ObjectSchema, value: unknown): string[] {
  const problems: string[] = [];
  check(schema, value, '', problems);
  return problems;
}

function check(schema: JsonSchema, value: unknown, path: string, problems: string[]): void {
  const name = path === '' ? 'the arguments' : `'${path}'`;
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') {
        problems.push(`${name} must be a string, got ${describe(value)}`);
      } else if (schema.enum !== undefined && !schema.enum.includes(value)) {
        problems.push(`${name} must be ${oneOf(schema.enum)}, got ${JSON.stringify(value)}`);
      } else if (schema.minLength !== undefined && [...value].length < schema.minLength) {
        problems.push(schema.minLength === 1 ? `${name} must not be empty` : `${name} must have at least ${schema.minLength} characters`);
      }
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        problems.push(`${name} must be a whole number, got ${describe(value)}`);
      } else if (schema.minimum !== undefined && value < schema.minimum) {
        problems.push(`${name} must be at least ${schema.minimum}, got ${value}`);
      } else if (schema.maximum !== undefined && value > schema.maximum) {
        problems.push(`${name} must be at most ${schema.maximum}, got ${value}`);
      }
      return;
    case 'boolean':
      if (typeof value !== 'boolean') problems.push(`${name} must be true or false, got ${describe(value)}`);
      return;
    case 'object':
      checkObject(schema, value, path, name, problems);
      return;
  }
}

function checkObject(schema: ObjectSchema, value: unknown, path: string, name: string, problems: string[]): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${name} must be a JSON object, got ${describe(value)}`);
    return;
  }
  const known = Object.keys(schema.properties);
  // Own enumerable keys only: `__proto__` sent as JSON is an own key and must be reported, never followed.
  const given = Object.keys(value);
  for (const key of given) {
    if (!Object.hasOwn(schema.properties, key)) {
      const guess = closest(key, known);
      const hint = guess === undefined ? '' : ` (did you mean '${join(path, guess)}'?)`;
      const accepted = known.length === 0 ? 'it takes no arguments' : `accepted: ${known.join(', ')}`;
      problems.push(`unknown argument '${join(path, key)}'${hint}; ${accepted}`);
    }
  }
  for (const key of schema.required) {
    if (!Object.hasOwn(value, key)) problems.push(`missing required argument '${join(path, key)}'`);
  }
  const record = value as Record<string, unknown>;
  for (const key of known) {
    const child = schema.properties[key];
    if (child !== undefined && Object.hasOwn(value, key)) check(child, record[key], join(path, key), problems);
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function oneOf(values: readonly string[]): string {
  const quoted = values.map((v) => JSON.stringify(v));
  return quoted.length === 1 ? quoted[0]! : `one of ${quoted.join(', ')}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${truncate(JSON.stringify(value))}`;
  if (typeof value === 'number') return `${value}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value}`;
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}..."` : text;
}

/** A likely intended name for a misspelt one: models often send `section_name` or `sectoin`. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = candidate.includes(key) || key.includes(candidate) ? 1 : levenshtein(key, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}
