import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rescan } from '../../../../../agent/bundle/dump/rescan.ts';
import { createRedactor } from '../../../../../agent/redaction/index.ts';
import { tempDir } from '../../../../helpers/temp.ts';

const siteKey = randomBytes(32);

function stage(files: Record<string, string>): { dir: string; list: { path: string }[] } {
  const dir = tempDir('shiplog-rescan-');
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  return { dir, list: Object.keys(files).map((path) => ({ path })) };
}

describe('the rescan before release', () => {
  it('lets redacted files through', async () => {
    const { dir, list } = stage({
      'a.log': 'password=[REDACTED:secret-assignment] from 198.18.4.7\n',
      'b.log': 'ok\n',
    });
    await expect(rescan(list, (path) => join(dir, path), createRedactor({ siteKey }))).resolves.toBeUndefined();
  });

  it('stops the release on anything unredacted, naming the file and the rule', async () => {
    const { dir, list } = stage({ 'a.log': 'fine\n', 'b.log': 'retry with password=hunter2hunter2 now\n' });
    await expect(rescan(list, (path) => join(dir, path), createRedactor({ siteKey }))).rejects.toMatchObject({
      code: 'SHIPLOG_ERR_DUMP_RESCAN_FOUND',
      message: expect.stringMatching(/b\.log.*secret-assignment/),
    });
  });

  it('does not count what the operator chose to keep as a leak', async () => {
    const { dir, list } = stage({ 'a.log': 'login from ops.night@zkb-ledger.ch\n' });
    const keepPersonal = createRedactor({ siteKey, settings: { personal: 'keep' } });
    await expect(rescan(list, (path) => join(dir, path), keepPersonal)).resolves.toBeUndefined();
    await expect(rescan(list, (path) => join(dir, path), createRedactor({ siteKey }))).rejects.toMatchObject({
      code: 'SHIPLOG_ERR_DUMP_RESCAN_FOUND',
    });
  });

  it("trusts a staging worker's check only while the run has learnt no runtime literal since", async () => {
    const { dir } = stage({ 'a.log': 'retry with password=hunter2hunter2 now\n' });
    const redactor = createRedactor({ siteKey });
    const checkedClean = [{ path: 'a.log', checked: { findings: 0, literals: 3 } }];
    await expect(rescan(checkedClean, (path) => join(dir, path), redactor, 3)).resolves.toBeUndefined();
    // A literal came after the worker looked: the file is read again, and the finding stops the release.
    await expect(rescan(checkedClean, (path) => join(dir, path), redactor, 4)).rejects.toMatchObject({
      code: 'SHIPLOG_ERR_DUMP_RESCAN_FOUND',
    });
  });

  it('stops the release on what a staging worker found, naming the file and the rule', async () => {
    const { dir } = stage({ 'a.log': 'fine\n' });
    const found = [{ path: 'syslog/messages', checked: { findings: 2, rule: 'secret-assignment', literals: 0 } }];
    await expect(rescan(found, (path) => join(dir, path), createRedactor({ siteKey }), 0)).rejects.toMatchObject({
      code: 'SHIPLOG_ERR_DUMP_RESCAN_FOUND',
      message: expect.stringMatching(/syslog\/messages.*secret-assignment/),
    });
  });
});

describe('the rescan of many big files', () => {
  it('reads them on worker threads and stops at the first file in order with a finding', async () => {
    const filler = 'a line that is clean enough, id=42 took=17ms\n'.repeat(400_000); // ~18 MB
    const { dir, list } = stage({
      'a.log': filler,
      'b.log': `${filler}retry with password=hunter2hunter2 now\n`,
      'c.log': `${filler}user 4111 1111 1111 1111\n`,
    });
    await expect(rescan(list, (path) => join(dir, path), createRedactor({ siteKey }))).rejects.toMatchObject({
      code: 'SHIPLOG_ERR_DUMP_RESCAN_FOUND',
      message: expect.stringMatching(/b\.log.*secret-assignment/),
    });
    const clean = stage({ 'a.log': filler, 'b.log': filler });
    await expect(
      rescan(clean.list, (path) => join(clean.dir, path), createRedactor({ siteKey })),
    ).resolves.toBeUndefined();
  });

  it('says which staged file it could not read, as on this thread', async () => {
    const filler = 'a clean line\n'.repeat(3_000_000); // ~39 MB
    const { dir, list } = stage({ 'a.log': filler });
    await expect(
      rescan([...list, { path: 'gone.log' }], (path) => join(dir, path), createRedactor({ siteKey })),
    ).rejects.toMatchObject({ code: 'SHIPLOG_ERR_REDACTION_IO', message: expect.stringMatching(/gone\.log/) });
  });
});
