import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { type StagePool, startStagePool } from '../../../../../agent/bundle/collect/stage-pool.ts';
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

function start(options: { check?: boolean; rules?: string } = {}) {
  const redactor = createRedactor({ siteKey, ...(options.rules && { settings: { rules: options.rules } }) });
  const checker = createRedactor({ siteKey });
  pool = startStagePool(2, {
    redact: redactor.portable(),
    check: options.check === false ? undefined : checker.portable(),
    literals: 0,
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
