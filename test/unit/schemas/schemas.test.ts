import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../../agent/config.ts';
import { renderPublished } from '../../../schemas/generate.ts';
import { publishedSchemas } from '../../../schemas/registry.ts';

const jsonDir = join(import.meta.dirname, '../../../schemas/json');
const published = (name: string) => JSON.parse(readFileSync(join(jsonDir, `${name}.schema.json`), 'utf8'));

function standaloneValidator(name: string) {
  // Validates with the published JSON alone, as a third-party tool would.
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  return ajv.compile(published(name));
}

describe('published schemas', () => {
  it.each(Object.keys(publishedSchemas))('schemas/json/%s.schema.json matches its TypeBox source', (name) => {
    const schema = publishedSchemas[name];
    if (!schema) throw new Error(`no schema ${name}`);
    expect(readFileSync(join(jsonDir, `${name}.schema.json`), 'utf8')).toBe(renderPublished(schema));
  });

  it('accepts the embedded default agent config and an empty file', () => {
    const validate = standaloneValidator('agent-config');
    expect(validate({})).toBe(true);
    expect(validate(JSON.parse(JSON.stringify(loadAgentConfig(undefined, {}))))).toBe(true);
  });

  it('accepts a docker log event with ECS field names and rejects a misspelt field', () => {
    const validate = standaloneValidator('log-event');
    const event = {
      '@timestamp': '2026-11-25T03:12:45.123456789Z',
      message: 'payment service started',
      event: { dataset: 'docker.container_logs' },
      log: { stream: 'stdout' },
      host: { name: 'app-01' },
      container: { id: 'c0ffee', name: 'payments', image: { name: 'vendor/payments', tag: '4.2.1' } },
      service: { name: 'payments' },
      data_stream: { type: 'logs', dataset: 'shiplog', namespace: 'default' },
      shiplog: { id: 'abc', origin: { source: 'docker', key: 'c0ffee', position: '1764040365.123456789', seq: 0 } },
    };
    expect(validate(event), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...event, container_name: 'payments' })).toBe(false);
  });

  it('rejects a bundle manifest of another format version', () => {
    const validate = standaloneValidator('bundle-manifest');
    expect(validate({ format_version: 2 })).toBe(false);
  });
});
