// Renders the configuration reference (docs/configuration.md) from the
// schemas, so the documented settings, defaults and variable names can never
// drift from what the agent accepts.
import type { TSchema } from '@sinclair/typebox';

type Json = Record<string, unknown>;

interface Row {
  path: string;
  env: string;
  type: string;
  defaultValue: string;
  description: string;
}

function typeOf(schema: Json): string {
  if ('const' in schema) return JSON.stringify(schema.const);
  const branches = schema.anyOf as Json[] | undefined;
  if (branches) {
    if (branches.every((b) => 'const' in b)) return branches.map((b) => `\`${String(b.const)}\``).join(' \\| ');
    return branches.map(typeOf).join(' or ');
  }
  if (schema.type === 'array') return `list of ${typeOf((schema.items as Json) ?? {})}`;
  return String(schema.type ?? 'any');
}

function rows(schema: Json, prefix: string, path: string[] = []): Row[] {
  const properties = schema.properties as Record<string, Json> | undefined;
  if (!properties) {
    return [
      {
        path: path.join('.'),
        env: `${prefix}${path.join('_').toUpperCase()}`,
        type: typeOf(schema),
        defaultValue: 'default' in schema ? JSON.stringify(schema.default) : '',
        description: String(schema.description ?? '') + (schema.secret ? ' Secret: never printed.' : ''),
      },
    ];
  }
  return Object.entries(properties).flatMap(([key, child]) => rows(child, prefix, [...path, key]));
}

export function configReference(title: string, intro: string, schema: TSchema, prefix: string): string {
  const table = rows(schema as unknown as Json, prefix).map(
    (r) =>
      `| \`${r.path}\` | \`${r.env}\` | ${r.type} | ${r.defaultValue ? `\`${r.defaultValue}\`` : ''} | ${r.description.replace(/\|/g, '\\|')} |`,
  );
  return [
    `# ${title}`,
    '',
    intro,
    '',
    '| setting | environment variable | type | default | meaning |',
    '|---|---|---|---|---|',
    ...table,
    '',
  ].join('\n');
}
