// The file source tailing a file that a real rsyslogd writes (omfile), while
// the file is rotated the ways logrotate and operators rotate it. Messages
// reach rsyslogd from util-linux logger over TCP; each carries a sequence
// number, and afterwards every number must have arrived exactly once.
import { execFile, spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdtemp, readdir, readFile, rename, rm, stat, truncate, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGzip } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../../agent/checkpoint/store.ts';
import { type Rsyslog, startRsyslog } from '../../helpers/rsyslog.ts';
import { requireService } from '../../helpers/services.ts';
import {
  exactlyOnce,
  type Harness,
  MemoryWriter,
  seqsOf,
  startSource,
  waitFor,
} from '../../unit/agent/sources/file/harness.ts';

const run = promisify(execFile);

// rsyslog's own file formats: RSYSLOG_TraditionalFileFormat (RHEL's default)
// and RSYSLOG_FileFormat (high precision, Debian's default).
const TRADITIONAL = '%TIMESTAMP% %HOSTNAME% %syslogtag%%msg:::sp-if-no-1st-sp%%msg:::drop-last-lf%\n';
const HIGH_PRECISION = '%TIMESTAMP:::date-rfc3339% %HOSTNAME% %syslogtag%%msg:::sp-if-no-1st-sp%%msg:::drop-last-lf%\n';

describe.skipIf(!requireService('rsyslog'))('file source: rsyslog-written file, rotation matrix', () => {
  let dir = '';
  let log = '';
  let rsyslog: Rsyslog | undefined;
  const sources: Harness[] = [];

  async function tail(options: Parameters<typeof startSource>[1] = {}): Promise<Harness> {
    const harness = startSource([log], { store: new CheckpointStore(join(dir, 'state')), ...options });
    sources.push(harness);
    return harness;
  }

  /** Sends lines through logger (TCP, one process) and waits until rsyslogd has written the last one somewhere. */
  async function emit(lines: string[]): Promise<void> {
    if (!rsyslog) throw new Error('rsyslog not started');
    const child = spawn('logger', ['-n', '127.0.0.1', '-P', String(rsyslog.tcpPort), '-T', '-t', 'shiplogtest'], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    child.stdin.end(`${lines.join('\n')}\n`);
    await new Promise((resolve, reject) => child.on('exit', resolve).on('error', reject));
    const last = `${lines.at(-1)}\n`;
    await waitFor(() => written.includes(last), `rsyslogd to write ${last}`, 30_000, refreshWritten);
  }

  async function send(from: number, count: number): Promise<void> {
    const lines: string[] = [];
    for (let i = from; i < from + count; i++) lines.push(`seq=${i} payload ${'x'.repeat(i % 40)}`);
    await emit(lines);
  }

  /**
   * What logrotate's postrotate does (SIGHUP), and then waits until rsyslogd
   * really writes into a new file at `log`: it handles the signal
   * asynchronously. The probe lines carry no seq and are not counted.
   */
  let probes = 0;
  async function reopen(): Promise<void> {
    rsyslog?.reopenFiles();
    for (;;) {
      const probe = `probe=${probes++}`;
      await emit([probe]);
      if ((await readFile(log, 'utf8').catch(() => '')).includes(`${probe}\n`)) return;
    }
  }

  /** Delivered sequence numbers (probes excluded). */
  const delivered = (writer: MemoryWriter): number => seqsOf(writer.events).length;

  let written = '';
  async function refreshWritten(): Promise<void> {
    const names = (await readdir(dir)).filter((name) => name.startsWith('messages') && !name.endsWith('.gz'));
    const texts = await Promise.all(names.map((name) => readFile(join(dir, name), 'utf8').catch(() => '')));
    written = texts.join('');
  }

  /**
   * A source that holds `log` open with its first batch not yet acknowledged,
   * so that whatever the test does next finds unread lines in the file.
   */
  async function lagging(): Promise<MemoryWriter> {
    const writer = new MemoryWriter();
    writer.block();
    await tail({ writer, options: { batchEvents: 10, readChunkBytes: 1024 } });
    await send(0, 300);
    await waitFor(() => writer.pending === 1, 'the first (held) write');
    return writer;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shiplog-file-it-'));
    log = join(dir, 'messages');
    rsyslog = await startRsyslog({ outFile: log, template: TRADITIONAL });
  });

  afterEach(async () => {
    for (const harness of sources.splice(0)) await harness.source.stop(2000);
    await rsyslog?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('ships every line rsyslogd writes, parsed into log.syslog and process fields', async () => {
    const { writer } = await tail();
    await send(0, 500);
    await waitFor(() => delivered(writer) >= 500, '500 events');
    expect(exactlyOnce(writer.events, 500)).toEqual({ missing: [], duplicated: [] });
    const event = writer.events.find((e) => e.message.startsWith('seq=7 '));
    expect(event).toMatchObject({
      log: { file: { path: log }, syslog: { appname: 'shiplogtest', hostname: expect.any(String) } },
      process: { name: 'shiplogtest' },
    });
    expect(event?.shiplog.parse_failure).toBeUndefined();
    // Traditional timestamps carry no zone or year: they must land near now, never in the future.
    const at = Date.parse(event?.['@timestamp'] ?? '');
    expect(Math.abs(at - Date.now())).toBeLessThan(3_600_000);
  });

  it('parses the high-precision format with its microseconds', async () => {
    await rsyslog?.stop();
    rsyslog = await startRsyslog({ outFile: log, template: HIGH_PRECISION });
    const { writer } = await tail();
    await send(0, 50);
    await waitFor(() => delivered(writer) >= 50, '50 events');
    expect(writer.events[0]?.['@timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(writer.events[0]?.shiplog.parse_failure).toBeUndefined();
  });

  it('rename + create: finishes the old file through its descriptor, then reads the new one', async () => {
    const writer = await lagging();
    await rename(log, `${log}.1`);
    // rsyslogd keeps writing into the renamed file until it is told to reopen.
    await send(300, 100);
    await reopen();
    await send(400, 300);
    writer.unblock();
    await waitFor(() => delivered(writer) >= 700, '700 events');
    expect(exactlyOnce(writer.events, 700)).toEqual({ missing: [], duplicated: [] });
  });

  it('copytruncate while the source lags behind: the unread tail comes from the copy', async () => {
    const writer = await lagging();
    await copyFile(log, `${log}.1`);
    await truncate(log, 0);
    await send(300, 300);
    writer.unblock();
    await waitFor(() => delivered(writer) >= 600, '600 events');
    expect(exactlyOnce(writer.events, 600)).toEqual({ missing: [], duplicated: [] });
  });

  it('delete + recreate: drains the deleted file, then reads its successor from the start', async () => {
    const writer = await lagging();
    await unlink(log);
    await reopen();
    await send(300, 200);
    writer.unblock();
    await waitFor(() => delivered(writer) >= 500, '500 events');
    expect(exactlyOnce(writer.events, 500)).toEqual({ missing: [], duplicated: [] });
  });

  it('catches up after downtime: rotated and gzipped files are read first, in order, nothing twice', async () => {
    const first = await tail();
    await send(0, 200);
    await waitFor(() => delivered(first.writer) >= 200, 'the first 200');
    await first.source.stop();
    const before = (await stat(log)).ino;

    // While the agent is down: more lines, then two rotations with delaycompress.
    await send(200, 100);
    await rename(log, `${log}.1`);
    await reopen();
    await send(300, 100);
    await rename(`${log}.1`, `${log}.2`);
    await pipeline(createReadStream(`${log}.2`), createGzip(), createWriteStream(`${log}.2.gz`));
    await unlink(`${log}.2`);
    await rename(log, `${log}.1`);
    await reopen();
    await send(400, 100);
    expect((await stat(`${log}.1`)).ino).not.toBe(before);

    const second = await tail();
    await waitFor(() => delivered(second.writer) >= 300, 'the 300 lines written while stopped');
    expect(seqsOf(second.writer.events)).toEqual(Array.from({ length: 300 }, (_, i) => 200 + i));
    expect(exactlyOnce([...first.writer.events, ...second.writer.events], 500)).toEqual({
      missing: [],
      duplicated: [],
    });
  });

  it('restarted source re-reads none of a rotated sibling it had finished (the glob matches it too)', async () => {
    const first = startSource([`${log}*`], { store: new CheckpointStore(join(dir, 'state')) });
    sources.push(first);
    await send(0, 100);
    await rename(log, `${log}.1`);
    await reopen();
    await send(100, 100);
    await waitFor(() => delivered(first.writer) >= 200, '200 events');
    await first.source.stop();
    await run('gzip', [`${log}.1`]);
    const second = startSource([`${log}*`], { store: new CheckpointStore(join(dir, 'state')) });
    sources.push(second);
    await send(200, 50);
    await waitFor(() => delivered(second.writer) >= 50, 'the new lines');
    expect(exactlyOnce([...first.writer.events, ...second.writer.events], 250)).toEqual({
      missing: [],
      duplicated: [],
    });
  });
});
