// Test helpers: a small sealed bundle built with the real API, and a minimal
// tar writer/reader for crafting hostile archives that shiplog would never write.
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Compression } from '../../../../../agent/bundle/seal/archive.ts';
import { type ManifestDraft, type SealedBundle, sealBundle } from '../../../../../agent/bundle/seal/seal.ts';
import { loadOrCreateSigningKey, type SigningKey } from '../../../../../agent/bundle/seal/signing-key.ts';
import { BundleStaging } from '../../../../../agent/bundle/seal/staging.ts';

export const draft: ManifestDraft = {
  format_version: 1,
  tool: { name: 'shiplog', version: '0.1.0' },
  created_at: '2024-03-14T10:00:00.000Z',
  host: { name: 'bank-host-01' },
  window: { since: '2024-03-13T10:00:00.000Z', until: '2024-03-14T10:00:00.000Z' },
  collectors: [{ name: 'docker_logs', status: 'ok', duration_ms: 12 }],
  redaction: { packs: [], key_id: 'abcd', by_rule: {}, by_category: {}, by_file: {}, rescan: 'clean' },
  truncations: [],
};

export const content: Record<string, string | Buffer> = {
  'containers/web/web.log': 'GET / 200\nGET /health 200\nUNIQUE-CONTENT-MARKER\n',
  'SUMMARY.txt': 'host bank-host-01: all green\n',
  'host/uptime': ' 10:00:00 up 3 days\n',
  'syslog/messages': Buffer.alloc(200_000, 'syslog line\n'),
};

export interface Built {
  readonly path: string;
  readonly key: SigningKey;
  readonly dataDir: string;
  readonly sealed: SealedBundle;
}

export async function buildBundle(
  dir: string,
  options: {
    name?: string;
    compression?: Compression;
    recipient?: string;
    dataDir?: string;
    /** Files added after the usual content. */
    extra?: Record<string, Buffer>;
  } = {},
): Promise<Built> {
  const dataDir = options.dataDir ?? join(dir, 'data');
  const key = loadOrCreateSigningKey(dataDir);
  const staging = BundleStaging.create(dataDir);
  try {
    for (const [path, body] of Object.entries({ ...content, ...options.extra })) {
      await staging.add(path, body, { collector: 'test' });
    }
    const path = join(dir, options.name ?? 'bundle.tar.gz');
    const sealed = await sealBundle({
      staging,
      manifest: draft,
      key,
      output: path,
      compression: options.compression,
      recipient: options.recipient,
    });
    await sealed.release();
    return { path, key, dataDir, sealed };
  } finally {
    await staging.discard();
  }
}

export interface TarItem {
  name: string;
  data: Buffer;
  /** tar typeflag: '0' file, '2' symlink, '1' hard link, '5' directory. */
  type?: string;
  linkname?: string;
}

function header(item: TarItem): Buffer {
  const h = Buffer.alloc(512);
  h.write(item.name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${item.data.length.toString(8).padStart(11, '0')}\0`, 124);
  h.write('14600000000\0', 136);
  h.write('        ', 148);
  h.write(item.type ?? '0', 156);
  if (item.linkname) h.write(item.linkname, 157, 100);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

export function makeTar(items: TarItem[]): Buffer {
  const parts: Buffer[] = [];
  for (const item of items) {
    parts.push(header(item), item.data, Buffer.alloc((512 - (item.data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** Reads a tar we wrote ourselves (plain ustar, no pax). */
export function readTarItems(tar: Buffer): TarItem[] {
  const items: TarItem[] = [];
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const h = tar.subarray(offset, offset + 512);
    if (h.every((b) => b === 0)) break;
    const name = h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const size = Number.parseInt(h.subarray(124, 136).toString('latin1'), 8);
    items.push({ name, data: Buffer.from(tar.subarray(offset + 512, offset + 512 + size)) });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return items;
}

/** Rewrites a gzip bundle's entries through `edit` and gzips it again. */
export function rewriteBundle(bundle: Buffer, edit: (items: TarItem[]) => TarItem[]): Buffer {
  return gzipSync(makeTar(edit(readTarItems(gunzipSync(bundle)))));
}
