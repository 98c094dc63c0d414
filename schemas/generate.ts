// Writes schemas/json/*.schema.json from the TypeBox sources.
// With --check, writes nothing and exits 1 when a committed file has drifted.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import { agentErrors } from '../agent/errors.ts';
import { collectorErrors } from '../collector/errors.ts';
import { AgentConfigSchema } from './agent-config.ts';
import { CollectorConfigSchema } from './collector-config.ts';
import { configReference } from './config-reference.ts';
import { inputSchema } from './input-schema.ts';
import { publishedSchemas } from './registry.ts';

const schemasDir = dirname(fileURLToPath(import.meta.url));
const outDir = join(schemasDir, 'json');
const docsDir = join(schemasDir, '..', 'docs');

/** docs/configuration.md: every setting with its variable, type and default. */
export function renderConfigDocs(): string {
  const agent = configReference(
    'Configuration',
    'Generated from `schemas/` by `npm run schemas`; do not edit by hand. `shiplog agent --config FILE` reads a YAML ' +
      'file of these settings (unknown keys are errors that name the key and the file); every setting can also be set ' +
      'through its environment variable, which wins over the file. Lists are comma-separated in variables. Sizes take ' +
      'a byte count or units such as `512MiB`; durations take milliseconds or units such as `30s`, `24h`. With no ' +
      'configuration the agent runs on the defaults below. `SHIPLOG_DATA_DIR` defaults to `/var/lib/shiplog` as root, ' +
      'else `~/.local/share/shiplog`; `DOCKER_HOST` is honoured as Docker tools do.\n\n## Agent (`shiplog`)',
    inputSchema(AgentConfigSchema),
    'SHIPLOG_',
  );
  const collector = configReference(
    'Collector (`shiplog-collector`)',
    'The vendor-side portal, configured the same way with `SHIPLOG_COLLECTOR_` variables.',
    inputSchema(CollectorConfigSchema),
    'SHIPLOG_COLLECTOR_',
  ).replace(/^# /, '## ');
  return `${agent}\n${collector}`;
}

/** docs/errors.md: every stable error code, from the two registries. */
export function renderErrorDocs(): string {
  const row = (spec: { code: string; message: string; permanent: boolean }, status?: number) =>
    `| \`${spec.code}\` | ${status ?? ''} | ${spec.permanent ? 'no' : 'yes'} | ${spec.message.replace(/\|/g, '\\|')} |`;
  return [
    '# Error codes',
    '',
    'Generated from `agent/errors.ts` and `collector/errors.ts` by `npm run schemas`; do not edit by hand. Codes are',
    'stable: scripts and alerts may match on them. `{name}` stands for the detail filled in at run time.',
    '',
    '## shiplog (agent, dump, redact)',
    '',
    '| code | HTTP | retry helps | message |',
    '|---|---|---|---|',
    ...Object.values(agentErrors).map((spec) => row(spec)),
    '',
    '## shiplog-collector',
    '',
    '| code | HTTP | retry helps | message |',
    '|---|---|---|---|',
    ...Object.values(collectorErrors).map((spec) => row(spec, spec.status)),
    '',
  ].join('\n');
}

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
  mkdirSync(outDir, { recursive: true });
  const outputs: Array<[string, string]> = [
    ...Object.entries(publishedSchemas).map(([name, schema]): [string, string] => [
      join(outDir, `${name}.schema.json`),
      renderPublished(schema),
    ]),
    [join(docsDir, 'configuration.md'), renderConfigDocs()],
    [join(docsDir, 'errors.md'), renderErrorDocs()],
  ];
  let drifted = 0;
  for (const [path, wanted] of outputs) {
    let current: string | undefined;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === wanted) continue;
    const name = relative(join(schemasDir, '..'), path);
    if (check) {
      drifted++;
      console.error(`${name} is out of date with its source. Run "npm run schemas" and commit the result.`);
    } else {
      writeFileSync(path, wanted);
      console.error(`wrote ${name}`);
    }
  }
  if (drifted > 0) process.exitCode = 1;
}
