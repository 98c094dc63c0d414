import { createHash } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BundleStaging } from '../../../../../agent/bundle/seal/staging.ts';
import { tempDir } from '../../../../helpers/temp.ts';

describe('BundleStaging.adopt', () => {
  it('stages a file where it lies, with its size and hash, without copying it', async () => {
    const dir = tempDir('shiplog-adopt-');
    const file = join(dir, 'container.log');
    writeFileSync(file, 'ledger ready\n');
    const staging = BundleStaging.create(join(dir, 'data'));
    const staged = await staging.adopt('containers/ledger/container.log', file, { collector: 'container_logs' });
    expect(staged).toMatchObject({
      localPath: file,
      size: 13,
      sha256: createHash('sha256').update('ledger ready\n').digest('hex'),
      collector: 'container_logs',
    });
    expect(readdirSync(staging.dir)).toEqual([]);
    await staging.discard();
  });

  it('refuses a path that cannot stand in a bundle, and a file that is not there', async () => {
    const dir = tempDir('shiplog-adopt-');
    const staging = BundleStaging.create(join(dir, 'data'));
    await expect(staging.adopt('../evil', join(dir, 'x'))).rejects.toMatchObject({ code: 'SHIPLOG_ERR_BUNDLE_WRITE' });
    await expect(staging.adopt('ok.log', join(dir, 'absent'))).rejects.toMatchObject({
      code: 'SHIPLOG_ERR_BUNDLE_WRITE',
    });
  });
});
