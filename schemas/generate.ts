// Writes schemas/json/*.schema.json from the TypeBox sources.
// With --check, writes nothing and exits 1 when a committed file has drifted.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import { inputSchema } from './input-schema.ts';
import { publishedSchemas } from './registry.ts';

const outDir = join(dirname(fileURLToPath(import.meta.url)), 'json');

/** The published JSON text of a schema: what a user's file is validated against. */
export function renderPublished(schema: TSchema): string {
  return renderSchema(inputSchema(schema));
}

function renderSchema(schema: object): string {
  // JSON.stringify drops TypeBox's symbol-keyed metadata, leaving plain JSON Schema.
  return `${JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...schema }, null, 2)}\n`;
}

if (import.meta.main) generate();

function generate(): void {
  const check = process.argv.includes('--check');
  let drifted = 0;
  mkdirSync(outDir, { recursive: true });
  for (const [name, schema] of Object.entries(publishedSchemas)) {
    const path = join(outDir, `${name}.schema.json`);
    const wanted = renderPublished(schema);
    let current: string | undefined;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === wanted) continue;
    if (check) {
      drifted++;
      console.error(
        `schemas/json/${name}.schema.json is out of date with schemas/. Run "npm run schemas" and commit the result.`,
      );
    } else {
      writeFileSync(path, wanted);
      console.error(`wrote schemas/json/${name}.schema.json`);
    }
  }
  if (drifted > 0) process.exitCode = 1;
}
