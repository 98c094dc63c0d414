// docker_logs against the real engine: acknowledgement, restarts of the
// source, short-lived and renamed containers.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../../agent/checkpoint/store.ts';
import type { StateStore } from '../../../agent/pipeline/types.ts';
import {
  type ContainerCheckpoint,
  DockerLogsSource,
  type DockerSourceNotice,
  type DockerSourceTuning,
  STATE_NAME,
} from '../../../agent/sources/docker_logs/index.ts';
import { docker } from '../../helpers/docker.ts';
import {
  CollectingWriter,
  CountingTelemetry,
  MemoryStateStore,
  removeStartedContainers,
  sourceConfig,
  startContainer,
  uniquePrefix,
  waitExit,
  waitFor,
} from '../../helpers/docker-logs.ts';
import { requireService } from '../../helpers/services.ts';
import { tempDir } from '../../helpers/temp.ts';

const prefix = uniquePrefix();

interface Running {
  source: DockerLogsSource;
  writer: CollectingWriter;
  notices: DockerSourceNotice[];
}

describe.skipIf(!requireService('docker'))('docker_logs source: lifecycle', () => {
  const sources: DockerLogsSource[] = [];
  afterEach(async () => {
    await Promise.all(sources.splice(0).map((s) => s.stop()));
  });
  afterAll(removeStartedContainers);

  async function run(
    state: StateStore,
    writer = new CollectingWriter(),
    tuning: Partial<DockerSourceTuning> = {},
  ): Promise<Running> {
    const notices: DockerSourceNotice[] = [];
    const source = new DockerLogsSource({
      docker: docker(),
      writer,
      state,
      telemetry: new CountingTelemetry(),
      config: sourceConfig(prefix),
      hostName: 'test-host',
      onEvent: (notice) => notices.push(notice),
      tuning,
    });
    sources.push(source);
    await source.start();
    await waitFor('the source to connect', () => source.status().connected);
    return { source, writer, notices };
  }

  async function checkpointOf(state: StateStore, id: string): Promise<ContainerCheckpoint | undefined> {
    const saved = await state.load<{ containers: Record<string, ContainerCheckpoint> }>(STATE_NAME);
    return saved?.containers[id];
  }

  it('stops reading while write() is unacknowledged, and saves a checkpoint only for acknowledged lines', async () => {
    const state = new MemoryStateStore();
    const writer = new CollectingWriter();
    // What the writer had acknowledged when each checkpoint was saved.
    const acknowledgedAtSave: number[] = [];
    const save = state.save.bind(state);
    state.save = (name, value) => {
      acknowledgedAtSave.push(writer.acknowledged);
      return save(name, value);
    };
    writer.hold();
    const { source } = await run(state, writer, { batchEvents: 100, inflightBatches: 2, saveIntervalMs: 10 });
    const container = await startContainer('seq 1 20000', { name: `${prefix}slow-sink` });
    await waitExit(container);
    await waitFor('two batches in flight', () => writer.writes >= 2);
    // The whole log is in the engine; the source reads no further than the
    // batches in flight and the socket chunk it was parsing.
    const handed = writer.of(container.id).length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(writer.of(container.id).length).toBe(handed);
    expect(handed).toBeLessThan(2000);
    expect(writer.writes).toBeLessThan(20);
    expect(await checkpointOf(state, container.id)).toBeUndefined();

    writer.release();
    await waitFor('every line acknowledged', () => writer.acknowledged >= 20_000);
    await waitFor('the checkpoint of the last line', () => {
      const last = writer.of(container.id).at(-1)?.['@timestamp'];
      return source.status().containers.find((c) => c.id === container.id)?.checkpoint?.stdout?.ts === last;
    });
    await source.stop();
    const stored = await checkpointOf(state, container.id);
    expect(stored?.stdout?.ts).toBe(writer.of(container.id).at(-1)?.['@timestamp']);
    expect(writer.messages(container.id)).toEqual(Array.from({ length: 20_000 }, (_, i) => String(i + 1)));
    // No saved checkpoint points past what the writer had acknowledged when it was saved.
    const stamps = writer.of(container.id).map((e) => e['@timestamp']);
    state.saved.forEach(({ value }, i) => {
      const mark = (value as { containers: Record<string, ContainerCheckpoint> }).containers[container.id]?.stdout;
      if (mark) expect(stamps.indexOf(mark.ts) + mark.n).toBeLessThanOrEqual(acknowledgedAtSave[i] ?? 0);
    });
    expect(state.saved.length).toBeGreaterThan(0);
  });

  it('resumes after a restart of the source: every line exactly once, including a container that ran while it was down', async () => {
    const state = new CheckpointStore(tempDir('shiplog-dl-state-'));
    const total = 2000;
    // stdout and stderr, numbered, a little at a time.
    const container = await startContainer(
      `i=0; while [ $i -lt ${total} ]; do i=$((i+1)); echo "o $i"; echo "e $i" >&2; ` +
        `[ $((i % 40)) = 0 ] && sleep 0.1; done`,
      { name: `${prefix}restart` },
    );
    const first = await run(state);
    await waitFor('some lines', () => first.writer.of(container.id).length >= 400);
    await first.source.stop();
    const before = first.writer.of(container.id).length;
    expect(before).toBeLessThan(2 * total);

    // While no source runs: the container logs on, another one runs and exits.
    const whileDown = await startContainer('seq 1 300; echo bye >&2', { name: `${prefix}while-down` });
    await waitExit(whileDown);
    await new Promise((resolve) => setTimeout(resolve, 500));

    const second = await run(state);
    await waitExit(container);
    await waitFor('the rest of the lines', () => before + second.writer.of(container.id).length >= 2 * total);
    await waitFor('the container that ran while down', () => second.writer.of(whileDown.id).length >= 301);
    await second.source.stop();

    const all = [...first.writer.of(container.id), ...second.writer.of(container.id)].map((e) => e.message);
    expect(all.length).toBe(2 * total);
    expect(new Set(all).size).toBe(2 * total);
    expect(second.writer.messages(whileDown.id, 'stdout')).toEqual(
      Array.from({ length: 300 }, (_, i) => String(i + 1)),
    );
    const ids = [...first.writer.of(container.id), ...second.writer.of(container.id)].map((e) => e.shiplog.id);
    expect(new Set(ids).size).toBe(2 * total);
  });

  it('captures a --rm container that lives 200 ms, and accounts for ones that live a few ms', async () => {
    const state = new MemoryStateStore();
    const { writer, notices } = await run(state, new CollectingWriter(), { forgetAfterMs: 300, saveIntervalMs: 10 });
    const long = await startContainer('seq 1 50; sleep 0.2', { name: `${prefix}rm-200ms`, autoRemove: true });
    const quick = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => startContainer('seq 1 50', { name: `${prefix}rm-quick-${n}`, autoRemove: true })),
    );
    await waitFor('the 200 ms container', () => writer.of(long.id).length === 50);
    expect(writer.messages(long.id)).toEqual(Array.from({ length: 50 }, (_, i) => String(i + 1)));
    // The others may be removed before their logs are opened; none may go unreported.
    const settled = (id: string) =>
      writer.of(id).length === 50 ||
      notices.some((n) => n.type === 'logs_unreadable' && n.containerId === id) ||
      notices.some((n) => n.type === 'container_drained' && n.containerId === id && !n.confirmed);
    await waitFor('every quick container captured or reported', () => quick.every((c) => settled(c.id)));
    // Once removed and drained, the container's metadata and checkpoint are dropped after forgetAfterMs.
    await waitFor('the 200 ms container forgotten', () =>
      notices.some((n) => n.type === 'container_forgotten' && n.containerId === long.id),
    );
    await waitFor('its checkpoint removed', () => {
      const last = state.saved.at(-1)?.value as { containers: Record<string, unknown> } | undefined;
      return last !== undefined && !(long.id in last.containers);
    });
  });

  it('uses the new container.name for lines written after a rename', async () => {
    const { writer } = await run(new MemoryStateStore());
    const container = await startContainer('i=0; while [ $i -lt 150 ]; do i=$((i+1)); echo $i; sleep 0.02; done', {
      name: `${prefix}before-rename`,
    });
    await waitFor('lines under the old name', () => writer.of(container.id).length >= 20);
    await container.rename({ name: `${prefix}after-rename` });
    await waitExit(container);
    await waitFor('every line', () => writer.of(container.id).length === 150);
    const names = writer.of(container.id).map((e) => e.container?.name);
    expect(names[0]).toBe(`${prefix}before-rename`);
    expect(names.at(-1)).toBe(`${prefix}after-rename`);
    const firstNew = names.indexOf(`${prefix}after-rename`);
    expect(names.slice(firstNew).every((n) => n === `${prefix}after-rename`)).toBe(true);
  });
});
