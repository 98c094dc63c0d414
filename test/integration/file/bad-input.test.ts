// Bad input on real files: a 100 MB line without a newline, a line that is
// not UTF-8, a path that cannot be read. Each gives a flagged event or a
// clear error; none crashes the source or grows its memory with the input.
import { appendFile, mkdir, mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../../agent/checkpoint/store.ts';
import { type Harness, seqLines, startSource, waitFor } from '../../unit/agent/sources/file/harness.ts';

const MiB = 1024 * 1024;

describe('file source: bad input', () => {
  let dir = '';
  const sources: Harness[] = [];

  function tail(paths: string[], store = new CheckpointStore(join(dir, 'state'))): Harness {
    const harness = startSource(paths, { store, config: { max_line_bytes: '1MiB' } });
    sources.push(harness);
    return harness;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shiplog-file-bad-'));
  });

  afterEach(async () => {
    for (const harness of sources.splice(0)) await harness.source.stop(2000);
    await rm(dir, { recursive: true, force: true });
  });

  it('cuts a 100 MB line without a newline at max_line_bytes, flags it, and stays small', async () => {
    const path = join(dir, 'messages');
    const handle = await open(path, 'w');
    await handle.write('Mar  3 10:00:00 host app[1]: ');
    const block = Buffer.alloc(MiB, 'A');
    for (let i = 0; i < 100; i++) await handle.write(block);
    await handle.close();
    const size = (await stat(path)).size;

    // Memory is sampled while the source works through the line.
    const baseline = process.memoryUsage().arrayBuffers;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    }, 5);
    const store = new CheckpointStore(join(dir, 'state'));
    const first = tail([path], store);
    await waitFor(() => first.writer.events.length === 1, 'the cut line');
    await waitFor(() => first.source.status()[0]?.read === size, 'the whole line read through');
    clearInterval(sampler);

    const [event] = first.writer.events;
    expect(event?.shiplog.truncated).toBe(true);
    expect(event?.process).toEqual({ name: 'app', pid: 1 });
    expect(event?.message.length).toBeLessThanOrEqual(MiB);
    expect(event?.message).toMatch(/^A+$/);
    // The line is 100 MiB; what the source held at any moment is a few MiB at most.
    expect(peak - baseline).toBeLessThan(32 * MiB);

    // Stopped in the middle of the line: a restart skips the rest of it too.
    await first.source.stop();
    await appendFile(path, `AAAA\n${seqLines(0, 1)}`);
    const second = tail([path], store);
    await waitFor(() => second.writer.events.length === 1, 'the line after the long one');
    expect(second.writer.events[0]?.message).toBe('seq=0');
  });

  it('delivers a line that is not UTF-8 with replacement characters and a tag', async () => {
    const path = join(dir, 'messages');
    await writeFile(
      path,
      Buffer.concat([
        Buffer.from('Mar  3 10:00:00 host app: latin-1 '),
        Buffer.from([0x5a, 0xfc, 0x72, 0x69, 0x63, 0x68]),
        Buffer.from(`\n${seqLines(1, 1)}`),
      ]),
    );
    const { writer } = tail([path]);
    await waitFor(() => writer.events.length === 2, 'both lines');
    expect(writer.events[0]).toMatchObject({ message: 'latin-1 Z\ufffdrich', tags: ['invalid_utf8'] });
    expect(writer.events[1]?.tags).toBeUndefined();
  });

  it('reports a path it cannot read (a directory: EISDIR even for root) and keeps tailing the rest', async () => {
    const unreadable = join(dir, 'unreadable.log');
    const good = join(dir, 'good.log');
    await mkdir(unreadable);
    await writeFile(good, seqLines(0, 3));
    const { writer, errors } = tail([unreadable, good]);
    await waitFor(() => writer.events.length === 3 && errors.length > 0, 'the good lines and the error');
    expect(errors[0]).toMatchObject({ code: 'SHIPLOG_ERR_FILE_UNREADABLE', permanent: false });
    expect(errors[0]?.message).toMatch(/unreadable\.log.*EISDIR/);
  });
});
