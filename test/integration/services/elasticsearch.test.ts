// The real Elasticsearch 8 through @elastic/elasticsearch, the client the sinks use.
// This test distribution lacks GET / (so no client.info()), the ECS-only field
// types and the built-in logs-*-* template: the template below is our own.
import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import { esUrl, requireService } from '../../helpers/services.ts';

describe.skipIf(!requireService('elasticsearch'))('elasticsearch', () => {
  const suffix = randomUUID().slice(0, 8);
  const template = `shiplogtest-${suffix}`;
  const stream = `logs-shiplogtest-${suffix}`;
  let client: Client | undefined;

  afterAll(async () => {
    if (!client) return;
    // The test distribution has no data-streams module, so DELETE _data_stream
    // answers 405 there (a customer's cluster has it), and a template in use
    // cannot be deleted. The names are unique per run and up.sh starts the
    // node on a fresh data directory, so leftovers do no harm.
    const deleted = await client.indices.deleteDataStream({ name: stream }, { ignore: [404, 405], meta: true });
    if (deleted.statusCode !== 405) {
      await client.indices.deleteIndexTemplate({ name: template }, { ignore: [404] });
    }
    await client.close();
  });

  it('writes to a data stream with explicit ids, reads back, and answers 409 for a replay', async () => {
    client = new Client({ node: esUrl() });
    await client.indices.putIndexTemplate({
      name: template,
      index_patterns: [`logs-shiplogtest-${suffix}*`],
      data_stream: {},
      priority: 500,
      template: {
        mappings: {
          properties: {
            '@timestamp': { type: 'date_nanos' },
            message: { type: 'text' },
          },
        },
      },
    });

    const docs = [1, 2, 3].map((n) => ({
      _id: `shiplogtest-${suffix}-${n}`,
      '@timestamp': `2025-01-02T03:04:05.12345678${n}Z`,
      message: `hello ${n} from shiplog`,
    }));
    const operations = docs.flatMap(({ _id, ...doc }) => [{ create: { _index: stream, _id } }, doc]);

    const first = await client.bulk({ operations });
    expect(first.errors).toBe(false);
    expect(first.items.map((item) => item.create?.status)).toEqual([201, 201, 201]);

    await client.indices.refresh({ index: stream });
    const found = await client.search<{ '@timestamp': string; message: string }>({
      index: stream,
      query: { match: { message: 'shiplog' } },
      sort: [{ '@timestamp': 'asc' }],
      size: 10,
      track_total_hits: true,
    });
    expect(found.hits.total).toEqual({ value: 3, relation: 'eq' });
    expect(found.hits.hits.map((hit) => hit._id)).toEqual(docs.map((d) => d._id));
    // date_nanos keeps the last digits that a millisecond date would drop.
    expect(found.hits.hits.map((hit) => hit._source?.['@timestamp'])).toEqual(docs.map((d) => d['@timestamp']));

    const replay = await client.bulk({ operations });
    expect(replay.errors).toBe(true);
    expect(replay.items.map((item) => item.create?.status)).toEqual([409, 409, 409]);
    expect(replay.items.map((item) => item.create?.error?.type)).toEqual(
      Array(3).fill('version_conflict_engine_exception'),
    );
  });
});
