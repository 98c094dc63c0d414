// The real Docker engine through dockerode: the path the agent's container source takes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demuxLogs, docker, removeTestContainers, TEST_IMAGE, TEST_LABELS } from '../../helpers/docker.ts';
import { requireService } from '../../helpers/services.ts';

// RFC 3339 with nanoseconds, as the engine prefixes each line when timestamps=true.
const STAMPED = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,9}Z) (.*)$/;

describe.skipIf(!requireService('docker'))('docker engine', () => {
  beforeAll(removeTestContainers);
  afterAll(removeTestContainers);

  it('runs a labelled container and returns its stdout and stderr lines with timestamps', async () => {
    const engine = docker();
    expect(Array.isArray(await engine.listContainers({ all: true }))).toBe(true);

    const container = await engine.createContainer({
      Image: TEST_IMAGE,
      Cmd: ['/bin/sh', '-c', 'echo out-1; echo err-1 >&2; echo "out 2 with spaces"; echo err-2 >&2'],
      Labels: { ...TEST_LABELS },
      HostConfig: { NetworkMode: 'none' },
    });
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    expect(StatusCode).toBe(0);

    const listed = await engine.listContainers({ all: true, filters: { label: ['shiplog-test=1'] } });
    expect(listed.map((c) => c.Id)).toContain(container.id);

    const raw = await container.logs({ stdout: true, stderr: true, timestamps: true, follow: false });
    // json-file keeps one record per line, so each frame is one stamped line.
    const lines = demuxLogs(raw).map(({ stream, text }) => {
      const match = STAMPED.exec(text.replace(/\n$/, ''));
      expect(match, `unstamped line: ${JSON.stringify(text)}`).not.toBeNull();
      return { stream, time: match?.[1] ?? '', text: match?.[2] ?? '' };
    });
    const of = (stream: string) => lines.filter((l) => l.stream === stream).map((l) => l.text);
    // Order holds within a stream; stdout and stderr are separate pipes.
    expect(of('stdout')).toEqual(['out-1', 'out 2 with spaces']);
    expect(of('stderr')).toEqual(['err-1', 'err-2']);
    for (const { time } of lines) expect(Number.isNaN(Date.parse(time))).toBe(false);

    await container.remove({ force: true });
  });
});
