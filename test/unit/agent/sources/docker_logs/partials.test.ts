import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameParser } from '../../../../../agent/sources/docker_logs/frames.ts';
import {
  type Message,
  parseStamp,
  parseStampedPayload,
  type Stamp,
  type StreamName,
} from '../../../../../agent/sources/docker_logs/lines.ts';
import { type Line, PartialAssembler, trimToCharBoundary } from '../../../../../agent/sources/docker_logs/partials.ts';
import { RawSplitter } from '../../../../../agent/sources/docker_logs/raw.ts';

const stampAt = (i: number): Stamp => {
  const text = `2026-11-25T16:21:03.${String(100_000_000 + i).padStart(9, '0')}Z`;
  return parseStamp(text) as Stamp;
};

const message = (stream: StreamName, stamp: Stamp, body: string | Buffer, end: Message['end']): Message => ({
  stream,
  stamp,
  body: Buffer.isBuffer(body) ? body : Buffer.from(body),
  end,
});

interface Written {
  stream: StreamName;
  bytes: Buffer;
}

/** What the engine sends for `lines`: each cut into `fragment`-byte partial messages sharing the first stamp. */
function engineMessages(
  lines: Written[],
  fragment: number,
): Array<{ stream: StreamName; stamp: Stamp; payload: Buffer }> {
  const out: Array<{ stream: StreamName; stamp: Stamp; payload: Buffer }> = [];
  lines.forEach((line, i) => {
    const stamp = stampAt(i);
    for (let at = 0; at < line.bytes.length || at === 0; at += fragment) {
      const piece = line.bytes.subarray(at, at + fragment);
      const last = at + fragment >= line.bytes.length;
      out.push({
        stream: line.stream,
        stamp,
        payload: Buffer.concat([Buffer.from(`${stamp.text} `), piece, last ? Buffer.from('\n') : Buffer.alloc(0)]),
      });
      if (last) break;
    }
  });
  return out;
}

/** Interleaves two streams' messages the way two goroutines might, keeping each stream's order. */
function interleave<T extends { stream: StreamName }>(messages: T[], picks: boolean[]): T[] {
  const out = messages.filter((m) => m.stream === 'stdout');
  const err = messages.filter((m) => m.stream === 'stderr');
  const merged: T[] = [];
  let i = 0;
  while (out.length > 0 || err.length > 0) {
    const takeErr = err.length > 0 && (out.length === 0 || picks[i++ % Math.max(1, picks.length)]);
    merged.push((takeErr ? err.shift() : out.shift()) as T);
  }
  return merged;
}

function frame(stream: StreamName, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream === 'stdout' ? 1 : 2;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

function cut(data: Buffer, sizes: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let at = 0;
  let i = 0;
  while (at < data.length) {
    const size = Math.max(1, sizes.length > 0 ? (sizes[i++ % sizes.length] as number) : data.length);
    chunks.push(data.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

function assemble(messages: Message[], maxBytes: number, tty = false, fragmentBytes?: number): Line[] {
  const assemblers = {
    stdout: new PartialAssembler('stdout', maxBytes, tty, fragmentBytes),
    stderr: new PartialAssembler('stderr', maxBytes, false, fragmentBytes),
  };
  const lines = messages.flatMap((m) => assemblers[m.stream].push(m));
  for (const a of Object.values(assemblers)) {
    const orphan = a.flush();
    if (orphan) lines.push(orphan);
  }
  return lines;
}

/** Text with 1- to 4-byte UTF-8 characters, so fragment cuts land inside characters. */
const utf8Text = fc
  .array(fc.constantFrom('a', 'Z', ' ', 'é', '€', '😀', '\t', 'ü', '\r'), { maxLength: 60 })
  .map((chars) => chars.join(''));

const writtenLines = fc.array(
  fc.record({ stream: fc.constantFrom<StreamName>('stdout', 'stderr'), bytes: utf8Text.map((t) => Buffer.from(t)) }),
  { maxLength: 25 },
);

describe('partial reassembly over multiplexed frames', () => {
  it('gives back every line byte-identical per stream, whatever the fragment size, interleaving and chunking', () => {
    fc.assert(
      fc.property(
        writtenLines,
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.boolean(), { maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 20 }),
        (lines, fragment, picks, sizes) => {
          const engine = interleave(engineMessages(lines, fragment), picks);
          const data = Buffer.concat(engine.map((m) => frame(m.stream, m.payload)));
          const parser = new FrameParser(1024);
          const messages: Message[] = cut(data, sizes)
            .flatMap((c) => parser.push(c))
            .map((f) => {
              const parsed = parseStampedPayload(f.payload);
              if (!parsed) throw new Error('unstamped payload');
              return message(f.stream, parsed.stamp, parsed.body, parsed.complete ? 'line' : 'fragment');
            });
          const out = assemble(messages, 1 << 20, false, fragment);
          for (const stream of ['stdout', 'stderr'] as const) {
            expect(out.filter((l) => l.stream === stream).map((l) => l.bytes.toString('utf8'))).toEqual(
              lines.filter((l) => l.stream === stream).map((l) => l.bytes.toString('utf8')),
            );
          }
          for (const line of out) {
            const original = lines.find((_, i) => stampAt(i).text === line.stamp.text);
            expect(line.partial).toBe((original?.bytes.length ?? 0) > fragment);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('joins bytes before decoding: a 4-byte character across the fragment boundary comes out whole', () => {
    const text = `${'a'.repeat(16382)}😀${'b'.repeat(100)}`;
    const bytes = Buffer.from(text);
    const stamp = stampAt(1);
    const lines = assemble(
      [
        message('stdout', stamp, bytes.subarray(0, 16384), 'fragment'),
        message('stderr', stampAt(2), 'interleaved', 'line'),
        message('stdout', stamp, bytes.subarray(16384), 'line'),
      ],
      1 << 20,
    );
    expect(lines.map((l) => [l.stream, l.bytes.toString('utf8') === text || l.bytes.toString()])).toEqual([
      ['stderr', 'interleaved'],
      ['stdout', true],
    ]);
    expect(lines[1]?.partial).toBe(true);
  });

  it('cuts a line over the cap at a character boundary and flags it truncated', () => {
    const stamp = stampAt(3);
    const [line] = assemble(
      [
        message('stdout', stamp, 'aaaaaaa😀', 'fragment'),
        message('stdout', stamp, 'bbbbbbbbbbbbbbbbbbbb', 'fragment'),
        message('stdout', stamp, 'cccc', 'line'),
      ],
      9,
      false,
      11,
    );
    expect(line?.bytes.toString('utf8')).toBe('aaaaaaa');
    expect(line?.truncated).toBe(true);
    expect(line?.partial).toBe(true);
  });

  it('flushes a fragment as an orphan when the next message of its stream has another stamp', () => {
    const lines = assemble(
      [
        message('stdout', stampAt(1), 'no newline before exit', 'fragment'),
        message('stdout', stampAt(2), 'next run', 'line'),
      ],
      1024,
    );
    expect(lines.map((l) => [l.bytes.toString(), l.partial, l.stamp.text])).toEqual([
      ['no newline before exit', true, stampAt(1).text],
      ['next run', false, stampAt(2).text],
    ]);
  });

  it('ends a line at a fragment shorter than 16 KiB even without its newline (local driver), not at the next line', () => {
    const stamp = stampAt(1);
    const assembler = new PartialAssembler('stdout', 1 << 20);
    expect(assembler.push(message('stdout', stamp, Buffer.alloc(16384, 0x61), 'fragment'))).toEqual([]);
    const [line] = assembler.push(message('stdout', stamp, 'end of it', 'fragment'));
    expect(line?.bytes.length).toBe(16384 + 9);
    expect(line?.partial).toBe(true);
    expect(assembler.pending).toBeUndefined();
  });

  it('keeps only what the cap allows while a pending line grows (bounded memory)', () => {
    const assembler = new PartialAssembler('stdout', 1000);
    const stamp = stampAt(1);
    for (let i = 0; i < 1000; i++) assembler.push(message('stdout', stamp, Buffer.alloc(16384, 0x61), 'fragment'));
    const [line] = assembler.push(message('stdout', stamp, 'end', 'line'));
    expect(line?.bytes.length).toBe(1000);
    expect(line?.truncated).toBe(true);
  });
});

describe('raw TTY streams', () => {
  /** What the engine sends for a TTY container: "<stamp> " before every fragment, "\r\n" line ends. */
  function rawStream(lines: Buffer[], fragment: number): Buffer {
    return Buffer.concat(
      engineMessages(
        lines.map((bytes) => ({ stream: 'stdout' as const, bytes: Buffer.concat([bytes, Buffer.from('\r')]) })),
        fragment,
      ).map((m) => m.payload),
    );
  }

  it('splits lines, finds fragment boundaries by the repeated stamp, and drops the "\\r" of "\\r\\n"', () => {
    fc.assert(
      fc.property(
        fc.array(
          utf8Text.map((t) => Buffer.from(t.replaceAll('\r', ''))),
          { maxLength: 20 },
        ),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 1, max: 80 }), { maxLength: 20 }),
        (lines, fragment, sizes) => {
          const splitter = new RawSplitter(fragment);
          const messages = cut(rawStream(lines, fragment), sizes).flatMap((c) => splitter.push(c));
          messages.push(...splitter.end());
          const out = assemble(messages, 1 << 20, true, fragment);
          expect(out.map((l) => l.bytes.toString('utf8'))).toEqual(lines.map((l) => l.toString('utf8')));
          expect(out.every((l) => l.stream === 'stdout')).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('hands on a fragment left at the end of the stream (a TTY container exiting mid-line)', () => {
    const splitter = new RawSplitter();
    const messages = splitter.push(Buffer.from(`${stampAt(1).text} done\r\n${stampAt(2).text} no newline`));
    messages.push(...splitter.end());
    expect(assemble(messages, 1024, true).map((l) => [l.bytes.toString(), l.partial])).toEqual([
      ['done', false],
      ['no newline', true],
    ]);
  });

  it('finds the next message after a last fragment without "\\n" (local driver) by its later timestamp', () => {
    const big = Buffer.alloc(16384, 0x62);
    const stream = Buffer.concat([
      Buffer.from(`${stampAt(1).text} `),
      big,
      Buffer.from(`${stampAt(1).text} \r${stampAt(2).text} err-2\r\n${stampAt(3).text} done\r\n`),
    ]);
    const splitter = new RawSplitter();
    const messages = cut(stream, [1000]).flatMap((c) => splitter.push(c));
    messages.push(...splitter.end());
    const lines = assemble(messages, 1 << 20, true);
    expect(lines.map((l) => (l.bytes.equals(big) ? 'big' : l.bytes.toString()))).toEqual(['big', 'err-2', 'done']);
    expect(lines.map((l) => l.partial)).toEqual([true, false, false]);
  });

  it('ends an orphan fragment where a later run of the container starts writing', () => {
    const splitter = new RawSplitter();
    const messages = splitter.push(Buffer.from(`${stampAt(1).text} no newline${stampAt(2).text} next run\r\n`));
    expect(assemble(messages, 1024, true).map((l) => l.bytes.toString())).toEqual(['no newline', 'next run']);
  });

  it("keeps an application timestamp inside a line when it is earlier than the line's own", () => {
    const splitter = new RawSplitter();
    const text = `at ${stampAt(1).text} the job ran`;
    const messages = splitter.push(Buffer.from(`${stampAt(2).text} ${text}\r\n`));
    expect(assemble(messages, 1024, true).map((l) => l.bytes.toString())).toEqual([text]);
  });

  it('refuses a raw stream whose messages carry no timestamp', () => {
    expect(() => new RawSplitter().push(Buffer.from('hello world, this has no timestamp at all\n'))).toThrow(
      expect.objectContaining({ code: 'SHIPLOG_ERR_DOCKER_LOGS_STREAM' }),
    );
  });
});

describe('trimToCharBoundary', () => {
  it.each([
    ['abc', 'abc'],
    ['ab\u00e9', 'ab\u00e9'],
    ['😀', '😀'],
  ])('keeps complete text %s', (text, expected) => {
    expect(trimToCharBoundary(Buffer.from(text)).toString()).toBe(expected);
  });

  it('drops an incomplete character at the end', () => {
    const emoji = Buffer.from('😀');
    for (let keep = 1; keep < 4; keep++) {
      const cutBytes = Buffer.concat([Buffer.from('ab'), emoji.subarray(0, keep)]);
      expect(trimToCharBoundary(cutBytes).toString()).toBe('ab');
    }
  });
});
