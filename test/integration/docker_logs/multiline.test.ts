// docker_logs against the real engine with multiline merge: stack traces
// printed by a container arrive as one event each, per stream, and a trace
// held by the merger survives a restart of the source exactly once.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { StateStore } from '../../../agent/pipeline/types.ts';
import { DockerLogsSource } from '../../../agent/sources/docker_logs/index.ts';
import type { MultilineConfig } from '../../../schemas/agent-config.ts';
import type { LogEvent } from '../../../schemas/log-event.ts';
import { demuxLogs, docker } from '../../helpers/docker.ts';
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

const JAVA = [
  'Exception in thread "main" java.lang.IllegalStateException: payment rejected for order 4711',
  '\tat com.example.shop.Checkout.pay(Checkout.java:112)',
  '\tat com.example.shop.Checkout.run(Checkout.java:57)',
  '\tat com.example.shop.Main.main(Main.java:21)',
  'Caused by: java.net.SocketTimeoutException: Read timed out',
  '\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:288)',
  '\tat com.example.shop.PaymentClient.send(PaymentClient.java:64)',
  '\t... 12 more',
];
const PYTHON = [
  'Traceback (most recent call last):',
  '  File "/srv/app/billing.py", line 88, in <module>',
  '    main()',
  '  File "/srv/app/billing.py", line 71, in main',
  '    total = charge(order)',
  '  File "/srv/app/billing.py", line 42, in charge',
  '    return order["amount"] / order["qty"]',
  'ZeroDivisionError: division by zero',
];
const GO = [
  'panic: runtime error: index out of range [5] with length 3',
  '',
  'goroutine 7 [running]:',
  'main.(*Worker).handle(0xc000012345, {0x4b2f10, 0x3})',
  '\t/build/worker/main.go:58 +0x1b4',
  'main.(*Worker).loop(0xc000012345)',
  '\t/build/worker/main.go:41 +0x6a',
  'created by main.start in goroutine 1',
  '\t/build/worker/main.go:30 +0x85',
  '',
  'goroutine 1 [chan receive]:',
  'main.main()',
  '\t/build/worker/main.go:22 +0x11c',
];

const auto = (flushAfter: string): MultilineConfig => ({
  mode: 'auto',
  flush_after: flushAfter,
  max_lines: 500,
  max_bytes: '1MiB',
});

describe.skipIf(!requireService('docker'))('docker_logs source: multiline merge', () => {
  const dir = tempDir('shiplog-dl-multiline-');
  writeFileSync(join(dir, 'java.txt'), `${JAVA.join('\n')}\n`);
  writeFileSync(join(dir, 'python.txt'), `${PYTHON.join('\n')}\n`);
  writeFileSync(join(dir, 'go.txt'), `${GO.join('\n')}\n`);
  const binds = [`${dir}:/data:ro`];

  const sources: DockerLogsSource[] = [];
  afterEach(async () => {
    await Promise.all(sources.splice(0).map((s) => s.stop()));
  });
  afterAll(removeStartedContainers);

  async function run(state: StateStore, multiline: MultilineConfig, writer = new CollectingWriter()) {
    const source = new DockerLogsSource({
      docker: docker(),
      writer,
      state,
      telemetry: new CountingTelemetry(),
      config: sourceConfig(prefix, { multiline }),
      hostName: 'test-host',
      tuning: { saveIntervalMs: 10 },
    });
    sources.push(source);
    await source.start();
    await waitFor('the source to connect', () => source.status().connected);
    return { source, writer };
  }

  const summary = (events: LogEvent[]) => events.map((e) => [e.message, e.shiplog.multiline ?? 1]);

  it('delivers a Java, a Python and a Go trace as one event each, per stream, ordinary lines alone', async () => {
    const { writer } = await run(new MemoryStateStore(), auto('2s'));
    // The Java trace on stdout is cut by a stderr line; the Go panic is the container's last output.
    const script = [
      'echo "request 1 ok"',
      'echo "warn: slow disk" >&2',
      'head -n 4 /data/java.txt',
      'echo "warn: mid-trace" >&2',
      'tail -n +5 /data/java.txt',
      'echo "request 2 ok"',
      'cat /data/python.txt >&2',
      'echo "err: after python" >&2',
      'echo "request 3 ok"',
      'cat /data/go.txt >&2',
    ].join('; ');
    const container = await startContainer(script, { name: `${prefix}traces`, binds });
    await waitExit(container);
    await waitFor('every event', () => writer.of(container.id).length === 9);

    expect(summary(writer.of(container.id, 'stdout'))).toEqual([
      ['request 1 ok', 1],
      [JAVA.join('\n'), JAVA.length],
      ['request 2 ok', 1],
      ['request 3 ok', 1],
    ]);
    expect(summary(writer.of(container.id, 'stderr'))).toEqual([
      ['warn: slow disk', 1],
      ['warn: mid-trace', 1],
      [PYTHON.join('\n'), PYTHON.length],
      ['err: after python', 1],
      [GO.join('\n'), GO.length],
    ]);
    const events = writer.of(container.id);
    expect(new Set(events.map((e) => e.shiplog.id)).size).toBe(events.length);
    for (const e of events) expect(e.shiplog.truncated).toBeUndefined();

    // A merged event carries its first line's timestamp, as the engine stamped it.
    const raw = await container.logs({ stdout: true, stderr: true, follow: false, timestamps: true });
    const stamped = demuxLogs(raw).flatMap((f) => f.text.split('\n').filter((l) => l !== ''));
    const stampOf = (text: string) => stamped.find((l) => l.slice(l.indexOf(' ') + 1) === text)?.split(' ')[0];
    const java = events.find((e) => e.message === JAVA.join('\n')) as LogEvent;
    expect(java['@timestamp']).toBe(stampOf(JAVA[0] as string));
    expect(java.shiplog.origin.position).toBe(java['@timestamp']);
    const go = events.find((e) => e.message === GO.join('\n')) as LogEvent;
    expect(go['@timestamp']).toBe(stampOf(GO[0] as string));
  });

  // The container prints a trace, a stderr marker `pause` seconds later, then
  // waits for `go` to appear before it writes on.
  const heldScript = (go: string, pause: number) =>
    [
      'echo before-1',
      'echo before-2',
      'cat /data/java.txt',
      `sleep ${pause}`,
      'echo marker >&2',
      `while [ ! -f /data/${go} ]; do sleep 0.1; done`,
      'echo after-1',
      'cat /data/python.txt',
      'echo after-2',
    ].join('; ');
  const expectedStdout = [
    ['before-1', 1],
    ['before-2', 1],
    [JAVA.join('\n'), JAVA.length],
    ['after-1', 1],
    [PYTHON.join('\n'), PYTHON.length],
    ['after-2', 1],
  ];

  it('restarted while a trace is held: the stop writes it, the next run neither repeats nor loses a line', async () => {
    const state = new MemoryStateStore();
    const first = await run(state, auto('1h'));
    const container = await startContainer(heldScript('go-1', 1), { name: `${prefix}held-stop`, binds });
    await waitFor('the marker', () => first.writer.messages(container.id, 'stderr').includes('marker'));
    // The trace has no continuation yet and flush_after is long: the merger holds it.
    expect(first.writer.messages(container.id, 'stdout')).toEqual(['before-1', 'before-2']);
    await first.source.stop();
    expect(summary(first.writer.of(container.id, 'stdout')).at(-1)).toEqual([JAVA.join('\n'), JAVA.length]);

    writeFileSync(join(dir, 'go-1'), '');
    const second = await run(state, auto('1h'));
    await waitExit(container);
    await waitFor('the rest', () => second.writer.messages(container.id, 'stdout').includes('after-2'));
    await second.source.stop();

    const all = [...first.writer.of(container.id), ...second.writer.of(container.id)];
    expect(summary(all.filter((e) => e.log?.stream === 'stdout'))).toEqual(expectedStdout);
    expect(all.filter((e) => e.log?.stream === 'stderr').map((e) => e.message)).toEqual(['marker']);
    expect(new Set(all.map((e) => e.shiplog.id)).size).toBe(all.length);
  });

  it('restarted while a held trace is unacknowledged: the next run reads it whole again, with the same id', async () => {
    const state = new MemoryStateStore();
    const first = await run(state, auto('1h'));
    // The marker comes more than the reorder window (5 s) after the trace: the
    // resume point reaches back to the trace only because the merger holds it.
    const container = await startContainer(heldScript('go-2', 6), { name: `${prefix}held-crash`, binds });
    await waitFor('the marker', () => first.writer.messages(container.id, 'stderr').includes('marker'));
    await waitFor('a checkpoint after the marker', () => {
      const checkpoint = first.source.status().containers.find((c) => c.id === container.id)?.checkpoint;
      return checkpoint?.stderr !== undefined && checkpoint.stdout !== undefined;
    });
    // The write of what the stop flushes is never acknowledged (as if the agent died).
    first.writer.hold();
    await first.source.stop(300);
    const acked = first.writer.events
      .slice(0, first.writer.acknowledged)
      .filter((e) => e.container?.id === container.id);
    const lost = first.writer.events.slice(first.writer.acknowledged).filter((e) => e.container?.id === container.id);
    expect(summary(lost)).toEqual([[JAVA.join('\n'), JAVA.length]]);

    writeFileSync(join(dir, 'go-2'), '');
    const second = await run(state, auto('1h'));
    await waitExit(container);
    await waitFor('the rest', () => second.writer.messages(container.id, 'stdout').includes('after-2'));
    await second.source.stop();

    const all = [...acked, ...second.writer.of(container.id)];
    expect(summary(all.filter((e) => e.log?.stream === 'stdout'))).toEqual(expectedStdout);
    expect(all.filter((e) => e.log?.stream === 'stderr').map((e) => e.message)).toEqual(['marker']);
    expect(new Set(all.map((e) => e.shiplog.id)).size).toBe(all.length);
    const again = second.writer.of(container.id).find((e) => e.message === JAVA.join('\n'));
    expect(again?.shiplog.id).toBe(lost[0]?.shiplog.id);
    expect(again?.['@timestamp']).toBe(lost[0]?.['@timestamp']);
  });
});
