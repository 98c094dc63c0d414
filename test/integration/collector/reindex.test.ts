// A vendor moving from the embedded SQLite index to its Elasticsearch cluster:
// bundles ingested on SQLite are written into Elasticsearch by `reindex`,
// from their unpacked files and, where those are gone, from the stored
// bundle file, and the portal then answers the same searches from there.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import { shiplogCollector } from '../../helpers/cli.ts';
import { api, startCollector } from '../../helpers/collector.ts';
import { esUrl, requireService } from '../../helpers/services.ts';
import { tempDir } from '../../helpers/temp.ts';
import { buildBundle } from '../../unit/agent/bundle/seal/make-bundle.ts';

const up = requireService('elasticsearch');
const prefix = `shiplog-reindex-${randomUUID().slice(0, 8)}`;

afterAll(async () => {
  if (!up) return;
  const client = new Client({ node: esUrl() });
  await client.indices.delete({ index: `${prefix}-*`, ignore_unavailable: true }).catch(() => {});
  await client.indices.deleteIndexTemplate({ name: prefix }).catch(() => {});
  await client.close();
});

describe.skipIf(!up)('shiplog-collector reindex from SQLite into Elasticsearch', () => {
  it('moves every indexed bundle, from its unpacked files or its stored file, and search answers the same', async () => {
    const dataDir = tempDir('shiplog-reindex-');
    const sqliteEnv = { SHIPLOG_COLLECTOR_DATA_DIR: dataDir };
    const paths: string[] = [];
    // One site, one signing key (its data directory), two bundles.
    const site = tempDir('shiplog-reindex-site-');
    for (const marker of ['MOVED-ONE', 'MOVED-TWO']) {
      const built = await buildBundle(site, {
        name: `${marker}.tar.gz`,
        dataDir: join(site, 'data'),
        extra: { 'containers/api/container.log': Buffer.from(`2024-03-14T10:00:00Z stdout ${marker} here\n`) },
      });
      paths.push(built.path);
    }
    const ingest = await shiplogCollector(['ingest', ...paths, '--tenant', 'acme', '--json'], { env: sqliteEnv });
    expect(ingest.code, ingest.stderr).toBe(0);
    const ids = ingest.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { id: string }).id);
    // One bundle's unpacked files are gone: it must come back from its stored file.
    rmSync(join(dataDir, 'unpacked', 'acme', ids[1] as string), { recursive: true });

    const esEnv = {
      ...sqliteEnv,
      SHIPLOG_COLLECTOR_ELASTICSEARCH_URL: esUrl(),
      SHIPLOG_COLLECTOR_INDEX_ELASTICSEARCH_INDEX_PREFIX: prefix,
    };
    const reindex = await shiplogCollector(['reindex', '--tenant', 'acme'], { env: esEnv });
    expect(reindex.code, reindex.stdout + reindex.stderr).toBe(0);
    expect(reindex.stdout).toContain('its unpacked files');
    expect(reindex.stdout).toContain('its stored bundle file');
    expect(reindex.stdout).toMatch(/reindexed 2 of 2 bundles .* into the elasticsearch index/);

    const collector = await startCollector({ dataDir, env: esEnv });
    const read = await collector.token('acme', 'read');
    for (const marker of ['MOVED-ONE', 'MOVED-TWO']) {
      const search = await api(collector, read, `/api/v1/search?q=${marker}`);
      expect(search.body.total, marker).toBe(1);
    }
    expect((await api(collector, read, '/api/v1/search?q=here')).body.total).toBe(2);
    await collector.stop();
  }, 180_000);
});
