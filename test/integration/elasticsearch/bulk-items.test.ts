// A bulk answer with mixed item results is rare to provoke on a real cluster,
// so this one case uses a small local HTTP server that answers like
// Elasticsearch does; the real client and the real sink talk to it.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../../agent/config.ts';
import { Counters } from '../../../agent/pipeline/counters.ts';
import { ElasticsearchSink } from '../../../agent/sinks/elasticsearch/sink.ts';
import { syslogEvent } from '../../helpers/events.ts';
import { tempDir } from '../../helpers/temp.ts';

type Answer = { status: number; body: unknown; headers?: Record<string, string> };
type BulkHandler = (ids: string[]) => Answer;

const esHeaders = { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' };

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

let server: Server | undefined;

async function fakeCluster(onBulk: BulkHandler): Promise<{ url: string; bulks: string[][] }> {
  const bulks: string[][] = [];
  server = createServer(async (request, response) => {
    const body = await readBody(request);
    let answer: Answer;
    if (request.url?.startsWith('/_nodes'))
      answer = { status: 200, body: { nodes: { n: { version: '8.19.21', modules: [] } } } };
    else if (request.url?.startsWith('/_index_template')) answer = { status: 200, body: { acknowledged: true } };
    else {
      const ids = body
        .trim()
        .split('\n')
        .filter((_, i) => i % 2 === 0)
        .map((line) => JSON.parse(line).create._id as string);
      bulks.push(ids);
      answer = onBulk(ids);
    }
    response.writeHead(answer.status, { ...esHeaders, ...answer.headers });
    response.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bulks };
}

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

function sinkFor(url: string, waits: number[], dataDir = tempDir('shiplog-bulk-')) {
  const config = loadAgentConfig(undefined, {
    SHIPLOG_ELASTICSEARCH_URL: url,
    SHIPLOG_ELASTICSEARCH_COMPRESSION: 'false',
  });
  if (!config.elasticsearch) throw new Error('sink not configured');
  const telemetry = new Counters();
  const sink = new ElasticsearchSink({
    config: config.elasticsearch,
    dataDir,
    telemetry,
    wait: async (ms) => {
      waits.push(ms);
    },
  });
  return { sink, dataDir, telemetry };
}

const item = (status: number, type?: string) => ({
  create: { status, ...(type ? { error: { type, reason: type } } : {}) },
});

describe('bulk responses handled item by item', () => {
  it('resends only the 429 item, counts the 409 as delivered, dead-letters the 400 with its reason', async () => {
    let call = 0;
    const cluster = await fakeCluster((ids) => {
      call++;
      if (call === 1) {
        return {
          status: 200,
          body: {
            errors: true,
            items: [
              item(201),
              item(409, 'version_conflict_engine_exception'),
              item(429, 'es_rejected_execution_exception'),
              item(400, 'document_parsing_exception'),
            ],
          },
        };
      }
      return { status: 200, body: { errors: false, items: ids.map(() => item(201)) } };
    });
    const waits: number[] = [];
    const { sink, dataDir, telemetry } = sinkFor(cluster.url, waits);
    const events = [0, 1, 2, 3].map((i) => syslogEvent(i));
    const report = await sink.deliver(events);

    expect(report).toEqual({ delivered: 2, duplicates: 1, rejected: 1 });
    expect(cluster.bulks).toEqual([events.map((e) => e.shiplog.id), [events[2]?.shiplog.id]]);
    expect(waits).toHaveLength(1);
    const deadLetter = JSON.parse(readFileSync(join(dataDir, 'dead-letter/elasticsearch.ndjson'), 'utf8'));
    expect(deadLetter).toMatchObject({ status: 400, reason: expect.stringContaining('document_parsing_exception') });
    expect(deadLetter.event.shiplog.id).toBe(events[3]?.shiplog.id);
    expect(telemetry.snapshot().elasticsearch?.dropped).toEqual({ rejected_by_sink: 1 });
    await sink.close();
  });

  it('retries a whole request answered 503, honouring Retry-After', async () => {
    let call = 0;
    const cluster = await fakeCluster((ids) => {
      call++;
      if (call < 3)
        return {
          status: 503,
          body: { error: { type: 'unavailable', reason: 'busy' } },
          headers: { 'retry-after': '30' },
        };
      return { status: 200, body: { errors: false, items: ids.map(() => item(201)) } };
    });
    const waits: number[] = [];
    const { sink } = sinkFor(cluster.url, waits);
    const report = await sink.deliver([syslogEvent(1), syslogEvent(2)]);
    expect(report.delivered).toBe(2);
    expect(cluster.bulks).toHaveLength(3);
    expect(waits.every((ms) => ms >= 30_000)).toBe(true);
    await sink.close();
  });

  it('halves a request answered 413 until it fits, and refuses only an event too large on its own', async () => {
    const cluster = await fakeCluster((ids) =>
      ids.length > 2 || ids.includes('too-big')
        ? { status: 413, body: { error: { type: 'request_too_large', reason: 'too large' } } }
        : { status: 200, body: { errors: false, items: ids.map(() => item(201)) } },
    );
    const waits: number[] = [];
    const { sink } = sinkFor(cluster.url, waits);
    const huge = syslogEvent(99);
    huge.shiplog.id = 'too-big';
    const report = await sink.deliver([syslogEvent(1), syslogEvent(2), syslogEvent(3), huge, syslogEvent(5)]);
    expect(report).toEqual({ delivered: 4, duplicates: 0, rejected: 1 });
    await sink.close();
  });
});
