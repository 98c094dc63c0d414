// A container whose json-file log is rotated past max-file while the source
// is stopped: the engine deletes lines that were never read, and says nothing
// about it. On restart the source notices that the oldest line the engine
// still holds is newer than the last one it read, and reports the gap with
// the container and the time range (its code, a warning, a drop, the
// container's status); what the engine still holds arrives once.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DockerLogsSource, type DockerSourceNotice } from '../../../agent/sources/docker_logs/index.ts';
import { docker, TEST_IMAGE, TEST_LABELS } from '../../helpers/docker.ts';
import {
  CollectingWriter,
  CountingTelemetry,
  engineLines,
  MemoryStateStore,
  sourceConfig,
  uniquePrefix,
  waitFor,
} from '../../helpers/docker-logs.ts';
import { requireService } from '../../helpers/services.ts';
import { tempDir } from '../../helpers/temp.ts';

const prefix = uniquePrefix();
const PAD = 'y'.repeat(80);

describe.skipIf(!requireService('docker'))('docker_logs source: lines rotated away while stopped', () => {
  const sources: DockerLogsSource[] = [];
  const containers: Dockerode.Container[] = [];
  afterEach(async () => {
    for (const source of sources.splice(0)) await source.stop();
  });
  afterAll(async () => {
    await Promise.all(containers.map((c) => c.remove({ force: true }).catch(() => undefined)));
  });

  /** A container that prints 20 lines, then 500 more once /sig/go exists, then waits; json-file keeps `maxSize` × 2. */
  async function start(
    name: string,
    maxSize: string | undefined,
  ): Promise<{ container: Dockerode.Container; go: () => void }> {
    const sig = tempDir('shiplog-dl-rotated-');
    mkdirSync(sig, { recursive: true });
    const script = `seq 1 20 | sed 's/^/a/'; while [ ! -e /sig/go ]; do sleep 0.05; done; seq 1 500 | sed 's/^/b/; s/$/ ${PAD}/'; exec sleep 3600`;
    const container = await docker().createContainer({
      name: `${prefix}${name}`,
      Image: TEST_IMAGE,
      Cmd: ['/bin/sh', '-c', script],
      Labels: { ...TEST_LABELS },
      StopTimeout: 1,
      HostConfig: {
        NetworkMode: 'none',
        Binds: [`${sig}:/sig`],
        LogConfig: { Type: 'json-file', Config: maxSize ? { 'max-size': maxSize, 'max-file': '2' } : {} },
      },
    });
    containers.push(container);
    await container.start();
    return { container, go: () => writeFileSync(join(sig, 'go'), '') };
  }

  function run(state: MemoryStateStore, notices: DockerSourceNotice[], telemetry = new CountingTelemetry()) {
    const writer = new CollectingWriter();
    const source = new DockerLogsSource({
      docker: docker(),
      writer,
      state,
      telemetry,
      config: sourceConfig(prefix),
      hostName: 'test-host',
      onEvent: (notice) => notices.push(notice),
    });
    sources.push(source);
    void source.start();
    return { writer, source, telemetry };
  }

  it('reports the lines the engine rotated away unread, with the container and the time range', async () => {
    const { container, go } = await start('rotating', '2k');
    const state = new MemoryStateStore();
    const first = run(state, []);
    await waitFor('the first 20 lines', () => first.writer.of(container.id).length === 20);
    await first.source.stop();

    go();
    let held: string[] = [];
    const deadline = Date.now() + 60_000;
    while (!held.at(-1)?.startsWith('b500 ')) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the engine to write b500');
      await new Promise((resolve) => setTimeout(resolve, 50));
      held = (await engineLines(container)).stdout;
    }
    // json-file kept only its last files: the a-lines and the first b-lines are gone.
    expect(held[0]).toMatch(/^b\d+ /);
    expect(held.length).toBeLessThan(500);

    const notices: DockerSourceNotice[] = [];
    const second = run(state, notices);
    await waitFor('the lines the engine still holds', () => second.writer.of(container.id).length === held.length);
    expect(second.writer.messages(container.id)).toEqual(held);
    const gaps = notices.filter((n) => n.type === 'rotated_away');
    expect(gaps).toHaveLength(1);
    const [gap] = gaps;
    if (gap?.type !== 'rotated_away') throw new Error('no gap notice');
    expect(gap).toMatchObject({ containerId: container.id, name: `${prefix}rotating` });
    expect(gap.error.code).toBe('SHIPLOG_ERR_DOCKER_LOGS_ROTATED_AWAY');
    expect(gap.error.message).toContain(`container ${prefix}rotating`);
    expect(Date.parse(gap.to)).toBeGreaterThan(Date.parse(gap.from));
    expect(second.telemetry.dropped.get('rotated_away')).toBe(1);
    expect(second.source.status().containers.find((c) => c.id === container.id)?.lost).toEqual({
      from: gap.from,
      to: gap.to,
    });
  });

  it('reports nothing when the engine still holds everything after the last line read', async () => {
    const { container, go } = await start('kept', undefined);
    const state = new MemoryStateStore();
    const first = run(state, []);
    await waitFor('the first 20 lines', () => first.writer.of(container.id).length === 20);
    await first.source.stop();
    go();
    const notices: DockerSourceNotice[] = [];
    const second = run(state, notices);
    await waitFor('the 500 lines written while stopped', () => second.writer.of(container.id).length === 500);
    expect(notices.filter((n) => n.type === 'rotated_away')).toEqual([]);
  });
});
