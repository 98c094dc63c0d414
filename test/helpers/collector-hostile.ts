// The hostile uploads of issue #11, as one table for the collector's e2e
// test (test/e2e/collector-hostile.test.ts). Each case makes its body from a
// genuine bundle of the site bank-host-01 (signed by the key the collector
// pinned for it), from a seal an attacker signed with a key of their own, or
// from nothing; writes the marker it is given into every line it plants, so
// that the test can prove none of them became searchable; and names what the
// collector owes it: an immediate HTTP status and code, or the final status
// and code of its ingest. Names that aim outside the collector point at
// canaries in the arena, the directory that holds the collector's data
// directory, so that an escape shows as a file there.
//
// Nothing here imports vitest, so a case can be replayed outside the runner.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { loadOrCreateSigningKey, type SigningKey } from '../../agent/bundle/seal/signing-key.ts';
import { signatureNamespace } from '../../bundle/ssh-public-key.ts';
import { buildBundle, draft } from '../unit/agent/bundle/seal/make-bundle.ts';
import {
  ageEncrypt,
  appendEntries,
  type Compression,
  compress,
  contentFiles,
  decompress,
  editHeader,
  endMarker,
  fixChecksum,
  headerBlock,
  insertAt,
  type ListedFile,
  oldGnuMagic,
  padding,
  paxEntry,
  recordOf,
  sealEnd,
  sealEntries,
  setField,
  signedTar,
  stuffAgeHeader,
  tarEntry,
  tarRecords,
  tarWithManifest,
  writeBomb,
  writeManyFrames,
  writeUnlisted,
} from './hostile-bundles.ts';

/** Who sends a case: acme's upload token, a second upload token of acme, or globex's upload token. */
export type Uploader = 'acme' | 'acme-other' | 'globex';

export type Outcome =
  /** Refused before it became a bundle. */
  | { readonly http: number; readonly code: string }
  /** Accepted for ingest (201), then refused with its own code. */
  | { readonly status: 'rejected' | 'quarantined'; readonly code: string }
  /** Accepted as a bundle of another tenant than the one its site belongs to. */
  | { readonly status: 'indexed'; readonly tenant: string };

export interface HostileCase {
  readonly name: string;
  readonly outcome: Outcome;
  readonly uploader?: Uploader;
  /** Appended to the upload URL, e.g. "?tenant=acme". */
  readonly query?: string;
  /** The body: bytes, or the path of a file written to disk. */
  build(kit: HostileKit, marker: string): Promise<Buffer | string>;
}

/** Files in the arena that hostile names aim at; only `existing` may exist, unchanged. */
export const canaries = {
  existing: 'canary-existing.txt',
  traversal: 'canary-traversal.txt',
  absolute: 'canary-absolute.txt',
  backslash: 'canary-backslash.txt',
  throughLink: 'canary-through-link.txt',
  drive: 'canary-drive.txt',
} as const;

export interface Genuine {
  /** The bundle file as the sealer wrote it. */
  readonly bytes: Buffer;
  /** Its tar. */
  readonly tar: Buffer;
}

export interface HostileKit {
  /** Where the test's own files go (bundles, bombs). */
  readonly work: string;
  /** The directory that holds the collector's data directory `data/` and the canaries. */
  readonly arena: string;
  /** The key of bank-host-01, which the collector pins from the first genuine bundle. */
  readonly siteKey: SigningKey;
  readonly attacker: SigningKey;
  readonly maxUploadBytes: number;
  readonly maxFiles: number;
  /** An age recipient whose identity the collector does not hold. */
  readonly strangerRecipient: string;
  /** A genuine bundle of bank-host-01, `marker` in a container log and `extra` files added. */
  genuine(marker: string, compression: Compression, extra?: Record<string, Buffer>): Promise<Genuine>;
  /** A path in `work` for a file a case writes itself. */
  file(name: string): string;
}

export async function hostileKit(options: {
  work: string;
  arena: string;
  maxUploadBytes: number;
  maxFiles: number;
}): Promise<HostileKit> {
  const siteData = join(options.work, 'site');
  const siteKey = loadOrCreateSigningKey(siteData);
  const attacker = loadOrCreateSigningKey(join(options.work, 'attacker'));
  const strangerRecipient = await identityToRecipient(await generateX25519Identity());
  let made = 0;
  return {
    ...options,
    siteKey,
    attacker,
    strangerRecipient,
    async genuine(marker, compression, extra = {}) {
      const name = `genuine-${++made}.${compression}`;
      const built = await buildBundle(options.work, {
        name,
        compression,
        dataDir: siteData,
        extra: { 'containers/app/container.log': containerLog(marker), ...extra },
      });
      const bytes = readFileSync(built.path);
      return { bytes, tar: decompress(bytes, compression) };
    },
    file: (name) => join(options.work, `${++made}-${name}`),
  };
}

/** A container log whose every line carries `marker`. */
export function containerLog(marker: string): Buffer {
  return Buffer.from(
    [
      `2024-03-14T09:00:00.000000000Z stdout ${marker} request served`,
      `2024-03-14T09:00:01.000000000Z stderr ${marker} upstream slow`,
      '',
    ].join('\n'),
  );
}

const text = (marker: string, what: string) => Buffer.from(`${what} ${marker}\n`);

// ------------------------------------------------------------ attacker seals of their own site

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A site no bundle of the collector ever pinned: the attacker's seal reaches the unpack checks. */
export const attackerSite = 'attacker-site';

/**
 * The manifest an attacker writes for `files` (each with its body, or with
 * the size the attacker claims in `claims`), for their own site, signed by
 * `key`; `edit` may change it further.
 */
function attackerManifest(
  key: SigningKey,
  files: readonly ListedFile[],
  edit: (manifest: Record<string, unknown>) => void = () => {},
): Buffer {
  const pub = Buffer.from(`${key.publicKeyLine}\n`);
  const entry = (path: string, body: Buffer) => ({ path, size: body.length, sha256: sha256(body) });
  const manifest: Record<string, unknown> = {
    ...draft,
    host: { name: attackerSite },
    files: [
      entry('signing-key.pub', pub),
      ...files.map((file) =>
        file.body ? entry(file.path, file.body) : { path: file.path, size: file.size, sha256: file.sha256 },
      ),
    ],
    signing_key: { algorithm: 'ssh-ed25519', fingerprint: key.fingerprint },
  };
  edit(manifest);
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
}

/** One regular entry; a name that the name field cannot hold, or that holds a NUL, goes in a pax header. */
function entryNamed(path: string, body: Buffer): Buffer {
  if (Buffer.byteLength(path) < 100 && !path.includes('\u0000')) return tarEntry({ name: path }, body);
  return Buffer.concat([paxEntry([['path', path]]), tarEntry({ name: 'long-name' }, body)]);
}

/** A consistent bundle of the attacker's own site: seal over `files`, then each file, then the end marker. */
function attackerTar(
  key: SigningKey,
  files: readonly ListedFile[],
  edit?: (manifest: Record<string, unknown>) => void,
): Buffer {
  const bodies = files.map((file) => entryNamed(file.path, file.body ?? Buffer.alloc(0)));
  return Buffer.concat([sealEntries(key, files, attackerManifest(key, files, edit)), ...bodies, endMarker]);
}

/** Files of a small, plausible bundle, every line with `marker`, plus `more`. */
function attackerFiles(marker: string, ...more: ListedFile[]): ListedFile[] {
  return [
    { path: 'SUMMARY.txt', body: text(marker, 'host attacker-site: all green') },
    { path: 'containers/app/container.log', body: containerLog(marker) },
    ...more,
  ];
}

async function attackerBundle(
  kit: HostileKit,
  marker: string,
  compression: Compression,
  ...more: ListedFile[]
): Promise<Buffer> {
  return compress(attackerTar(kit.attacker, attackerFiles(marker, ...more)), compression);
}

// ------------------------------------------------------------ edits of a genuine tar

/** The tar without the entry `name` (its pax header too). */
function withoutEntry(tar: Buffer, name: string): Buffer {
  const record = recordOf(tar, name);
  return Buffer.concat([tar.subarray(0, record.start), tar.subarray(record.end)]);
}

/** The tar with the body of `name` replaced (header size set to match). */
function withBody(tar: Buffer, name: string, body: Buffer): Buffer {
  const record = recordOf(tar, name);
  return Buffer.concat([tar.subarray(0, record.start), tarEntry({ name }, body), tar.subarray(record.end)]);
}

/** What an attacker would like unpacked: a reassuring summary, a script, and a link out of the tree. */
function innerArchive(marker: string): Buffer {
  return Buffer.concat([
    tarEntry({ name: 'SUMMARY.txt' }, text(marker, 'host bank-host-01: ALL GREEN')),
    tarEntry({ name: 'containers/run.sh', mode: 0o755 }, Buffer.from(`#!/bin/sh\necho ${marker}\n`)),
    tarEntry({ name: 'host/passwd', type: '2', linkname: '/etc/passwd' }),
  ]);
}

/** A header of type `type` (a device or FIFO) for `name`, device numbers as given. */
function specialEntry(name: string, type: string, major: number, minor: number): Buffer {
  const header = headerBlock({ name, size: 0, type });
  setField(header, 'devmajor', `${major.toString(8).padStart(7, '0')}\u0000`);
  setField(header, 'devminor', `${minor.toString(8).padStart(7, '0')}\u0000`);
  return fixChecksum(header);
}

const cut = (bytes: Buffer, at: number) => Buffer.from(bytes.subarray(0, at));

const gib = 1024 ** 3;

// ------------------------------------------------------------ the table

const rejected = (code: string): Outcome => ({ status: 'rejected', code: `COLLECTOR_ERR_BUNDLE_${code}` });
const quarantined = (code: string): Outcome => ({ status: 'quarantined', code: `COLLECTOR_ERR_${code}` });

export const hostileCases: readonly HostileCase[] = [
  // ---------------------------------------------------------- refused at once
  {
    name: 'an HTML page',
    outcome: { http: 415, code: 'COLLECTOR_ERR_UPLOAD_NOT_A_BUNDLE' },
    build: async (_kit, marker) => Buffer.from(`<!doctype html><html><body><p>${marker}</p></body></html>\n`),
  },
  {
    name: 'an empty body',
    outcome: { http: 400, code: 'COLLECTOR_ERR_UPLOAD_EMPTY' },
    build: async () => Buffer.alloc(0),
  },
  {
    name: 'a gzip body one byte over upload.max_bytes',
    outcome: { http: 413, code: 'COLLECTOR_ERR_UPLOAD_TOO_LARGE' },
    build: async (kit, marker) => {
      const body = Buffer.alloc(kit.maxUploadBytes + 1);
      Buffer.from([0x1f, 0x8b, 0x08, 0x00]).copy(body);
      body.write(marker, 16);
      return body;
    },
  },
  {
    name: "globex's upload token asking to upload into acme",
    uploader: 'globex',
    query: '?tenant=acme',
    outcome: { http: 403, code: 'COLLECTOR_ERR_FORBIDDEN' },
    build: async (kit, marker) => (await kit.genuine(marker, 'gzip')).bytes,
  },

  // ---------------------------------------------------------- cut short, at many points
  {
    name: 'a gzip bundle cut after its 10-byte gzip header',
    outcome: rejected('TRUNCATED'),
    build: async (kit, marker) => cut((await kit.genuine(marker, 'gzip')).bytes, 10),
  },
  {
    name: 'a gzip bundle cut in the middle',
    outcome: rejected('TRUNCATED'),
    build: async (kit, marker) => {
      const { bytes } = await kit.genuine(marker, 'gzip');
      return cut(bytes, Math.floor(bytes.length / 2));
    },
  },
  {
    name: 'a gzip bundle without the last 4 bytes of its trailer',
    outcome: rejected('TRUNCATED'),
    build: async (kit, marker) => {
      const { bytes } = await kit.genuine(marker, 'gzip');
      return cut(bytes, bytes.length - 4);
    },
  },
  {
    name: 'a zstd bundle cut in the middle',
    outcome: rejected('TRUNCATED'),
    build: async (kit, marker) => {
      const { bytes } = await kit.genuine(marker, 'zstd');
      return cut(bytes, Math.floor(bytes.length / 2));
    },
  },
  {
    name: 'a zstd bundle without its last byte',
    outcome: rejected('TRUNCATED'),
    build: async (kit, marker) => {
      const { bytes } = await kit.genuine(marker, 'zstd');
      return cut(bytes, bytes.length - 1);
    },
  },
  {
    name: 'a tar cut inside manifest.json, compressed whole (gzip)',
    outcome: rejected('TRUNCATED'),
    build: async (kit, marker) => {
      const { tar } = await kit.genuine(marker, 'gzip');
      const manifest = recordOf(tar, 'manifest.json');
      return compress(cut(tar, manifest.body + Math.floor(manifest.size / 2)), 'gzip');
    },
  },
  {
    name: 'a tar cut in the middle of a header block, compressed whole (zstd)',
    outcome: rejected('TRUNCATED'),
    build: async (kit, marker) => {
      const { tar } = await kit.genuine(marker, 'zstd');
      return compress(cut(tar, recordOf(tar, 'host/uptime').header + 200), 'zstd');
    },
  },
  {
    name: 'a tar cut inside the body of its marked log, compressed whole (gzip)',
    outcome: rejected('TRUNCATED'),
    build: async (kit, marker) => {
      const { tar } = await kit.genuine(marker, 'gzip');
      const log = recordOf(tar, 'containers/app/container.log');
      return compress(cut(tar, log.body + Math.floor(log.size / 2)), 'gzip');
    },
  },
  {
    name: 'a tar cut right before its end marker, compressed whole (zstd)',
    outcome: rejected('TRUNCATED'),
    build: async (kit, marker) => {
      const { tar } = await kit.genuine(marker, 'zstd');
      return compress(cut(tar, tarRecords(tar).end), 'zstd');
    },
  },

  // ---------------------------------------------------------- changed after signing, seal problems
  {
    name: 'a flipped byte in a content file (sent by a second upload token of acme)',
    uploader: 'acme-other',
    outcome: rejected('TAMPERED'),
    build: async (kit, marker) => {
      const { tar } = await kit.genuine(marker, 'gzip');
      const log = recordOf(tar, 'containers/app/container.log');
      const flipped = Buffer.from(tar);
      flipped[log.body + 3] = (flipped[log.body + 3] as number) ^ 0x04;
      return compress(flipped, 'gzip');
    },
  },
  {
    name: 'manifest.json changed after signing (another site name, same length)',
    outcome: rejected('BAD_SIGNATURE'),
    build: async (kit, marker) => {
      const { tar } = await kit.genuine(marker, 'zstd');
      const manifest = recordOf(tar, 'manifest.json');
      const body = tar.subarray(manifest.body, manifest.body + manifest.size).toString('utf8');
      return compress(
        withBody(tar, 'manifest.json', Buffer.from(body.replace('bank-host-01', 'bank-host-99'))),
        'zstd',
      );
    },
  },
  {
    name: 'no manifest.json.sig',
    outcome: rejected('UNSIGNED'),
    build: async (kit, marker) =>
      compress(withoutEntry((await kit.genuine(marker, 'gzip')).tar, 'manifest.json.sig'), 'gzip'),
  },
  {
    name: 'a signature by another key than signing-key.pub',
    outcome: rejected('BAD_SIGNATURE'),
    build: async (kit, marker) => {
      const { tar } = await kit.genuine(marker, 'gzip');
      const manifest = recordOf(tar, 'manifest.json');
      const signature = kit.attacker.sign(
        tar.subarray(manifest.body, manifest.body + manifest.size),
        signatureNamespace,
      );
      return compress(withBody(tar, 'manifest.json.sig', Buffer.from(signature)), 'gzip');
    },
  },
  {
    name: 'a manifest that fails its schema (format_version 2), attacker-signed',
    outcome: rejected('MANIFEST_INVALID'),
    build: async (kit, marker) =>
      compress(
        attackerTar(kit.attacker, attackerFiles(marker), (manifest) => {
          manifest.format_version = 2;
        }),
        'gzip',
      ),
  },
  {
    name: 'a manifest that is not JSON, attacker-signed',
    outcome: rejected('MANIFEST_INVALID'),
    build: async (kit, marker) => compress(tarWithManifest(kit.attacker, text(marker, '{"files": [')), 'zstd'),
  },
  {
    name: 'a manifest that lies about a size, attacker-signed',
    outcome: rejected('TAMPERED'),
    build: async (kit, marker) =>
      compress(
        attackerTar(kit.attacker, attackerFiles(marker), (manifest) => {
          const files = manifest.files as { path: string; size: number }[];
          const summary = files.find((file) => file.path === 'SUMMARY.txt') as { size: number };
          summary.size = 3;
        }),
        'gzip',
      ),
  },
  {
    name: 'a bundle of the pinned site bank-host-01 signed consistently by another key',
    outcome: quarantined('SITE_KEY_CHANGED'),
    build: async (kit, marker) =>
      compress(signedTar(kit.attacker, contentFiles((await kit.genuine(marker, 'gzip')).tar)), 'zstd'),
  },
  {
    name: 'a genuine bundle in which a secret survived redaction',
    outcome: quarantined('SECRET_FOUND'),
    build: async (kit, marker) => {
      const secret = await generateX25519Identity();
      const extra = { 'host/env.txt': Buffer.from(`${marker} AGE_KEY=${secret}\n`) };
      return (await kit.genuine(marker, 'gzip', extra)).bytes;
    },
  },

  // ---------------------------------------------------------- tar entries a bundle never has
  {
    name: 'a zz/ directory whose body is an inner tar (SUMMARY.txt, a script, a symlink to /etc/passwd)',
    outcome: rejected('UNSAFE_ENTRY'),
    build: async (kit, marker) => {
      const inner = innerArchive(marker);
      const { tar } = await kit.genuine(marker, 'gzip');
      const directory = headerBlock({ name: 'zz/', type: '5', mode: 0o755, size: inner.length });
      return compress(appendEntries(tar, directory, inner, padding(inner.length)), 'gzip');
    },
  },
  {
    name: 'a symlink to the arena, then a file written through it',
    outcome: rejected('UNSAFE_ENTRY'),
    build: async (kit, marker) => {
      const { tar } = await kit.genuine(marker, 'zstd');
      return compress(
        appendEntries(
          tar,
          tarEntry({ name: 'host/out', type: '2', linkname: kit.arena }),
          tarEntry({ name: `host/out/${canaries.throughLink}` }, text(marker, 'written through a link')),
        ),
        'zstd',
      );
    },
  },
  {
    name: 'a hard link to a file outside the collector',
    outcome: rejected('UNSAFE_ENTRY'),
    build: async (kit, marker) => {
      const { tar } = await kit.genuine(marker, 'gzip');
      const link = tarEntry({ name: 'host/linked.txt', type: '1', linkname: join(kit.arena, canaries.existing) });
      return compress(appendEntries(tar, link), 'gzip');
    },
  },
  {
    name: 'a FIFO',
    outcome: rejected('UNSAFE_ENTRY'),
    build: async (kit, marker) =>
      compress(appendEntries((await kit.genuine(marker, 'zstd')).tar, specialEntry('host/pipe', '6', 0, 0)), 'zstd'),
  },
  {
    name: 'a character device (1,3 as /dev/null)',
    outcome: rejected('UNSAFE_ENTRY'),
    build: async (kit, marker) =>
      compress(appendEntries((await kit.genuine(marker, 'gzip')).tar, specialEntry('host/null', '3', 1, 3)), 'gzip'),
  },
  {
    name: 'an executable script',
    outcome: rejected('UNSAFE_ENTRY'),
    build: async (kit, marker) => {
      const script = tarEntry({ name: 'host/run.sh', mode: 0o755 }, Buffer.from(`#!/bin/sh\necho ${marker}\n`));
      return compress(appendEntries((await kit.genuine(marker, 'zstd')).tar, script), 'zstd');
    },
  },
  {
    name: 'SUMMARY.txt twice, the second copy appended',
    outcome: rejected('UNSAFE_ENTRY'),
    build: async (kit, marker) => {
      const again = tarEntry({ name: 'SUMMARY.txt' }, text(marker, 'host bank-host-01: ALL GREEN'));
      return compress(appendEntries((await kit.genuine(marker, 'gzip')).tar, again), 'gzip');
    },
  },
  {
    name: 'a pax GNU.sparse.name=SUMMARY.txt record before host/uptime',
    outcome: rejected('UNSAFE_ENTRY'),
    build: async (kit, marker) => {
      const { tar } = await kit.genuine(marker, 'zstd');
      const pax = paxEntry([['GNU.sparse.name', 'SUMMARY.txt']]);
      return compress(insertAt(tar, recordOf(tar, 'host/uptime').start, pax), 'zstd');
    },
  },
  {
    name: 'an old-GNU header whose prefix field says host/ for uptime',
    outcome: rejected('UNSAFE_ENTRY'),
    build: async (kit, marker) => {
      const { tar } = await kit.genuine(marker, 'gzip');
      const edited = editHeader(tar, recordOf(tar, 'host/uptime').header, (header) => {
        setField(header, 'name', 'uptime');
        setField(header, 'prefix', 'host');
        oldGnuMagic.copy(header, 257);
      });
      return compress(edited, 'gzip');
    },
  },
  {
    name: 'an entry the manifest does not list',
    outcome: rejected('TAMPERED'),
    build: async (kit, marker) => {
      const extra = tarEntry({ name: 'host/notes.txt' }, text(marker, 'not in the manifest'));
      return compress(appendEntries((await kit.genuine(marker, 'zstd')).tar, extra), 'zstd');
    },
  },

  // ---------------------------------------------------------- names, under a consistent attacker seal
  {
    name: 'a ../ traversal into the arena',
    outcome: rejected('UNSAFE_ENTRY'),
    build: async (kit, marker) =>
      attackerBundle(kit, marker, 'gzip', { path: `../../../../${canaries.traversal}`, body: text(marker, 'escaped') }),
  },
  {
    name: 'an absolute path into the arena',
    outcome: rejected('UNSAFE_ENTRY'),
    build: async (kit, marker) =>
      attackerBundle(kit, marker, 'zstd', { path: join(kit.arena, canaries.absolute), body: text(marker, 'escaped') }),
  },
  {
    name: 'a name with backslashes (..\\ on Windows)',
    outcome: rejected('UNSAFE_ENTRY'),
    build: async (kit, marker) =>
      attackerBundle(kit, marker, 'gzip', {
        path: `..\\..\\..\\..\\${canaries.backslash}`,
        body: text(marker, 'escaped'),
      }),
  },
  {
    name: 'a name with a drive letter',
    outcome: rejected('UNSAFE_ENTRY'),
    build: async (kit, marker) =>
      attackerBundle(kit, marker, 'zstd', { path: `C:/${canaries.drive}`, body: text(marker, 'escaped') }),
  },
  {
    name: 'a name with a NUL character (in a pax path)',
    outcome: rejected('UNSAFE_ENTRY'),
    build: async (kit, marker) =>
      attackerBundle(kit, marker, 'gzip', { path: 'host/notes.txt\u0000.png', body: text(marker, 'nul') }),
  },
  {
    name: 'a name with an escape sequence',
    outcome: rejected('UNSAFE_ENTRY'),
    build: async (kit, marker) =>
      attackerBundle(kit, marker, 'zstd', { path: 'host/\u001b[2Jnotes.txt', body: text(marker, 'escape') }),
  },
  {
    name: 'two names equal when case is folded',
    outcome: rejected('UNSAFE_ENTRY'),
    build: async (kit, marker) =>
      attackerBundle(
        kit,
        marker,
        'gzip',
        { path: 'host/Notes.txt', body: text(marker, 'upper') },
        { path: 'host/notes.txt', body: text(marker, 'lower') },
      ),
  },
  {
    name: 'two names equal after NFC normalisation',
    outcome: rejected('UNSAFE_ENTRY'),
    build: async (kit, marker) =>
      attackerBundle(
        kit,
        marker,
        'zstd',
        { path: 'host/caf\u00e9.txt', body: text(marker, 'composed') },
        { path: 'host/cafe\u0301.txt', body: text(marker, 'decomposed') },
      ),
  },
  {
    name: 'a file where a directory is needed (host/a and host/a/b)',
    outcome: rejected('UNSAFE_ENTRY'),
    build: async (kit, marker) =>
      attackerBundle(
        kit,
        marker,
        'gzip',
        { path: 'host/a', body: text(marker, 'file') },
        { path: 'host/a/b', body: text(marker, 'inside a file') },
      ),
  },
  {
    name: 'a path 20 levels deep',
    outcome: rejected('UNSAFE_ENTRY'),
    build: async (kit, marker) =>
      attackerBundle(kit, marker, 'zstd', { path: `${'d/'.repeat(19)}deep.txt`, body: text(marker, 'deep') }),
  },

  // ---------------------------------------------------------- work the bundle does not pay for
  {
    name: 'a gzip bomb: an attacker-signed manifest listing 16 GiB of zeros',
    outcome: rejected('LIMIT'),
    build: async (kit) => {
      const path = kit.file('bomb.gz');
      writeBomb(path, kit.attacker, 'gzip', 16 * gib);
      return path;
    },
  },
  {
    name: 'a zstd bomb: an attacker-signed manifest listing 16 GiB of zeros',
    outcome: rejected('LIMIT'),
    build: async (kit) => {
      const path = kit.file('bomb.zst');
      writeBomb(path, kit.attacker, 'zstd', 16 * gib);
      return path;
    },
  },
  {
    name: 'a million empty zstd frames after the seal of a genuine bundle',
    outcome: rejected('LIMIT'),
    build: async (kit, marker) => {
      const { tar } = await kit.genuine(marker, 'zstd');
      const path = kit.file('frames.zst');
      writeManyFrames(path, tar, sealEnd(tar), 1_000_000);
      return path;
    },
  },
  {
    // Under upload.max_unpacked_bytes each, so the listing, not the size cap, must stop the first at its header.
    name: 'four unlisted entries of 200 MiB of zeros each (zstd)',
    outcome: rejected('TAMPERED'),
    build: async (kit, marker) => {
      const path = kit.file('unlisted.zst');
      writeUnlisted(path, (await kit.genuine(marker, 'zstd')).tar, 'zstd', 4, 200 * 1024 ** 2);
      return path;
    },
  },
  {
    name: 'more files than upload.max_files, attacker-signed',
    outcome: rejected('LIMIT'),
    build: async (kit, marker) => {
      const many = Array.from({ length: kit.maxFiles + 50 }, (_, i) => ({
        path: `host/many/${String(i).padStart(5, '0')}.txt`,
        body: text(marker, `file ${i}`),
      }));
      return attackerBundle(kit, marker, 'zstd', ...many);
    },
  },

  // ---------------------------------------------------------- age
  {
    name: 'an age-encrypted genuine bundle, and the collector holds no identity',
    outcome: rejected('DECRYPT'),
    build: async (kit, marker) => ageEncrypt((await kit.genuine(marker, 'zstd')).bytes, kit.strangerRecipient),
  },
  {
    name: 'an age header with 200,000 recipient stanzas',
    outcome: rejected('DECRYPT'),
    build: async (kit, marker) => {
      const encrypted = await ageEncrypt((await kit.genuine(marker, 'zstd')).bytes, kit.strangerRecipient);
      return stuffAgeHeader(encrypted, 200_000);
    },
  },

  // ---------------------------------------------------------- tenants
  {
    name: "a genuine bundle of acme's site sent with globex's upload token",
    uploader: 'globex',
    outcome: { status: 'indexed', tenant: 'globex' },
    build: async (kit, marker) => (await kit.genuine(marker, 'zstd')).bytes,
  },
];
