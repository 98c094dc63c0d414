// A config schema is written so that its static type is the *resolved*
// config: every defaulted property is required. What a user writes may leave
// all of those out, so the schema we validate input against and publish drops
// a property from `required` wherever it carries a default (Ajv then fills it).
import type { TSchema } from '@sinclair/typebox';

type JsonObject = { [key: string]: unknown };

export function inputSchema<T extends TSchema>(schema: T): T {
  return relax(schema) as T;
}

function relax(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(relax);
  if (node === null || typeof node !== 'object') return node;
  const source = node as JsonObject;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(source)) out[key] = relax(value);
  const properties = source.properties as JsonObject | undefined;
  if (Array.isArray(source.required) && properties) {
    const required = source.required.filter((name: string) => {
      const property = properties[name] as JsonObject | undefined;
      return !(property && 'default' in property);
    });
    if (required.length > 0) out.required = required;
    else delete out.required;
  }
  return out;
}
