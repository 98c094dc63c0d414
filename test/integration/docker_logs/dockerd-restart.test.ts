// docker_logs when dockerd itself restarts under it (vector#19681): the source
// reconnects on its own and nothing written before or after is lost or
// doubled. Stops the shared test dockerd for a few seconds; set
// SHIPLOG_TEST_NO_DOCKERD_RESTART=1 to skip it on a shared machine.
import { afterAll, describe, expect, it } from 'vitest';
import { DockerLogsSource, type DockerSourceNotice } from '../../../agent/sources/docker_logs/index.ts';
import { docker } from '../../helpers/docker.ts';
import {
  CollectingWriter,
  CountingTelemetry,
  canRestartDockerd,
  engineLines,
  MemoryStateStore,
  removeStartedContainers,
  restartDockerd,
  sourceConfig,
  startContainer,
  uniquePrefix,
  waitExit,
  waitFor,
} from '../../helpers/docker-logs.ts';
import { requireService } from '../../helpers/services.ts';

const prefix = uniquePrefix();

describe.skipIf(!requireService('docker') || !canRestartDockerd())('docker_logs source: dockerd restart', () => {
  afterAll(removeStartedContainers);

  it('reconnects after dockerd restarts and delivers every line written before and after, once', async () => {
    const writer = new CollectingWriter();
    const notices: DockerSourceNotice[] = [];
    const source = new DockerLogsSource({
      docker: docker(),
      writer,
      state: new MemoryStateStore(),
      telemetry: new CountingTelemetry(),
      config: sourceConfig(prefix),
      hostName: 'test-host',
      onEvent: (notice) => notices.push(notice),
    });
    const connections = () => notices.filter((n) => n.type === 'engine_connected').length;
    try {
      await source.start();
      await waitFor('the source to connect', () => connections() === 1);

      // Numbered lines on both streams, tagged with the run, restarted by the engine after its own restart.
      const survivor = await startContainer(
        `trap 'exit 0' TERM; run=$(cat /proc/sys/kernel/random/uuid); i=0; ` +
          `while true; do i=$((i+1)); echo "$run $i"; [ $((i % 5)) = 0 ] && echo "$run err $i" >&2; sleep 0.02; done`,
        { name: `${prefix}survivor`, restart: 'always' },
      );
      await waitFor('lines before the restart', () => writer.of(survivor.id).length >= 50);

      await restartDockerd(async () => {
        await waitFor('the source to notice', () => notices.some((n) => n.type === 'engine_unreachable'));
      });
      await waitFor('the source to reconnect', () => connections() >= 2, 60_000);
      const runs = () => new Set(writer.messages(survivor.id, 'stdout').map((m) => m.split(' ')[0]));
      await waitFor('lines of the run after the restart', () => runs().size >= 2, 60_000);

      const after = await startContainer('seq 1 100; echo after >&2', { name: `${prefix}after-restart` });
      await waitExit(after);
      await waitFor('the container started after the restart', () => writer.of(after.id).length === 101);

      await survivor.stop({ t: 2 });
      await waitFor('the survivor drained', () =>
        notices.some((n) => n.type === 'container_drained' && n.containerId === survivor.id && n.confirmed),
      );
      const truth = await engineLines(survivor);
      expect(writer.messages(survivor.id, 'stdout')).toEqual(truth.stdout);
      expect(writer.messages(survivor.id, 'stderr')).toEqual(truth.stderr);
      expect(truth.stdout.length).toBeGreaterThan(50);
      expect(writer.messages(after.id, 'stdout')).toEqual(Array.from({ length: 100 }, (_, i) => String(i + 1)));
    } finally {
      await source.stop();
    }
  });
});
