// `npm run bench -- verify-hostile`: `shiplog verify` on each kind of hostile
// input of issue #10, run as the user runs it (a child process under
// /usr/bin/time), with wall and CPU seconds and peak RSS per input. Every
// input must end with its refusal, and none may cost much more than reading
// a genuine bundle does: this table is where "bounded" is measured (the unit
// tests assert only the codes). Inputs come from test/helpers/hostile-bundles.ts
// and are written to disk small (a 16 GiB bomb is about 16 MB of gzip).
//
// The row that bounds everything is the under-ratio bomb: a manifest an
// attacker signed listing a 16 GiB file, compressed just under the 1000:1
// ratio the reader allows, is read to its end (16 GiB per entry, and four
// such entries fit the 64 GiB archive limit).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { loadOrCreateSigningKey } from '../agent/bundle/seal/signing-key.ts';
import {
  ageEncrypt,
  compress,
  decompress,
  endMarker,
  headerBlock,
  hugeManifest,
  sealEnd,
  sealEntries,
  stuffAgeHeader,
  tarWithManifest,
  writeBomb,
  writeManyFrames,
  writeUnlisted,
} from '../test/helpers/hostile-bundles.ts';
import { buildBundle } from '../test/unit/agent/bundle/seal/make-bundle.ts';
import { type BenchRow, type BenchSuite, measureProcess, row } from './harness.ts';

const ROOT = join(import.meta.dirname, '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const SHIPLOG = join(ROOT, 'bin', 'shiplog.js');
const gib = 1024 ** 3;
const mib = 1024 ** 2;

interface Input {
  readonly subject: string;
  readonly path: string;
  /** What the input stands for, for the note. */
  readonly claim: string;
  readonly expected: string;
  readonly identity?: string;
}

/**
 * The most work a signed manifest can buy: `count` files of `size` bytes
 * that gzip just under the 1000:1 ratio the reader allows (members of 16 MiB
 * of zeros, each followed by a member of incompressible bytes), listed with
 * their true hashes by the attacker's key. Without --signer verify reads and
 * hashes every byte and accepts it; the archive limit allows four files of
 * 16 GiB, less the seal's own bytes.
 */
function writeUnderRatioBomb(
  path: string,
  key: ReturnType<typeof loadOrCreateSigningKey>,
  count: number,
  size: number,
): number {
  const unit = 16 * mib;
  if (size % unit !== 0) throw new Error('the under-ratio bomb is made of whole 16 MiB units');
  const noise = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919 + 13) % 251));
  const plain = Buffer.concat([Buffer.alloc(unit - noise.length), noise]);
  const hash = createHash('sha256');
  for (let done = unit; done < size; done += unit) hash.update(plain);
  const shortSha256 = hash.copy().digest('hex');
  const sha256 = hash.update(plain).digest('hex');
  // The last file is one unit short: the seal's own bytes count toward the archive limit too.
  const files = Array.from({ length: count }, (_, i) => ({
    path: `syslog/messages-${i}`,
    size: i === count - 1 && count > 1 ? size - unit : size,
    sha256: i === count - 1 && count > 1 ? shortSha256 : sha256,
  }));
  const packed = Buffer.concat([
    gzipSync(plain.subarray(0, unit - noise.length), { level: 9 }),
    gzipSync(noise, { level: 0 }),
  ]);
  const fd = openSync(path, 'w');
  let written = 0;
  const put = (bytes: Buffer) => {
    writeSync(fd, bytes);
    written += bytes.length;
  };
  try {
    put(gzipSync(sealEntries(key, files)));
    for (const file of files) {
      put(gzipSync(headerBlock({ name: file.path, size: file.size })));
      for (let done = 0; done < file.size; done += unit) put(packed);
    }
    put(gzipSync(endMarker));
  } finally {
    closeSync(fd);
  }
  return written;
}

async function makeInputs(dir: string, quick: boolean): Promise<Input[]> {
  const scale = quick ? 1 / 16 : 1;
  const bombSize = Math.round(16 * gib * scale);
  const built = await buildBundle(dir, { dataDir: join(dir, 'data'), name: 'genuine.tar.gz' });
  const tar = decompress(readFileSync(built.path), 'gzip');
  const attacker = loadOrCreateSigningKey(join(dir, 'attacker'));
  const at = (name: string) => join(dir, name);
  const inputs: Input[] = [
    { subject: 'genuine bundle (gzip)', path: built.path, claim: 'the baseline', expected: 'OK' },
  ];

  writeBomb(at('bomb.gz'), attacker, 'gzip', bombSize);
  inputs.push({
    subject: 'gzip bomb, signed by attacker',
    path: at('bomb.gz'),
    claim: `${bombSize / gib} GiB of zeros listed`,
    expected: 'LIMIT',
  });
  writeBomb(at('bomb.zst'), attacker, 'zstd', bombSize);
  inputs.push({
    subject: 'zstd bomb (one frame), signed by attacker',
    path: at('bomb.zst'),
    claim: `${bombSize / gib} GiB of zeros listed`,
    expected: 'LIMIT',
  });
  // The archive limit (64 GiB) in files of the largest size an entry may have.
  const underRatioFiles = quick ? 1 : 4;
  writeUnderRatioBomb(at('under-ratio.gz'), attacker, underRatioFiles, bombSize);
  inputs.push({
    subject: 'gzip just under 1000:1, signed by attacker',
    path: at('under-ratio.gz'),
    claim: `${underRatioFiles} x ${bombSize / gib} GiB (the archive limit) listed with true hashes: read to the end`,
    expected: 'OK',
  });

  const unlistedSize = Math.round(16 * gib * scale);
  writeUnlisted(at('unlisted.zst'), tar, 'zstd', 4, unlistedSize);
  inputs.push({
    subject: 'unlisted entries (zstd)',
    path: at('unlisted.zst'),
    claim: `4 x ${unlistedSize / gib} GiB of zeros`,
    expected: 'TAMPERED',
  });

  const frames = quick ? 100_000 : 1_000_000;
  writeManyFrames(at('frames-start.zst'), tar, 0, frames);
  inputs.push({
    subject: 'empty zstd frames before the manifest',
    path: at('frames-start.zst'),
    claim: `${frames} frames`,
    expected: 'LIMIT',
  });
  writeManyFrames(at('frames-seal.zst'), tar, sealEnd(tar), frames);
  inputs.push({
    subject: 'empty zstd frames after the seal',
    path: at('frames-seal.zst'),
    claim: `${frames} frames`,
    expected: 'LIMIT',
  });

  const identity = await generateX25519Identity();
  const identityFile = at('vendor.key');
  writeFileSync(identityFile, `${identity}\n`);
  const encrypted = await ageEncrypt(readFileSync(built.path), await identityToRecipient(identity));
  const stanzas = quick ? 20_000 : 200_000;
  writeFileSync(at('stanzas.age'), stuffAgeHeader(encrypted, stanzas));
  inputs.push({
    subject: 'age header of many stanzas',
    path: at('stanzas.age'),
    claim: `${stanzas} X25519 stanzas`,
    expected: 'LIMIT',
    identity: identityFile,
  });

  const manifestBytes = Math.round(16 * mib * scale);
  // Zeros fail the schema at its first error; millions of objects are refused before JSON.parse.
  for (const [item, name, expected] of [
    ['0', 'zeros', 'MANIFEST_INVALID'],
    ['{}', 'objects', 'LIMIT'],
  ] as const) {
    writeFileSync(
      at(`manifest-${name}.gz`),
      compress(tarWithManifest(attacker, hugeManifest(item, manifestBytes)), 'gzip'),
    );
    inputs.push({
      subject: `manifest {"collectors":[${item},${item},...]}`,
      path: at(`manifest-${name}.gz`),
      claim: `${manifestBytes / mib} MiB of JSON, signed by attacker`,
      expected,
    });
  }
  // The largest manifest the reader holds: 32 MiB, less room for the tar framing.
  const largest = quick ? 4 * mib : 32 * mib - 64 * 1024;
  writeFileSync(at('manifest-max.gz'), compress(tarWithManifest(attacker, hugeManifest('{}', largest)), 'gzip'));
  inputs.push({
    subject: 'manifest {"collectors":[{},...]} at the cap',
    path: at('manifest-max.gz'),
    claim: `${(largest / mib).toFixed(1)} MiB of JSON, signed by attacker`,
    expected: 'LIMIT',
  });

  execFileSync('mkfifo', [at('bundle.fifo')]);
  inputs.push({ subject: 'a FIFO', path: at('bundle.fifo'), claim: 'no writer', expected: 'UNREADABLE' });
  return inputs;
}

/** The verdict `shiplog verify --json` printed: OK or the code without its prefix. */
function verdictOf(stdoutFile: string): string {
  try {
    const parsed = JSON.parse(readFileSync(stdoutFile, 'utf8')) as { ok?: boolean; code?: string };
    return parsed.ok ? 'OK' : (parsed.code ?? '?').replace('SHIPLOG_ERR_BUNDLE_', '');
  } catch {
    return 'no JSON verdict';
  }
}

const suite: BenchSuite = {
  name: 'verify-hostile',
  async run(ctx) {
    const inputs = await makeInputs(ctx.workDir, ctx.quick);
    const rows: BenchRow[] = [];
    for (const input of inputs) {
      const out = join(ctx.workDir, 'verify.json');
      const args = [SHIPLOG, 'verify', '--json', input.path, ...(input.identity ? ['--identity', input.identity] : [])];
      const measure = await measureProcess(NODE, args, { cwd: ROOT, stdoutFile: out });
      const verdict = verdictOf(out);
      const size = statSync(input.path).isFile() ? statSync(input.path).size : 0;
      const mb = Math.round(size / 1e3) / 1e3;
      rows.push(
        row('verify-hostile', input.subject, mb, 'MB', measure, {
          note: `${verdict === input.expected ? verdict : `${verdict} (expected ${input.expected})`}; ${input.claim}`,
        }),
      );
    }
    return rows;
  },
};

export default suite;
