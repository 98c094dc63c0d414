import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync, zstdDecompressSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { type StagePool, startStagePool } from '../../../../../agent/bundle/collect/stage-pool.ts';
import { blockFormat, type Compression } from '../../../../../agent/bundle/seal/compress.ts';
import { createRedactor } from '../../../../../agent/redaction/index.ts';
import { tempDir } from '../../../../helpers/temp.ts';

const siteKey = randomBytes(32);
const window = {
  timezone: 'UTC',
  since: Date.parse('2026-11-25T00:00:00Z'),
  until: Date.parse('2026-11-25T01:00:00Z'),
  mtimeMs: Date.parse('2026-11-25T02:00:00Z'),
};
let pool: StagePool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

function start(options: { check?: boolean; rules?: string; pack?: Compression } = {}) {
  const redactor = createRedactor({ siteKey, ...(options.rules && { settings: { rules: options.rules } }) });
  const checker = createRedactor({ siteKey });
  pool = startStagePool(2, {
    redact: redactor.portable(),
    check: options.check === false ? undefined : checker.portable(),
    literals: 0,
    ...(options.pack && { pack: blockFormat(options.pack, { blockBytes: 64 * 1024 }) }),
  });
  return pool;
}

describe('the stage pool', () => {
  it('keeps the window, redacts, keeps bytes as they were, and hashes what it wrote', async () => {
    const dir = tempDir('shiplog-stage-');
    const source = join(dir, 'messages');
    writeFileSync(
      source,
      Buffer.concat([
        Buffer.from('2026-11-24T23:00:00Z host app: before the window\n\tat before\n'),
        Buffer.from('2026-11-25T00:10:00Z host app: password=hunter2hunter2 \xff\xfe\r\n', 'latin1'),
        Buffer.from('\tat inside\n2026-11-25T03:00:00Z host app: after\n2026-11-25T00:20:00Z host app: last'),
      ]),
    );
    const target = join(dir, 'out');
    const result = await start().stage({ source, gunzip: false, target, window });
    const written = readFileSync(target);
    expect(written.toString('latin1')).toBe(
      '2026-11-25T00:10:00Z host app: password=[REDACTED:secret-assignment] \xff\xfe\r\n\tat inside\n' +
        '2026-11-25T00:20:00Z host app: last\n',
    );
    expect(result).toMatchObject({ ok: true, size: written.length, check: { findings: 0 } });
    expect(result.sha256).toBe((await import('node:crypto')).createHash('sha256').update(written).digest('hex'));
    expect(result.tally.byRule['secret-assignment']).toBe(1);
  });

  it.each(['gzip', 'zstd'] as const)(
    'compresses what it writes in the archive blocks (%s), hashing the compressed copy',
    async (compression) => {
      const dir = tempDir('shiplog-stage-');
      const source = join(dir, 'messages');
      const lines = Array.from({ length: 20_000 }, (_, i) => `2026-11-25T00:10:00Z host app: line ${i} token=abc\n`);
      writeFileSync(source, `${lines.join('')}2026-11-25T00:20:00Z host app: no newline at the end`);
      const target = join(dir, 'out');
      const packTarget = join(dir, 'out.packed');
      const result = await start({ pack: compression }).stage({ source, gunzip: false, target, packTarget, window });
      const packed = readFileSync(packTarget);
      const unpacked = compression === 'gzip' ? gunzipSync(packed) : zstdDecompressSync(packed);
      expect(unpacked.equals(readFileSync(target))).toBe(true);
      expect(result.packed).toEqual({
        size: packed.length,
        sha256: (await import('node:crypto')).createHash('sha256').update(packed).digest('hex'),
      });
      // Blocks of 64 KiB: several members or frames, each complete.
      expect(packed.length).toBeGreaterThan(0);
    },
  );

  it('writes no compressed copy when the pool does not pack (a dry run, the rescan)', async () => {
    const dir = tempDir('shiplog-stage-');
    const source = join(dir, 'messages');
    writeFileSync(source, '2026-11-25T00:10:00Z host app: hello\n');
    const packTarget = join(dir, 'out.packed');
    const result = await start().stage({ source, gunzip: false, target: join(dir, 'out'), packTarget, window });
    expect(result.packed).toBeUndefined();
    expect(existsSync(packTarget)).toBe(false);
  });

  it('reads rotated .gz files', async () => {
    const dir = tempDir('shiplog-stage-');
    const source = join(dir, 'messages.1.gz');
    writeFileSync(source, gzipSync('Nov 25 00:30:00 host app: rotated\n'));
    await start().stage({ source, gunzip: true, target: join(dir, 'out'), window });
    expect(readFileSync(join(dir, 'out'), 'utf8')).toBe('Nov 25 00:30:00 host app: rotated\n');
  });

  it('reports what the release check still finds when an operator rule kept it', async () => {
    const dir = tempDir('shiplog-stage-');
    const rules = join(dir, 'rules.yaml');
    writeFileSync(
      rules,
      "name: site\nversion: 1.0.0\nrules:\n  - id: secret-assignment\n    category: secret\n    keywords: [password]\n    regex: 'password=(?<value>\\S+)'\n    group: value\n    action: keep\n",
    );
    const source = join(dir, 'messages');
    writeFileSync(source, 'password=hunter2hunter2\n');
    const result = await start({ rules }).stage({ source, gunzip: false, target: join(dir, 'out') });
    expect(result.check).toMatchObject({ findings: 1, rule: 'secret-assignment' });
  });

  it('rejects with the errno of a file it cannot read, and leaves nothing behind', async () => {
    const dir = tempDir('shiplog-stage-');
    const target = join(dir, 'out');
    await expect(start().stage({ source: join(dir, 'absent'), gunzip: false, target })).rejects.toMatchObject({
      code: 'ENOENT',
    });
    expect(existsSync(target)).toBe(false);
    const broken = join(dir, 'broken.gz');
    writeFileSync(broken, 'not gzip at all');
    await expect(pool?.stage({ source: broken, gunzip: true, target })).rejects.toThrow();
    expect(existsSync(target)).toBe(false);
  });

  it('rejects jobs still running when it is closed (the collector timed out)', async () => {
    const dir = tempDir('shiplog-stage-');
    const source = join(dir, 'big');
    writeFileSync(source, 'line of text\n'.repeat(2_000_000));
    const started = start({ check: false });
    const job = expect(started.stage({ source, gunzip: false, target: join(dir, 'out') })).rejects.toThrow(/stopped/);
    await started.close();
    await job;
  });
});
