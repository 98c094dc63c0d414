// RFC 6587 framing, decided per connection: octet counting (§3.4.1) or
// non-transparent LF framing (§3.4.2), fed in every possible chunking.
import { describe, expect, it } from 'vitest';
import { type Frame, FrameDecoder } from '../../../../../agent/sources/syslog/framing.ts';
import { dropsIn, hexIpv4 } from '../../../../../agent/sources/syslog/kernel-drops.ts';

interface Out {
  start: number;
  text: string;
  truncated: boolean;
}

function decode(input: Buffer, max = 1024, cuts: number[] = []): { frames: Out[]; framing: string } {
  const decoder = new FrameDecoder(max);
  const frames: Frame[] = [];
  const out: Out[] = [];
  const take = () => {
    for (const f of frames) out.push({ start: f.start, text: f.bytes.toString('utf8'), truncated: f.truncated });
    frames.length = 0;
  };
  let from = 0;
  for (const cut of [...cuts, input.length]) {
    decoder.push(input.subarray(from, cut), frames);
    take();
    from = cut;
  }
  decoder.end(frames);
  take();
  return { frames: out, framing: decoder.framing };
}

/** The same result however the bytes are split in two. */
function everySplit(input: Buffer, max = 1024): Out[] {
  const whole = decode(input, max).frames;
  for (let cut = 1; cut < input.length; cut++) expect(decode(input, max, [cut]).frames, `cut at ${cut}`).toEqual(whole);
  return whole;
}

const counted = (...messages: string[]) =>
  Buffer.concat(messages.map((m) => Buffer.concat([Buffer.from(`${Buffer.byteLength(m)} `), Buffer.from(m)])));

describe('octet counting', () => {
  it('reads MSG-LEN SP SYSLOG-MSG frames, with LF inside a message kept', () => {
    const a = '<34>1 2026-01-01T00:00:00Z h app - - - first\nsecond line';
    const b = '<13>Jan  1 00:00:00 h app: next';
    const input = counted(a, b);
    const frames = everySplit(input);
    expect(frames).toEqual([
      { start: 0, text: a, truncated: false },
      { start: Buffer.byteLength(`${Buffer.byteLength(a)} ${a}`), text: b, truncated: false },
    ]);
    expect(decode(input).framing).toBe('octet-counting');
  });

  it('counts bytes, not characters', () => {
    const m = '<14>1 - - - - - - Grüße 東京 🙂';
    expect(everySplit(counted(m, m)).map((f) => f.text)).toEqual([m, m]);
  });

  it('ignores an LF a sender puts after each frame, and drops a trailing LF inside the frame', () => {
    const input = Buffer.from('5 <1>a\n6 <1>b\n\n');
    expect(everySplit(input).map((f) => f.text)).toEqual(['<1>a', '<1>b']);
  });

  it('cuts a frame longer than the cap, flags it, skips the rest and reads the next', () => {
    const long = `<14>${'x'.repeat(100)}`;
    const frames = everySplit(counted(long, '<14>after'), 20);
    expect(frames).toEqual([
      { start: 0, text: long.slice(0, 20), truncated: true },
      { start: Buffer.byteLength(`104 ${long}`), text: '<14>after', truncated: false },
    ]);
  });

  it('never cuts inside a UTF-8 character', () => {
    const frames = decode(counted(`<1>${'é'.repeat(10)}`), 8).frames;
    expect(frames[0]?.text).toBe('<1>éé');
    expect(frames[0]?.truncated).toBe(true);
  });

  it('a length that is not one is read as an LF-framed message, and counting goes on after it', () => {
    const input = Buffer.concat([Buffer.from('12x <13>broken\n'), counted('<13>fine')]);
    expect(everySplit(input).map((f) => f.text)).toEqual(['12x <13>broken', '<13>fine']);
  });

  it('a connection that ends inside a frame gives what arrived, flagged', () => {
    expect(decode(Buffer.from('40 <13>only part')).frames).toEqual([
      { start: 0, text: '<13>only part', truncated: true },
    ]);
  });

  it('a hostile length costs no memory: it is skipped as it streams past', () => {
    const decoder = new FrameDecoder(16);
    const frames: Frame[] = [];
    decoder.push(Buffer.from(`999999999 <13>${'y'.repeat(100)}`), frames);
    for (let i = 0; i < 100; i++) decoder.push(Buffer.alloc(64 * 1024, 0x61), frames);
    expect(decoder.held).toBe(0);
    expect(frames).toHaveLength(1);
    expect(frames[0]?.truncated).toBe(true);
  });
});

describe('non-transparent framing', () => {
  it('splits on LF, drops a CR before it, and keeps a last message without LF', () => {
    const input = Buffer.from('<13>Jan  1 00:00:00 h a: one\r\n<13>two\n\n<13>three');
    const frames = everySplit(input);
    expect(frames.map((f) => f.text)).toEqual(['<13>Jan  1 00:00:00 h a: one', '<13>two', '', '<13>three']);
    expect(frames[1]?.start).toBe(30);
    expect(decode(input).framing).toBe('non-transparent');
  });

  it('a message starting with a digit after the first frame stays LF-framed', () => {
    expect(everySplit(Buffer.from('<1>a\n2026 is not a length\n')).map((f) => f.text)).toEqual([
      '<1>a',
      '2026 is not a length',
    ]);
  });

  it('cuts a line longer than the cap, flags it and skips to its LF', () => {
    const frames = everySplit(Buffer.from(`<13>${'z'.repeat(50)}\n<13>next\n`), 10);
    expect(frames).toEqual([
      { start: 0, text: '<13>zzzzzz', truncated: true },
      { start: 55, text: '<13>next', truncated: false },
    ]);
  });
});

describe('/proc/net/udp drops', () => {
  const table = [
    '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
    '  10: 0100007F:14EB 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4242 2 0000000000000000 17',
    '  11: 00000000:0202 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4243 2 0000000000000000 3',
  ].join('\n');

  it('reads the drops column of the socket by local address and port', () => {
    expect(hexIpv4('127.0.0.1')).toBe('0100007F');
    expect(dropsIn(table, 5355, hexIpv4('127.0.0.1'))).toBe(17);
    expect(dropsIn(table, 514, hexIpv4('127.0.0.1'))).toBe(3);
    expect(dropsIn(table, 515, hexIpv4('127.0.0.1'))).toBeUndefined();
  });
});
