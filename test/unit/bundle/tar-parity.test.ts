// Issue #10's promise as a property: whatever an attacker does to a genuine
// bundle (bytes flipped, entries of every type inserted, header fields
// rewritten or respelled, pax records with any key, the seal re-signed with
// their own key over extra files, the compressed stream cut into members or
// frames), `shiplog verify` either refuses it or every tar a vendor might use
// (GNU tar, bsdtar, Python's tarfile) unpacks it to exactly the files the
// signed manifest lists, with exactly those bytes. The run is bounded and
// seeded: a failure prints the seed and the shrunk case, which replays with
// `fc.assert(..., { seed, path })`.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateSigningKey, type SigningKey } from '../../../agent/bundle/seal/signing-key.ts';
import { type VerifiedBundle, verifyBundle } from '../../../agent/bundle/verify.ts';
import {
  type Compression,
  compressPieces,
  contentFiles,
  decompress,
  fixChecksum,
  type HeaderField,
  headerBlock,
  headerFields,
  oldGnuMagic,
  padding,
  paxRecords,
  setField,
  signedTar,
  tarEntry,
  tarRecords,
  ustarMagic,
} from '../../helpers/hostile-bundles.ts';
import { differences, tars, unpack } from '../../helpers/tar-unpack.ts';
import { tempDir } from '../../helpers/temp.ts';
import { buildBundle } from '../agent/bundle/seal/make-bundle.ts';

/** Issue 10, replayable: change it only together with the run count. */
const seed = 10_2026;
const runsPerCompression = 120;

let dir: string;
let genuineTar: Buffer;
let attacker: SigningKey;
const genuineFile: Partial<Record<Compression, string>> = {};

beforeAll(async () => {
  dir = tempDir('shiplog-parity-');
  const dataDir = join(dir, 'data');
  for (const compression of ['gzip', 'zstd'] as const) {
    const built = await buildBundle(dir, { compression, dataDir, name: `genuine.${compression}` });
    genuineFile[compression] = built.path;
  }
  genuineTar = decompress(readFileSync(genuineFile.gzip as string), 'gzip');
  attacker = loadOrCreateSigningKey(join(dir, 'attacker'));
});

// ------------------------------------------------------------ the model of a mutated bundle

/** Bytes are latin1 strings in the model, so a failing case prints readably. */
const bytesOf = (text: string) => Buffer.from(text, 'latin1');
const latin1 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

type Mutation =
  /** Writes a header field of entry `entry` (modulo the count), the checksum fixed when `fix`. */
  | { kind: 'field'; entry: number; field: HeaderField; value: string; fix: boolean }
  /** Writes entry `entry`'s size, mode, mtime or checksum field with another spelling of the same number. */
  | { kind: 'spell'; entry: number; field: 'size' | 'mode' | 'mtime' | 'uid' | 'checksum'; spelling: Spelling }
  /** Inserts a crafted entry before entry `at`. */
  | { kind: 'insert'; at: number; type: string; name: string; body: string; linkname: string; mode: number }
  /** Inserts a pax header of these records before entry `at`. */
  | { kind: 'pax'; at: number; type: 'x' | 'g'; records: Array<[string, string]> }
  /** Flips bits of one byte of entry `entry`, in its header block (checksum fixed when `fix`) or anywhere. */
  | { kind: 'flip'; entry: number; offset: number; xor: number; inHeader: boolean; fix: boolean }
  /** Moves the directory part of entry `entry`'s name into the prefix field (valid ustar). */
  | { kind: 'prefix'; entry: number; magic: 'ustar' | 'old-gnu' }
  /** Gives entry `entry` a pax path header, and `headerName` in its own name field. */
  | { kind: 'to-pax'; entry: number; headerName: string }
  /** Replaces what follows the last entry (the end marker). */
  | { kind: 'tail'; tail: string };

interface Case {
  /** Re-sign with the attacker's key, listing these extra files (appended as plain entries). */
  readonly resign: Array<{ name: string; body: string }> | null;
  readonly mutations: Mutation[];
  /** Where the tar is cut into separate members or frames (fractions of its length). */
  readonly cuts: number[];
}

interface Entry {
  bytes: Buffer;
  /** Offset of the entry's own header within `bytes` (after a pax header). */
  header: number;
}

type Spelling =
  | 'nul'
  | 'space-nul'
  | 'space'
  | 'lead-spaces'
  | 'lead-nbsp'
  | 'lead-tab'
  | 'lead-ff'
  | 'full'
  | 'base256';

/** `value` written into a field of `width` bytes the way `spelling` says. */
function spell(value: number, width: number, spelling: Spelling): Buffer {
  const digits = value.toString(8);
  const pad = (room: number) => digits.padStart(room, '0');
  switch (spelling) {
    case 'nul':
      return bytesOf(`${pad(width - 1)}\0`);
    case 'space-nul':
      return bytesOf(`${pad(width - 2)} \0`);
    case 'space':
      return bytesOf(`${pad(width - 1)} `);
    case 'lead-spaces':
      return bytesOf(`${digits.padStart(width - 1, ' ')}\0`);
    case 'lead-nbsp':
      return bytesOf(`\xa0${pad(width - 2)}\0`);
    case 'lead-tab':
      return bytesOf(`\t${pad(width - 2)}\0`);
    case 'lead-ff':
      return bytesOf(`\f${pad(width - 2)}\0`);
    case 'full':
      return bytesOf(pad(width));
    case 'base256': {
      const field = Buffer.alloc(width);
      field[0] = 0x80;
      for (let i = width - 1, rest = value; i > 0; i--, rest = Math.floor(rest / 256)) field[i] = rest % 256;
      return field;
    }
  }
}

function readNumber(field: Buffer): number {
  if (((field[0] ?? 0) & 0x80) !== 0) {
    let value = 0;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    return value;
  }
  return Number.parseInt(field.toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8) || 0;
}

function checksumOf(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (header[i] as number);
  return sum;
}

function apply(mutation: Mutation, entries: Entry[], tail: { bytes: Buffer }): void {
  const pick = (index: number) => entries[index % entries.length] as Entry;
  const ownHeader = (entry: Entry) => entry.bytes.subarray(entry.header, entry.header + 512);
  const copy = (entry: Entry) => {
    entry.bytes = Buffer.from(entry.bytes);
    return ownHeader(entry);
  };
  switch (mutation.kind) {
    case 'field': {
      const header = copy(pick(mutation.entry));
      setField(header, mutation.field, bytesOf(mutation.value));
      if (mutation.fix) fixChecksum(header);
      return;
    }
    case 'spell': {
      const header = copy(pick(mutation.entry));
      const [from, to] = headerFields[mutation.field];
      if (mutation.field === 'checksum') {
        if (mutation.spelling === 'base256') return;
        spell(checksumOf(header), to - from, mutation.spelling).copy(header, from);
        return;
      }
      spell(readNumber(header.subarray(from, to)), to - from, mutation.spelling).copy(header, from);
      fixChecksum(header);
      return;
    }
    case 'insert': {
      const body = bytesOf(mutation.body);
      const bytes = tarEntry(
        {
          name: bytesOf(mutation.name),
          type: mutation.type,
          linkname: bytesOf(mutation.linkname),
          mode: mutation.mode,
        },
        body,
      );
      entries.splice(mutation.at % (entries.length + 1), 0, { bytes, header: 0 });
      return;
    }
    case 'pax': {
      const records = paxRecords(mutation.records.map(([key, value]) => [key, value]));
      const bytes = Buffer.concat([
        headerBlock({ name: 'PaxHeader', type: mutation.type, size: records.length }),
        records,
        padding(records.length),
      ]);
      entries.splice(mutation.at % (entries.length + 1), 0, { bytes, header: 0 });
      return;
    }
    case 'flip': {
      const entry = pick(mutation.entry);
      const header = copy(entry);
      if (mutation.inHeader) {
        const at = mutation.offset % 512;
        header[at] = (header[at] as number) ^ mutation.xor;
        if (mutation.fix && (at < 148 || at >= 156)) fixChecksum(header);
      } else {
        const at = mutation.offset % entry.bytes.length;
        entry.bytes[at] = (entry.bytes[at] as number) ^ mutation.xor;
      }
      return;
    }
    case 'prefix': {
      const header = copy(pick(mutation.entry));
      const name = header.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '');
      const slash = name.lastIndexOf('/');
      if (slash > 0) {
        setField(header, 'prefix', bytesOf(name.slice(0, slash)));
        setField(header, 'name', bytesOf(name.slice(slash + 1)));
      }
      (mutation.magic === 'ustar' ? ustarMagic : oldGnuMagic).copy(header, 257);
      fixChecksum(header);
      return;
    }
    case 'to-pax': {
      const entry = pick(mutation.entry);
      if (entry.header !== 0) return;
      const header = Buffer.from(entry.bytes.subarray(0, 512));
      const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
      const records = paxRecords([['path', name]]);
      setField(header, 'name', bytesOf(mutation.headerName));
      fixChecksum(header);
      const pax = Buffer.concat([
        headerBlock({ name: 'PaxHeader', type: 'x', size: records.length }),
        records,
        padding(records.length),
      ]);
      entry.bytes = Buffer.concat([pax, header, entry.bytes.subarray(512)]);
      entry.header = pax.length;
      return;
    }
    case 'tail':
      tail.bytes = bytesOf(mutation.tail);
      return;
  }
}

function build(testCase: Case): Buffer {
  const base = testCase.resign
    ? signedTar(attacker, [
        ...contentFiles(genuineTar),
        ...testCase.resign.map((file) => ({ path: bytesOf(file.name).toString('utf8'), body: bytesOf(file.body) })),
      ])
    : genuineTar;
  const { records, end } = tarRecords(base);
  const entries: Entry[] = records.map((record) => ({
    bytes: base.subarray(record.start, record.end),
    header: record.header - record.start,
  }));
  const tail = { bytes: base.subarray(end) };
  for (const mutation of testCase.mutations) apply(mutation, entries, tail);
  return Buffer.concat([...entries.map((entry) => entry.bytes), tail.bytes]);
}

// ------------------------------------------------------------ arbitraries

const typeflags = ['0', '1', '2', '3', '4', '5', '6', '7', '\0', 'x', 'g', 'L', 'K', 'S', 'D', 'M', 'N', 'V', 'A'];

/** Names an attacker would try: the bundle's own, directories of them, escapes, near misses. */
const namePool = [
  'SUMMARY.txt',
  'host/uptime',
  'syslog/messages',
  'containers/web/web.log',
  'manifest.json',
  'SHA256SUMS',
  'signing-key.pub',
  'SUMMARY.txt/',
  'SUMMARY.txt/x',
  'host',
  'host/',
  'host/uptime/x',
  'zz/',
  '../evil',
  '/etc/passwd',
  './SUMMARY.txt',
  'host//uptime',
  'agent/passwd',
  'containers/evil.sh',
  'PaxHeader',
  '././@LongLink',
  'Summary.txt',
  'SUMMARY.txt ',
  'résumé.txt',
  `host/${'x'.repeat(300)}`,
  `${'d'.repeat(99)}/f`,
].map(latin1);

const nameArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...namePool) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map(latin1) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString('latin1')) },
);

/** Bodies: nothing, text, and a tar of its own (which a tar that ignores a size reads as headers). */
const bodyArb = fc.constantFrom(
  '',
  'x',
  'host bank-host-01: ALL GREEN\n',
  tarEntry({ name: 'SUMMARY.txt' }, Buffer.from('ALL GREEN\n')).toString('latin1'),
  Buffer.concat([
    tarEntry({ name: 'agent/passwd', type: '2', linkname: '/etc/passwd' }),
    tarEntry({ name: 'containers/evil.sh', mode: 0o755 }, Buffer.from('#!/bin/sh\n')),
  ]).toString('latin1'),
  '\0'.repeat(512),
);

const paxKeys = [
  'path',
  'linkpath',
  'size',
  'uid',
  'mtime',
  'hdrcharset',
  'comment',
  'GNU.sparse.name',
  'GNU.sparse.major',
  'GNU.sparse.minor',
  'GNU.sparse.realsize',
  'GNU.sparse.size',
  'GNU.sparse.map',
  'SCHILY.xattr.user.x',
  'LIBARCHIVE.xattr.user.x',
];

const fieldValues: Record<HeaderField, fc.Arbitrary<string>> = {
  name: nameArb,
  mode: fc.constantFrom('0000644\0', '0000755\0', '0004644\0', '0000600\0', '644', '\0', 'junk'),
  uid: fc.constantFrom('0000000\0', '0001750\0', 'junk', '\0'),
  gid: fc.constantFrom('0000000\0', '0001750\0', 'junk', '\0'),
  size: fc.constantFrom('00000000000\0', '00000000001\0', '00000001000\0', '77777777777\0', '\0', 'junk'),
  mtime: fc.constantFrom('00000000000\0', '14600000000\0', '77777777777\0', 'junk', '\0'),
  checksum: fc.constantFrom('0000000\0', '\0', 'junk'),
  typeflag: fc.constantFrom(...typeflags),
  linkname: fc.constantFrom('', '/etc/passwd', 'SUMMARY.txt', '../x'),
  magic: fc.constantFrom('ustar\0', 'ustar ', '\0', 'USTAR\0'),
  version: fc.constantFrom('00', ' \0', '\0\0', '01'),
  uname: fc.constantFrom('', 'root', 'r\xf6ot', 'x'.repeat(32)),
  gname: fc.constantFrom('', 'root', 'wheel'),
  devmajor: fc.constantFrom('0000000\0', '0000010\0', 'junk'),
  devminor: fc.constantFrom('0000000\0', '0000001\0', 'junk'),
  prefix: fc.constantFrom('', 'host', 'docker', '..', 'a/b', 'SUMMARY.txt', '/'),
};

const spellings: Spelling[] = [
  'nul',
  'space-nul',
  'space',
  'lead-spaces',
  'lead-nbsp',
  'lead-tab',
  'lead-ff',
  'full',
  'base256',
];

const fieldEdit = fc.constantFrom(...(Object.keys(headerFields) as HeaderField[])).chain((field) =>
  fc.record({
    kind: fc.constant('field' as const),
    entry: fc.nat(),
    field: fc.constant(field),
    value: fieldValues[field],
    fix: fc.boolean(),
  }),
);

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fieldEdit },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('spell' as const),
      entry: fc.nat(),
      field: fc.constantFrom('size' as const, 'mode' as const, 'mtime' as const, 'uid' as const, 'checksum' as const),
      spelling: fc.constantFrom(...spellings),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      type: fc.constantFrom(...typeflags),
      name: nameArb,
      body: bodyArb,
      linkname: fc.constantFrom('', '/etc/passwd', 'SUMMARY.txt'),
      mode: fc.constantFrom(0o644, 0o755, 0o4755),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('pax' as const),
      at: fc.nat(),
      type: fc.constantFrom('x' as const, 'g' as const),
      records: fc.array(
        fc.tuple(
          fc.oneof(fc.constantFrom(...paxKeys), fc.string({ minLength: 1, maxLength: 12 })),
          fc.oneof(nameArb, fc.constantFrom('0', '1', '100', '1.0', '-1')),
        ),
        { minLength: 1, maxLength: 3 },
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('flip' as const),
      entry: fc.nat(),
      offset: fc.nat(),
      xor: fc.integer({ min: 1, max: 255 }),
      inHeader: fc.boolean(),
      fix: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('prefix' as const),
      entry: fc.nat(),
      magic: fc.constantFrom('ustar' as const, 'old-gnu' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('to-pax' as const),
      entry: fc.nat(),
      headerName: fc.constantFrom('PaxHeader', 'SUMMARY.txt', 'host/other', ''),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('tail' as const),
      tail: fc.constantFrom(
        '',
        '\0'.repeat(512),
        '\0'.repeat(10_240),
        `${'\0'.repeat(1024)}junk`,
        `${'\0'.repeat(512)}${tarEntry({ name: 'SUMMARY.txt' }, Buffer.from('ALL GREEN\n')).toString('latin1')}`,
      ),
    }),
  },
);

const caseArb: fc.Arbitrary<Case> = fc.record({
  resign: fc.option(fc.array(fc.record({ name: nameArb, body: bodyArb }), { maxLength: 3 }), { freq: 3 }),
  mutations: fc.array(mutationArb, { maxLength: 3 }),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
});

// ------------------------------------------------------------ the property

let caseNumber = 0;
/** Cases verify accepted, so reached the tars: a run that reaches none proves nothing. */
let accepted = 0;

/** Empty when verify refuses the archive or every tar unpacks exactly what it checked. */
async function parityProblems(bytes: Buffer, compression: Compression): Promise<string[]> {
  const work = join(dir, `case-${++caseNumber}`);
  const path = `${work}.${compression}`;
  writeFileSync(path, bytes);
  try {
    let verified: VerifiedBundle;
    try {
      verified = await verifyBundle(path);
    } catch (error) {
      if (typeof (error as { code?: unknown }).code === 'string') return [];
      throw error;
    }
    accepted++;
    return tars.flatMap((tool) =>
      differences(unpack(tool, path, compression, work), verified).map((problem) => `${tool} ${problem}`),
    );
  } finally {
    rmSync(path, { force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

function compressed(tar: Buffer, cuts: number[], compression: Compression): Buffer {
  const at = [...new Set(cuts.map((cut) => Math.floor(cut * tar.length)))].sort((a, b) => a - b);
  const pieces = [0, ...at].map((from, i) => tar.subarray(from, at[i] ?? tar.length));
  return compressPieces(
    pieces.filter((piece) => piece.length > 0),
    compression,
  );
}

describe('tar parity: what verify accepts, every tar unpacks the same', () => {
  it.each(['gzip', 'zstd'] as const)('holds for the genuine %s bundle as the writer made it', async (compression) => {
    expect(await parityProblems(readFileSync(genuineFile[compression] as string), compression)).toEqual([]);
  });

  it.each([
    ['gzip', seed],
    ['zstd', seed + 1],
  ] as const)(
    'holds for %s bundles after random mutations (seed %d)',
    { timeout: 600_000 },
    async (compression, caseSeed) => {
      accepted = 0;
      await fc.assert(
        fc.asyncProperty(caseArb, async (testCase) => {
          const problems = await parityProblems(compressed(build(testCase), testCase.cuts, compression), compression);
          if (problems.length === 0) return;
          throw new Error(`verify accepted an archive that unpacks differently:\n  ${problems.join('\n  ')}`);
        }),
        { seed: caseSeed, numRuns: runsPerCompression, endOnFailure: false, interruptAfterTimeLimit: 480_000 },
      );
      expect(accepted).toBeGreaterThanOrEqual(runsPerCompression / 10);
    },
  );
});
