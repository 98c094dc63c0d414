// A genuine bundle must always verify, whatever its shape: the staging
// workers write each syslog file as zstd frames of its own, so a bundle of
// many small syslog files is many small frames.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { shiplog } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';

it('regression: a genuine zstd bundle of 60 small syslog files was refused with LIMIT (frames counted ahead of the reader)', async () => {
  const dir = tempDir('shiplog-verify-zstd-');
  const now = new Date();
  const stamp = now.toISOString();
  const paths: string[] = [];
  for (let i = 0; i < 60; i++) {
    const path = join(dir, `app-${i}.log`);
    writeFileSync(path, `${stamp} host app[${i}]: small file ${i}\n`);
    paths.push(path);
  }
  const env = { SHIPLOG_DATA_DIR: join(dir, 'data'), SHIPLOG_SOURCES_FILES_PATHS: paths.join(',') };
  const bundle = join(dir, 'bundle.tar.zst');
  const dump = await shiplog(['dump', '--zstd', '--since', '1h', '--out', bundle], { env });
  expect(dump.code, dump.stderr).toBe(0);
  const verified = await shiplog(['verify', bundle, '--json'], { env });
  expect(verified.code, verified.stdout).toBe(0);
  expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, compression: 'zstd' });
  expect(JSON.parse(verified.stdout).files).toBeGreaterThanOrEqual(60);
}, 120_000);
