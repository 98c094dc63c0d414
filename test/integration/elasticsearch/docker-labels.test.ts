// Regression: dotted container labels collided in Elasticsearch. Compose
// gives every container `com.docker.compose.project` beside
// `com.docker.compose.project.working_dir`; as object fields one key would
// have to be a string and an object at once, and every event of such a
// container was refused and dead-lettered. A real container with those
// labels on the test dockerd, through a real agent, into real clusters
// (8.19 and 7.17): every line is stored and found by its labels, spelt as
// Docker spells them.

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import { startAgentProcess } from '../../helpers/agent-process.ts';
import { docker, TEST_IMAGE, TEST_LABELS } from '../../helpers/docker.ts';
import { esNode, requireService } from '../../helpers/services.ts';
import type { ElasticsearchNode } from '../../helpers/services-setup.ts';
import { tempDir } from '../../helpers/temp.ts';

const nodes: Array<{ name: string; node: ElasticsearchNode; index: (namespace: string) => string }> = [
  { name: '8.19', node: 'elasticsearch', index: (namespace) => `logs-shiplog-${namespace}` },
  { name: '7.17', node: 'elasticsearch7', index: (namespace) => `logs-shiplog-${namespace}-*` },
];

const compose = {
  'com.docker.compose.project': 'shop',
  'com.docker.compose.project.working_dir': '/srv/shop',
  'com.docker.compose.project.config_files': '/srv/shop/compose.yaml',
  'com.docker.compose.service': 'web',
  'com.docker.compose.container-number': '1',
};

describe.each(nodes)('a Compose container with dotted labels, into Elasticsearch $name', ({ node, index }) => {
  const ready = requireService('docker') && requireService(node);
  const run = randomUUID().slice(0, 8);
  const namespace = `labels${run}`;
  const name = `shiplog-labels-${run}`;
  const es = new Client({ node: ready ? esNode(node).url : 'http://127.0.0.1:9' });

  afterAll(async () => {
    await docker()
      .getContainer(name)
      .remove({ force: true })
      .catch(() => {});
    await es.close();
  });

  it.skipIf(!ready)('stores every line, searchable by each label under its own dotted name', async () => {
    const lines = 300;
    const container = await docker().createContainer({
      name,
      Image: TEST_IMAGE,
      Cmd: ['sh', '-c', `seq 1 ${lines} | sed "s/^/shop line /"`],
      Labels: { ...compose, ...TEST_LABELS },
      HostConfig: { NetworkMode: 'none' },
    });
    await container.start();
    await container.wait();

    const dir = tempDir('shiplog-labels-');
    const agent = startAgentProcess(
      {
        SHIPLOG_DATA_DIR: join(dir, 'data'),
        SHIPLOG_ELASTICSEARCH_URL: esNode(node).url,
        SHIPLOG_ELASTICSEARCH_NAMESPACE: namespace,
        SHIPLOG_SOURCES_DOCKER_INCLUDE: name,
        SHIPLOG_SOURCES_FILES_ENABLED: 'false',
        SHIPLOG_STATUS_ENABLED: 'false',
        SHIPLOG_LOG_LEVEL: 'warn',
      },
      join(dir, 'agent.log'),
    );
    const target = index(namespace);
    const count = async (query?: Record<string, unknown>) => {
      await es.indices.refresh({ index: target }).catch(() => {});
      return (await es.count({ index: target, query }).catch(() => ({ count: 0 }))).count;
    };
    try {
      await expect.poll(() => count(), { timeout: 60_000, interval: 500 }).toBe(lines);
    } finally {
      await agent.kill('SIGTERM');
    }

    const term = (field: string, value: string) => ({ term: { [field]: value } });
    expect(await count(term('container.labels.com.docker.compose.project', 'shop'))).toBe(lines);
    expect(await count(term('container.labels.com.docker.compose.project.working_dir', '/srv/shop'))).toBe(lines);
    expect(
      await count(term('container.labels.com.docker.compose.project.config_files', '/srv/shop/compose.yaml')),
    ).toBe(lines);
    expect(await count(term('service.name', 'web'))).toBe(lines);
    const hit = await es.search<{ container: { labels: Record<string, string> } }>({ index: target, size: 1 });
    expect(hit.hits.hits[0]?._source?.container.labels).toMatchObject(compose);
    // Nothing was refused on the way.
    expect(existsSync(join(dir, 'data/dead-letter/elasticsearch.ndjson'))).toBe(false);
  });
});
