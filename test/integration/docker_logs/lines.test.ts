// docker_logs against the real engine: what arrives, byte for byte.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DockerLogsSource } from '../../../agent/sources/docker_logs/index.ts';
import type { LogEvent } from '../../../schemas/log-event.ts';
import { docker } from '../../helpers/docker.ts';
import {
  CollectingWriter,
  CountingTelemetry,
  MemoryStateStore,
  removeStartedContainers,
  type StartOptions,
  sourceConfig,
  startContainer,
  uniquePrefix,
  waitExit,
  waitFor,
} from '../../helpers/docker-logs.ts';
import { requireService } from '../../helpers/services.ts';
import { tempDir } from '../../helpers/temp.ts';

const prefix = uniquePrefix();
const RFC3339_NANO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;

describe.skipIf(!requireService('docker'))('docker_logs source: lines', () => {
  let source: DockerLogsSource | undefined;
  afterEach(async () => {
    await source?.stop();
    source = undefined;
  });
  afterAll(removeStartedContainers);

  async function run(overrides: Parameters<typeof sourceConfig>[1] = {}): Promise<CollectingWriter> {
    const writer = new CollectingWriter();
    source = new DockerLogsSource({
      docker: docker(),
      writer,
      state: new MemoryStateStore(),
      telemetry: new CountingTelemetry(),
      config: sourceConfig(prefix, overrides),
      hostName: 'test-host',
    });
    await source.start();
    await waitFor('the source to connect', () => source?.status().connected === true);
    return writer;
  }

  it('delivers stdout and stderr lines with their stream, container name, image and allowed labels', async () => {
    const writer = await run();
    const container = await startContainer('echo out-1; echo err-1 >&2; echo "out 2 with spaces"; echo err-2 >&2', {
      name: `${prefix}basic`,
      labels: {
        'com.docker.compose.service': 'checkout',
        'com.docker.compose.project': 'shop',
        'test.kind': 'basic',
        'not.allowed': 'x',
      },
    });
    await waitFor('4 lines', () => writer.of(container.id).length === 4);

    expect(writer.messages(container.id, 'stdout')).toEqual(['out-1', 'out 2 with spaces']);
    expect(writer.messages(container.id, 'stderr')).toEqual(['err-1', 'err-2']);
    const event = writer.of(container.id)[0] as LogEvent;
    expect(event).toMatchObject({
      event: { dataset: 'docker.container_logs' },
      host: { name: 'test-host' },
      container: {
        id: container.id,
        name: `${prefix}basic`,
        image: { name: 'shiplog-test/busybox', tag: 'latest' },
        labels: {
          'com.docker.compose.service': 'checkout',
          'com.docker.compose.project': 'shop',
          'test.kind': 'basic',
        },
        runtime: 'docker',
      },
      service: { name: 'checkout' },
      shiplog: { origin: { source: 'docker', key: container.id, seq: 0 } },
    });
    expect(event.container?.labels).not.toHaveProperty('not.allowed');
    for (const e of writer.of(container.id)) {
      expect(e['@timestamp']).toMatch(RFC3339_NANO);
      expect(e.shiplog.origin.position).toBe(e['@timestamp']);
    }
    expect(new Set(writer.of(container.id).map((e) => e.shiplog.id)).size).toBe(4);
  });

  it('reads a container that ran and exited before the source started, from its first line', async () => {
    const container = await startContainer('seq 1 500; echo done >&2', { name: `${prefix}before` });
    await waitExit(container);
    const writer = await run();
    await waitFor('501 lines', () => writer.of(container.id).length === 501);
    expect(writer.messages(container.id, 'stdout')).toEqual(Array.from({ length: 500 }, (_, i) => String(i + 1)));
  });

  describe('a 1 MiB line with a 4-byte character across the 16 KiB boundary, interleaved with stderr', () => {
    const dir = tempDir('shiplog-dl-big-');
    // 16382 ASCII bytes, then U+1F600 (4 bytes) over byte 16384, then ASCII to 1 MiB.
    const EMOJI = Buffer.from('😀');
    const head = Buffer.alloc(16382, 'a');
    const tail = Buffer.from('0123456789abcdef'.repeat(65536)).subarray(0, 1024 * 1024 - head.length - EMOJI.length);
    const big = Buffer.concat([head, EMOJI, tail]);
    const bigFile = join(dir, 'big.txt');
    writeFileSync(bigFile, big);
    let count = 0;
    const errLines = Array.from({ length: 200 }, (_, i) => `err-${i + 1}`);

    async function bigLine(options: StartOptions, script: string, expected: { stdout: number; stderr: number }) {
      // Room above 1 MiB: json-file makes the line longer when it replaces the split character.
      const writer = await run({ max_line_bytes: '2MiB' });
      const name = `${prefix}big-${++count}`;
      const container = await startContainer(script, { ...options, name, binds: [`${dir}:/data:ro`] });
      await waitExit(container);
      await waitFor('every line', () => {
        const out = writer.of(container.id, 'stdout').length;
        return out === expected.stdout && writer.of(container.id, 'stderr').length === expected.stderr;
      });
      return { writer, container };
    }

    /** json-file re-encodes each fragment as a JSON string, so the engine itself replaces a split character. */
    function expectSameExceptSplitCharacter(message: string) {
      const bytes = Buffer.from(message, 'utf8');
      const replaced = bytes.subarray(head.length, bytes.length - tail.length).toString('utf8');
      expect(replaced === '😀' || /^\uFFFD+$/.test(replaced)).toBe(true);
      expect(bytes.subarray(0, head.length).equals(head)).toBe(true);
      expect(bytes.subarray(bytes.length - tail.length).equals(tail)).toBe(true);
    }

    const nonTty = '(cat /data/big.txt; echo) & for i in $(seq 1 200); do echo err-$i >&2; done; wait; echo after';

    it('non-TTY, local driver: byte-identical per stream', async () => {
      const { writer, container } = await bigLine({ logDriver: 'local' }, nonTty, { stdout: 2, stderr: 200 });
      const [line, after] = writer.of(container.id, 'stdout');
      expect(Buffer.from(line?.message ?? '', 'utf8').equals(big)).toBe(true);
      expect(line?.shiplog.partial).toBe(true);
      expect(line?.shiplog.truncated).toBeUndefined();
      expect(after?.message).toBe('after');
      expect(writer.messages(container.id, 'stderr')).toEqual(errLines);
    });

    it('non-TTY, json-file driver: identical per stream but for what the engine did to the split character', async () => {
      const { writer, container } = await bigLine({}, nonTty, { stdout: 2, stderr: 200 });
      expectSameExceptSplitCharacter(writer.messages(container.id, 'stdout')[0] ?? '');
      expect(writer.messages(container.id, 'stderr')).toEqual(errLines);
    });

    const tty = 'echo err-1 >&2; cat /data/big.txt; echo; echo err-2 >&2; cat /data/big.txt; echo; echo done';

    it('TTY, local driver: byte-identical, "\\r\\n" line ends removed, one stream', async () => {
      const { writer, container } = await bigLine({ tty: true, logDriver: 'local' }, tty, { stdout: 5, stderr: 0 });
      const lines = writer.of(container.id, 'stdout');
      expect(lines.map((l) => (l.message.length > 100 ? 'big' : l.message))).toEqual([
        'err-1',
        'big',
        'err-2',
        'big',
        'done',
      ]);
      for (const line of [lines[1], lines[3]]) {
        expect(Buffer.from(line?.message ?? '', 'utf8').equals(big)).toBe(true);
        expect(line?.shiplog.partial).toBe(true);
      }
    });

    it('TTY, json-file driver: every line, the big ones identical but for the split character', async () => {
      const { writer, container } = await bigLine({ tty: true }, tty, { stdout: 5, stderr: 0 });
      const lines = writer.messages(container.id, 'stdout');
      expect([lines[0], lines[2], lines[4]]).toEqual(['err-1', 'err-2', 'done']);
      expectSameExceptSplitCharacter(lines[1] ?? '');
      expectSameExceptSplitCharacter(lines[3] ?? '');
    });

    it('cuts a line over max_line_bytes at a character boundary and flags it', async () => {
      const writer = await run({ max_line_bytes: '16385B' });
      const container = await startContainer(nonTty, {
        name: `${prefix}capped`,
        logDriver: 'local',
        binds: [`${dir}:/data:ro`],
      });
      await waitFor('every line', () => writer.of(container.id).length === 202);
      const [line, after] = writer.of(container.id, 'stdout');
      // 16385 bytes would end inside the emoji: the cut keeps the 16382 before it.
      expect(Buffer.from(line?.message ?? '').equals(head)).toBe(true);
      expect(line?.shiplog).toMatchObject({ partial: true, truncated: true });
      expect(after?.message).toBe('after');
    });
  });

  it('vector#19105: 100k stdout and 100k stderr lines written concurrently all arrive, in order per stream', async () => {
    const writer = await run();
    const container = await startContainer('seq 1 100000 & seq 100001 200000 >&2 & wait', { name: `${prefix}flood` });
    await waitExit(container);
    await waitFor('200k lines', () => writer.of(container.id).length >= 200_000, 110_000);
    const out = writer.messages(container.id, 'stdout');
    const err = writer.messages(container.id, 'stderr');
    expect(out.length).toBe(100_000);
    expect(err.length).toBe(100_000);
    expect(out.every((m, i) => m === String(i + 1))).toBe(true);
    expect(err.every((m, i) => m === String(i + 100_001))).toBe(true);
    expect(new Set(writer.of(container.id).map((e) => e.shiplog.id)).size).toBe(200_000);
  });
});
