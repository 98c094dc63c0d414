// The pure choices of the Elasticsearch backend: which backend opens, what a
// cluster's modules decide, names, the control document and the cursor.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNodesInfo } from '../../../../../agent/sinks/elasticsearch/capabilities.ts';
import { loadCollectorConfig } from '../../../../../collector/config.ts';
import { featuresOf } from '../../../../../collector/index/elasticsearch/cluster.ts';
import { controlSource, parseControl, visibleGens } from '../../../../../collector/index/elasticsearch/control.ts';
import { decodeCursor, encodeCursor, fingerprint } from '../../../../../collector/index/elasticsearch/cursor.ts';
import { indexTemplate } from '../../../../../collector/index/elasticsearch/mapping.ts';
import {
  checkIndexPrefix,
  hitId,
  parseHitId,
  tenantIndex,
  tenantOfIndex,
} from '../../../../../collector/index/elasticsearch/naming.ts';
import { timeRange } from '../../../../../collector/index/elasticsearch/requests.ts';
import { chooseIndex } from '../../../../../collector/index/open.ts';
import { QueryError } from '../../../../../collector/index/types.ts';
import type { CollectorConfig } from '../../../../../schemas/collector-config.ts';
import { tempDir } from '../../../../helpers/temp.ts';

/** The configuration as the collector loads it: a YAML file (or none) and the environment. */
function configFrom(env: NodeJS.ProcessEnv, yaml?: string): CollectorConfig {
  const file = yaml === undefined ? undefined : join(tempDir('shiplog-choices-'), 'collector.yml');
  if (file && yaml !== undefined) writeFileSync(file, yaml);
  return loadCollectorConfig(file, env).config;
}

describe('chooseIndex', () => {
  it('opens SQLite unless the configuration or SHIPLOG_COLLECTOR_ELASTICSEARCH_URL names Elasticsearch', () => {
    expect(chooseIndex(configFrom({}))).toEqual({ backend: 'sqlite' });
    expect(chooseIndex(configFrom({ SHIPLOG_COLLECTOR_ELASTICSEARCH_URL: '' }))).toEqual({ backend: 'sqlite' });
  });

  it('lets the variable set the URL (comma-separated nodes) and switch the backend', () => {
    expect(chooseIndex(configFrom({ SHIPLOG_COLLECTOR_ELASTICSEARCH_URL: 'http://es:9200' }))).toEqual({
      backend: 'elasticsearch',
      settings: { url: 'http://es:9200', index_prefix: 'shiplog-bundles' },
    });
    expect(
      chooseIndex(configFrom({ SHIPLOG_COLLECTOR_ELASTICSEARCH_URL: 'https://a:9200, https://b:9200' })),
    ).toMatchObject({ settings: { url: ['https://a:9200', 'https://b:9200'] } });
  });

  it('keeps the other elasticsearch settings of the configuration, the variable winning for the URL', () => {
    const yaml = [
      'index:',
      '  backend: elasticsearch',
      '  elasticsearch:',
      '    url: http://from-file:9200',
      '    username: collector',
      '    password: s3cret',
      '    index_prefix: vendor',
      '',
    ].join('\n');
    expect(chooseIndex(configFrom({}, yaml))).toEqual({
      backend: 'elasticsearch',
      settings: { url: 'http://from-file:9200', username: 'collector', password: 's3cret', index_prefix: 'vendor' },
    });
    expect(chooseIndex(configFrom({ SHIPLOG_COLLECTOR_ELASTICSEARCH_URL: 'http://env:9200' }, yaml))).toMatchObject({
      settings: { url: 'http://env:9200', username: 'collector', index_prefix: 'vendor' },
    });
  });

  it('refuses backend elasticsearch without a URL, saying what to set', () => {
    expect(() => chooseIndex(configFrom({ SHIPLOG_COLLECTOR_INDEX_BACKEND: 'elasticsearch' }))).toThrow(
      /SHIPLOG_COLLECTOR_ELASTICSEARCH_URL/,
    );
  });
});

describe('what a cluster offers', () => {
  const nodes = (modules: string[]) =>
    parseNodesInfo({ nodes: { n: { version: '8.19.21', modules: modules.map((name) => ({ name })) } } });

  it('deletes by query where the reindex module is, and by scroll and bulk where it is not', () => {
    expect(featuresOf(nodes(['x-pack-core', 'transport-netty4'])).deleteByQuery).toBe(false);
    expect(featuresOf(nodes(['reindex', 'mapper-extras'])).deleteByQuery).toBe(true);
  });

  it('maps the message as match_only_text where the cluster has it, unindexed text where not; the terms always the same way', () => {
    const lean = indexTemplate('p', featuresOf(nodes(['x-pack-core'])).mappings) as {
      template: { mappings: { properties: Record<string, unknown> } };
    };
    const full = indexTemplate('p', featuresOf(nodes(['mapper-extras'])).mappings) as typeof lean;
    expect(lean.template.mappings.properties.message).toEqual({ type: 'text', index: false });
    expect(full.template.mappings.properties.message).toEqual({ type: 'match_only_text' });
    expect(lean.template.mappings.properties.shiplog_index).toEqual(full.template.mappings.properties.shiplog_index);
    expect(JSON.stringify(lean)).not.toMatch(/match_only_text|constant_keyword|wildcard|scaled_float/);
  });
});

describe('names', () => {
  it('names one index per tenant and checks the tenant first', () => {
    expect(tenantIndex('shiplog-bundles', 'acme-bank')).toBe('shiplog-bundles-acme-bank');
    expect(tenantOfIndex('shiplog-bundles', 'shiplog-bundles-acme-bank')).toBe('acme-bank');
    expect(tenantOfIndex('shiplog-bundles', 'other-acme')).toBeUndefined();
    for (const tenant of ['Acme', 'a,b', 'a*', '_all', '../x', '', 'x'.repeat(64), 'a.b']) {
      expect(() => tenantIndex('p', tenant), tenant).toThrow(/not a tenant name/);
    }
  });

  it('takes only prefixes that cannot become index expressions', () => {
    expect(checkIndexPrefix('shiplog-bundles')).toBe('shiplog-bundles');
    for (const prefix of ['', 'Upper', '-x', '_x', 'a*', 'a,b', 'a b', 'a..b', 'x'.repeat(101)]) {
      expect(() => checkIndexPrefix(prefix), prefix).toThrow(/index_prefix/);
    }
  });

  it('reads back the hit ids it hands out, and nothing else', () => {
    expect(parseHitId(hitId('acme', 12, 345))).toEqual({ tenant: 'acme', gen: 12, seq: 345 });
    for (const id of ['', 'acme', 'acme.1', 'acme.0.1', 'acme.1.0', 'ACME.1.1', 'acme.1.1.1', 'acme.99999999.1', 3]) {
      expect(parseHitId(id), String(id)).toBeUndefined();
    }
  });
});

describe('the control document', () => {
  it('round-trips, and lists each bundle’s visible generation once', () => {
    const state = {
      next: 9,
      visible: new Map([
        ['b2', 8],
        ['b1', 3],
      ]),
      writing: [{ gen: 7, bundle: 'b3', owner: 'host:1:2', startedMs: 1234 }],
    };
    const back = parseControl(JSON.parse(JSON.stringify(controlSource(state))));
    expect(back).toEqual(state);
    expect(visibleGens(back)).toEqual([3, 8]);
    expect(parseControl(undefined)).toEqual({ next: 1, visible: new Map(), writing: [] });
    expect(parseControl({ shiplog_control: { next: -4, visible: [['x']], writing: [7] } })).toEqual({
      next: 1,
      visible: new Map(),
      writing: [],
    });
  });
});

describe('cursors and time ranges', () => {
  const print = fingerprint(['q', {}, ['acme'], 'asc']);

  it('gives back the position it was made from, for the same search only', () => {
    const cursor = encodeCursor(['2026-03-01T10:00:00.000000001Z', 'acme', 2 ** 31 + 5], print);
    expect(decodeCursor(cursor, print)).toEqual(['2026-03-01T10:00:00.000000001Z', 'acme', 2 ** 31 + 5]);
    expect(() => decodeCursor(cursor, fingerprint(['q', {}, ['acme'], 'desc']))).toThrow(QueryError);
  });

  it('refuses forged and malformed cursors as QueryError', () => {
    const forged = (body: unknown) => Buffer.from(JSON.stringify(body)).toString('base64url');
    for (const bad of [
      'not a cursor',
      'x'.repeat(600),
      forged({ v: 2, f: print, k: ['2026-03-01T10:00:00Z', 'acme', 1] }),
      forged({ v: 1, f: print, k: ['yesterday', 'acme', 1] }),
      forged({ v: 1, f: print, k: ['2026-03-01T10:00:00Z', '../beta', 1] }),
      forged({ v: 1, f: print, k: ['2026-03-01T10:00:00Z', 'acme', 0.5] }),
      forged({ v: 1, f: print, k: ['2026-03-01T10:00:00Z', 'acme'] }),
      Buffer.from('{"v":1').toString('base64url'),
    ]) {
      expect(() => decodeCursor(bad, print), bad).toThrow(QueryError);
    }
  });

  it('turns from/to into the indexed form, and refuses what is not RFC 3339', () => {
    expect(timeRange({ from: '2026-03-01T11:00:00+01:00', to: '2026-03-01T10:00:02.0000005Z' })).toEqual({
      from: '2026-03-01T10:00:00.000000000Z',
      to: '2026-03-01T10:00:02.000000500Z',
    });
    expect(timeRange({})).toEqual({});
    expect(() => timeRange({ from: 'yesterday' })).toThrow(QueryError);
  });
});
