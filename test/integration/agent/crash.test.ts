// The promise users rely on most: kill -9 the agent at random moments while
// containers and rsyslog keep writing, and Elasticsearch still ends up with
// every line exactly once. Run against 8.19 (a data stream) and against 7.17,
// which has no data streams (dated indices, where an event's index follows
// from its own timestamp, so a replay meets its first copy).
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import { startAgentProcess } from '../../helpers/agent-process.ts';
import { docker, TEST_IMAGE, TEST_LABELS } from '../../helpers/docker.ts';
import { startRsyslog } from '../../helpers/rsyslog.ts';
import { esNode, requireService } from '../../helpers/services.ts';
import type { ElasticsearchNode } from '../../helpers/services-setup.ts';
import { tempDir } from '../../helpers/temp.ts';

const base = requireService('docker') && requireService('rsyslog');

const clusters: Array<{ name: string; node: ElasticsearchNode; index: (namespace: string) => string }> = [
  { name: '8.19 (data stream)', node: 'elasticsearch', index: (namespace) => `logs-shiplog-${namespace}` },
  { name: '7.17 (dated indices)', node: 'elasticsearch7', index: (namespace) => `logs-shiplog-${namespace}-*` },
];

const containers = 4;
const batches = 20;
const perBatch = 1000; // every 0.2 s: 5k lines/s per container for about 4 s
const syslogLines = 5000;

describe.each(clusters)('agent killed with SIGKILL mid-stream, into Elasticsearch $name', ({ node, index }) => {
  const ready = base && requireService(node);
  const run = randomUUID().slice(0, 8);
  const namespace = `crash${run}`;
  const names = Array.from({ length: containers }, (_, i) => `shiplog-crash-${run}-${i}`);
  const url = ready ? esNode(node).url : '';
  const es = new Client({ node: url || 'http://127.0.0.1:9' });

  afterAll(async () => {
    for (const name of names)
      await docker()
        .getContainer(name)
        .remove({ force: true })
        .catch(() => {});
    await es.close();
  });

  it.skipIf(!ready)('delivers every container and syslog line exactly once across repeated kill -9', async () => {
    const dir = tempDir('shiplog-crash-');
    const syslogFile = join(dir, 'messages');
    const rsyslog = await startRsyslog({
      outFile: syslogFile,
      template: '%timereported:::date-rfc3339% %hostname% %syslogtag%%msg%\n',
    });
    const env = {
      SHIPLOG_DATA_DIR: join(dir, 'data'),
      SHIPLOG_ELASTICSEARCH_URL: url,
      SHIPLOG_ELASTICSEARCH_NAMESPACE: namespace,
      SHIPLOG_SOURCES_DOCKER_INCLUDE: names.join(','),
      SHIPLOG_SOURCES_FILES_PATHS: syslogFile,
      SHIPLOG_STATUS_ENABLED: 'false',
      SHIPLOG_LOG_LEVEL: 'warn',
    };
    const log = join(dir, 'agent.log');
    let agent = startAgentProcess(env, log);

    const script = `b=0; while [ $b -lt ${batches} ]; do seq $((b*${perBatch})) $((b*${perBatch}+${perBatch - 1})) | sed "s/^/line /"; b=$((b+1)); sleep 0.2; done`;
    for (const name of names) {
      const container = await docker().createContainer({
        name,
        Image: TEST_IMAGE,
        Cmd: ['sh', '-c', script],
        Labels: { ...TEST_LABELS },
        HostConfig: { NetworkMode: 'none' },
      });
      await container.start();
    }
    const sender = (async () => {
      for (let i = 0; i < syslogLines; i += 500) {
        const lines = Array.from({ length: 500 }, (_, j) => `syslog line ${i + j}`).join('\n');
        execFileSync('logger', ['-n', '127.0.0.1', '-P', String(rsyslog.tcpPort), '-T', '-t', 'crashtest'], {
          input: `${lines}\n`,
        });
        await sleep(100);
      }
    })();

    // Five kill -9 at random moments while everything is writing.
    for (let kill = 0; kill < 5; kill++) {
      await sleep(400 + Math.random() * 1200);
      await agent.kill('SIGKILL');
      agent = startAgentProcess(env, log);
    }
    await sender;
    for (const name of names) await docker().getContainer(name).wait();

    const target = index(namespace);
    const expected = containers * batches * perBatch + syslogLines;
    const count = async () => {
      await es.indices.refresh({ index: target }).catch(() => {});
      return (await es.count({ index: target }).catch(() => ({ count: 0 }))).count;
    };
    await expect.poll(count, { timeout: 180_000, interval: 2000 }).toBe(expected);
    await agent.kill('SIGTERM');
    await rsyslog.stop();

    // Every line number of every container, and every syslog line, is there exactly once.
    const seen = new Map<string, Set<string>>();
    let documents = 0;
    for await (const doc of es.helpers.scrollDocuments<{ message: string; container?: { name: string } }>({
      index: target,
      size: 5000,
      _source: ['message', 'container.name'],
    })) {
      documents++;
      const key = doc.container?.name ?? 'syslog';
      if (!seen.has(key)) seen.set(key, new Set());
      seen.get(key)?.add(doc.message.replace(/^.*(line \d+)$/, '$1'));
    }
    expect(documents).toBe(expected);
    for (const name of names) expect(seen.get(name)?.size, name).toBe(batches * perBatch);
    expect(seen.get('syslog')?.size).toBe(syslogLines);
  });
});
