// An older customer cluster, for real: Elasticsearch 7.17 (the test build,
// on Java 17), which has no data streams. The sink detects the version,
// installs its template, writes dated indices named after each event's own
// day with `create`, and a replay, even one sent after midnight, meets its
// first copy in the same index.
import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../../agent/config.ts';
import { Counters } from '../../../agent/pipeline/counters.ts';
import { chooseMappings, parseNodesInfo } from '../../../agent/sinks/elasticsearch/capabilities.ts';
import { encodeEvent, targetFor } from '../../../agent/sinks/elasticsearch/encoder.ts';
import { ElasticsearchSink } from '../../../agent/sinks/elasticsearch/sink.ts';
import { indexTemplate, templatePath } from '../../../agent/sinks/elasticsearch/template.ts';
import type { LogEvent } from '../../../schemas/log-event.ts';
import { syslogEvent } from '../../helpers/events.ts';
import { esNode, requireService } from '../../helpers/services.ts';
import { tempDir } from '../../helpers/temp.ts';

const up = requireService('elasticsearch7');

describe.skipIf(!up)('Elasticsearch sink against a 7.17 cluster', () => {
  const namespace = `v7${randomUUID().slice(0, 8)}`;
  const prefix = `logs-shiplog-${namespace}`;
  let url: string;
  let client: Client;

  beforeAll(() => {
    url = esNode('elasticsearch7').url;
    client = new Client({ node: url });
  });

  afterAll(async () => {
    await client.indices.delete({ index: `${prefix}-*` }).catch(() => {});
    await client.indices.deleteIndexTemplate({ name: `shiplog-${prefix}` }).catch(() => {});
    await client.indices.deleteTemplate({ name: `legacy-${namespace}` }).catch(() => {});
    await client.indices.deleteIndexTemplate({ name: `dedot-${namespace}` }).catch(() => {});
    await client.close();
  });

  function makeSink() {
    const config = loadAgentConfig(undefined, {
      SHIPLOG_ELASTICSEARCH_URL: url,
      SHIPLOG_ELASTICSEARCH_NAMESPACE: namespace,
    });
    if (!config.elasticsearch) throw new Error('sink not configured');
    return new ElasticsearchSink({
      config: config.elasticsearch,
      dataDir: tempDir('shiplog-es7-'),
      telemetry: new Counters(),
    });
  }

  // Half of them just before midnight UTC, half just after.
  const events: LogEvent[] = Array.from({ length: 400 }, (_, i) =>
    syslogEvent(i, {
      '@timestamp':
        i < 200
          ? `2026-12-31T23:59:59.${String(i).padStart(9, '0')}Z`
          : `2027-01-01T00:00:00.${String(i).padStart(9, '0')}Z`,
    }),
  );

  async function countsByIndex(): Promise<Record<string, number>> {
    await client.indices.refresh({ index: `${prefix}-*` });
    const rows = await client.cat.indices({ index: `${prefix}-*`, format: 'json', h: 'index,docs.count' });
    return Object.fromEntries(rows.map((row) => [row.index ?? '', Number(row['docs.count'])]));
  }

  it('detects 7.17 and writes dated indices named after each event day, with nanosecond timestamps', async () => {
    const sink = makeSink();
    expect(await sink.deliver(events)).toEqual({ delivered: 400, duplicates: 0, rejected: 0 });
    expect(sink.health().cluster).toEqual({
      version: '7.17.29',
      dataStreams: false,
      messageType: 'text',
      labels: 'flattened',
      templateApi: 'composable',
    });
    expect(await countsByIndex()).toEqual({ [`${prefix}-2026.12.31`]: 200, [`${prefix}-2027.01.01`]: 200 });
    const hit = await client.search<LogEvent>({
      index: `${prefix}-*`,
      query: { ids: { values: [events[7]?.shiplog.id ?? ''] } },
    });
    expect(hit.hits.hits[0]?._source?.['@timestamp']).toBe('2026-12-31T23:59:59.000000007Z');
    // A regular index (no data stream), with the agent's mapping.
    const mapping = await client.indices.getMapping({ index: `${prefix}-2026.12.31` });
    const properties = mapping[`${prefix}-2026.12.31`]?.mappings.properties;
    expect(properties?.['@timestamp']).toEqual({ type: 'date_nanos' });
    await sink.close();
  });

  it('answers a replay, sent days later, with duplicates: every event meets its first copy', async () => {
    const sink = makeSink();
    expect(await sink.deliver(events)).toEqual({ delivered: 0, duplicates: 400, rejected: 0 });
    expect(await countsByIndex()).toEqual({ [`${prefix}-2026.12.31`]: 200, [`${prefix}-2027.01.01`]: 200 });
    await sink.close();
  });

  it('stores dotted Docker labels under their own names, searchable', async () => {
    const sink = makeSink();
    const labelled = syslogEvent(5000, {
      container: {
        id: 'c0ffee',
        name: 'shop-web-1',
        labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.project.working_dir': '/srv/shop' },
      },
    });
    expect(await sink.deliver([labelled])).toMatchObject({ delivered: 1, rejected: 0 });
    await client.indices.refresh({ index: `${prefix}-*` });
    const byProject = await client.count({
      index: `${prefix}-*`,
      query: { term: { 'container.labels.com.docker.compose.project': 'shop' } },
    });
    const byDir = await client.count({
      index: `${prefix}-*`,
      query: { term: { 'container.labels.com.docker.compose.project.working_dir': '/srv/shop' } },
    });
    expect([byProject.count, byDir.count]).toEqual([1, 1]);
    await sink.close();
  });

  it('accepts the legacy template the sink would install on a cluster before 7.8', async () => {
    const choices = {
      ...chooseMappings(parseNodesInfo({ nodes: { n: { version: '7.7.1', modules: [{ name: 'x-pack-core' }] } } })),
    };
    expect(choices.templateApi).toBe('legacy');
    const pattern = `legacy-${namespace}-*`;
    await client.transport.request({
      method: 'PUT',
      path: templatePath(`legacy-${namespace}`, choices),
      body: indexTemplate(pattern, choices),
    });
    const index = `legacy-${namespace}-2026.11.25`;
    await client.index({
      index,
      id: 'a',
      op_type: 'create',
      document: { '@timestamp': '2026-11-25T03:12:45.123456789Z', message: 'x' },
    });
    const mapping = await client.indices.getMapping({ index });
    expect(mapping[index]?.mappings.properties?.['@timestamp']).toEqual({ type: 'date_nanos' });
    await client.indices.delete({ index });
  });

  it('stores dedotted labels where a cluster has no flattened type (the mapping and document the sink then uses)', async () => {
    const choices = chooseMappings(parseNodesInfo({ nodes: { n: { version: '7.10.2', modules: [] } } }));
    expect(choices.labels).toBe('dedot');
    const pattern = `dedot-${namespace}-*`;
    await client.transport.request({
      method: 'PUT',
      path: templatePath(`dedot-${namespace}`, choices),
      body: indexTemplate(pattern, choices),
    });
    const event = syslogEvent(1, {
      container: {
        id: 'c0ffee',
        name: 'shop-web-1',
        labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.project.working_dir': '/srv/shop' },
      },
    });
    const target = { ...targetFor('shiplog', namespace, false, true), dataStream: `dedot-${namespace}` };
    const item = encodeEvent(event, target, '2026-11-25T03:12:46Z');
    const answer = await client.bulk({
      operations: item.lines
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
      refresh: true,
    });
    expect(answer.errors).toBe(false);
    const found = await client.count({
      index: pattern,
      query: { term: { 'container.labels.com_docker_compose_project_working_dir': '/srv/shop' } },
    });
    expect(found.count).toBe(1);
    await client.indices.delete({ index: pattern });
  });
});
