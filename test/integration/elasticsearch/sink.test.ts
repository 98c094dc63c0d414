import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../../agent/config.ts';
import { Counters } from '../../../agent/pipeline/counters.ts';
import { ElasticsearchSink } from '../../../agent/sinks/elasticsearch/sink.ts';
import type { LogEvent } from '../../../schemas/log-event.ts';
import { syslogEvent } from '../../helpers/events.ts';
import { esUrl, requireService } from '../../helpers/services.ts';
import { tempDir } from '../../helpers/temp.ts';

const up = requireService('elasticsearch');

describe.skipIf(!up)('Elasticsearch sink against the real cluster', () => {
  const namespace = `t${randomUUID().slice(0, 8)}`;
  const dataStream = `logs-shiplog-${namespace}`;
  let client: Client;

  function makeSink(url = esUrl(), dataDir = tempDir('shiplog-es-')) {
    const config = loadAgentConfig(undefined, {
      SHIPLOG_ELASTICSEARCH_URL: url,
      SHIPLOG_ELASTICSEARCH_NAMESPACE: namespace,
    });
    if (!config.elasticsearch) throw new Error('sink not configured');
    return new ElasticsearchSink({ config: config.elasticsearch, dataDir, telemetry: new Counters() });
  }

  async function count(): Promise<number> {
    await client.indices.refresh({ index: dataStream });
    return (await client.count({ index: dataStream })).count;
  }

  beforeAll(() => {
    client = new Client({ node: esUrl() });
  });

  afterAll(async () => {
    await client.indices.deleteDataStream({ name: dataStream }).catch(() => {});
    await client.indices.deleteIndexTemplate({ name: `shiplog-${dataStream}` }).catch(() => {});
    await client.close();
  });

  it('creates the data stream with its template and stores every event once, nanoseconds kept', async () => {
    const sink = makeSink();
    const events = Array.from({ length: 1500 }, (_, i) => syslogEvent(i));
    const report = await sink.deliver(events);
    expect(report).toEqual({ delivered: 1500, duplicates: 0, rejected: 0 });
    expect(await count()).toBe(1500);

    const hit = await client.search<LogEvent>({
      index: dataStream,
      // The event id is the document's _id (shiplog.id is kept but not indexed).
      query: { ids: { values: [events[7]?.shiplog.id ?? ''] } },
    });
    const doc = hit.hits.hits[0]?._source;
    expect(doc?.['@timestamp']).toBe('2026-11-25T03:12:45.000000007Z');
    expect(doc?.data_stream).toEqual({ type: 'logs', dataset: 'shiplog', namespace });
    expect(sink.health()).toMatchObject({
      state: 'healthy',
      delivered: 1500,
      cluster: { dataStreams: true, messageType: 'text' },
    });
    await sink.close();
  });

  it('answers a replay of the same events with duplicates, storing nothing twice', async () => {
    const sink = makeSink();
    const report = await sink.deliver(Array.from({ length: 1500 }, (_, i) => syslogEvent(i)));
    expect(report).toEqual({ delivered: 0, duplicates: 1500, rejected: 0 });
    expect(await count()).toBe(1500);
    await sink.close();
  });

  it('dead-letters an event the mapping refuses, with the reason, and delivers the rest', async () => {
    const dataDir = tempDir('shiplog-es-');
    const sink = makeSink(esUrl(), dataDir);
    const bad = syslogEvent(90_001, { process: { name: 'x', pid: 'not-a-number' as unknown as number } });
    const report = await sink.deliver([syslogEvent(90_000), bad, syslogEvent(90_002)]);
    expect(report).toEqual({ delivered: 2, duplicates: 0, rejected: 1 });
    const [entry] = readFileSync(join(dataDir, 'dead-letter/elasticsearch.ndjson'), 'utf8').trim().split('\n');
    const parsed = JSON.parse(entry ?? '{}');
    expect(parsed.status).toBe(400);
    expect(parsed.reason).toMatch(/pid|parse/);
    expect(parsed.event.shiplog.id).toBe(bad.shiplog.id);
    await sink.close();
  });

  it('keeps retrying while Elasticsearch does not answer, and says so in its health, until aborted', async () => {
    const sink = makeSink('http://127.0.0.1:9');
    const controller = new AbortController();
    const delivery = sink.deliver([syslogEvent(1)], controller.signal);
    await expect.poll(() => sink.health().lastError?.code, { timeout: 10_000 }).toBe('SHIPLOG_ERR_SINK_ES_UNREACHABLE');
    expect(sink.health().state).toBe('retrying');
    controller.abort();
    await expect(delivery).rejects.toThrow();
    await sink.close();
  });
});
