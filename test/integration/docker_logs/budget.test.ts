// One bound on the bytes all containers' log streams hold between reading and
// the spool (sources.docker.max_inflight_bytes), against the real engine:
// while the spool does not acknowledge, every stream stops on the shared
// budget instead of filling a window of its own; once it acknowledges, they
// resume, and every line arrives once, in order.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DockerLogsSource, type DockerSourceStatus } from '../../../agent/sources/docker_logs/index.ts';
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

const prefix = uniquePrefix();
const LINES = 3000;
const PAD = 'x'.repeat(200);

describe.skipIf(!requireService('docker'))('docker_logs source: the in-flight byte budget', () => {
  let source: DockerLogsSource | undefined;
  afterEach(async () => {
    await source?.stop();
    source = undefined;
  });
  afterAll(removeStartedContainers);

  it('pauses every stream while the budget is used up, resumes when the spool acknowledges, loses nothing', async () => {
    const writer = new CollectingWriter();
    // The spool is full: nothing is acknowledged until release().
    writer.hold();
    const limit = 32 * 1024;
    source = new DockerLogsSource({
      docker: docker(),
      writer,
      state: new MemoryStateStore(),
      telemetry: new CountingTelemetry(),
      config: sourceConfig(prefix, { max_inflight_bytes: limit }),
      hostName: 'test-host',
    });
    await source.start();
    await waitFor('the source to connect', () => source?.status().connected === true);

    const containers = await Promise.all(
      [0, 1, 2].map((n) =>
        startContainer(`seq 1 ${LINES} | sed 's/^/c${n} line /; s/$/ ${PAD}/'`, { name: `${prefix}busy-${n}` }),
      ),
    );
    await Promise.all(containers.map(waitExit));
    const status = () => source?.status() as DockerSourceStatus;
    const followed = () => status().containers.filter((c) => c.name.startsWith(`${prefix}busy-`));

    // Each stream reads until the shared budget is used up, then stops on it.
    await waitFor('all three streams paused', () => followed().length === 3 && followed().every((c) => c.paused));
    const held = status().inflight;
    expect(held.limit).toBe(limit);
    expect(held.used).toBeGreaterThanOrEqual(limit);
    // Waiting on the budget (a stream whose few small batches filled its own window first waits on that).
    expect(held.paused).toBeGreaterThan(0);
    // Far from everything was read: the lines wait in the engine, not in the agent.
    expect(writer.events.length).toBeLessThan(3 * LINES);

    writer.release();
    await waitFor('every line', () => containers.every((c) => writer.of(c.id).length === LINES));
    for (const [n, container] of containers.entries()) {
      expect(writer.messages(container.id)).toEqual(
        Array.from({ length: LINES }, (_, i) => `c${n} line ${i + 1} ${PAD}`),
      );
    }
    await waitFor('the budget given back', () => status().inflight.used === 0);
    expect(status().inflight.paused).toBe(0);
    expect(followed().some((c) => c.paused)).toBe(false);
  });

  it.each([
    ['on the shared budget', 16 * 1024],
    ['on its own full window', 1 << 30],
  ])('stops when asked while paused %s behind a spool that never acknowledges', async (_, limit) => {
    const writer = new CollectingWriter();
    writer.hold();
    const stopping = new DockerLogsSource({
      docker: docker(),
      writer,
      state: new MemoryStateStore(),
      telemetry: new CountingTelemetry(),
      config: sourceConfig(prefix, { max_inflight_bytes: limit, include: [`${prefix}stop-${limit}`] }),
      hostName: 'test-host',
    });
    source = stopping;
    await stopping.start();
    const container = await startContainer(`seq 1 20000 | sed 's/$/ ${PAD}/'`, { name: `${prefix}stop-${limit}` });
    await waitExit(container);
    const mine = () => stopping.status().containers.find((c) => c.id === container.id);
    await waitFor('the stream paused', () => mine()?.paused === true);
    // Used to wait for room for ever when the window was full: the stop never returned.
    await stopping.stop(200);
    expect(mine()?.state).toBe('closed');
    expect(stopping.status().inflight.used).toBe(0);
  });
});
