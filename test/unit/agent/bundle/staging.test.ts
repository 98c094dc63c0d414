import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Staging } from '../../../../agent/bundle/staging.ts';
import { createRedactor } from '../../../../agent/redaction/index.ts';
import { newTally } from '../../../../agent/redaction/tally.ts';
import { tempDir } from '../../../helpers/temp.ts';

const result = (size: number) => ({
  id: 0,
  ok: true as const,
  size,
  sha256: 'ab'.repeat(32),
  tally: {
    ...newTally(),
    total: 2,
    byRule: { 'secret-assignment': 2 },
    byCategory: { secret: 2, personal: 0, operator: 0 },
  },
  check: { findings: 0, literals: 3 },
});

describe('files staged by a worker', () => {
  it('are registered with the worker hash, check and counts, which also go into the run totals', async () => {
    const redactor = createRedactor({ siteKey: randomBytes(32) });
    const staging = await Staging.create(tempDir(), redactor);
    const reserved = await staging.reserve('syslog_files', 'syslog/messages');
    writeFileSync(reserved.target, 'x'.repeat(10));
    await reserved.commit(result(10));
    expect(staging.files()).toEqual([
      expect.objectContaining({
        path: 'syslog/messages',
        size: 10,
        sha256: 'ab'.repeat(32),
        checked: { findings: 0, literals: 3 },
        redactions: expect.objectContaining({ total: 2 }),
      }),
    ]);
    expect(redactor.totals().by_rule['secret-assignment']).toBe(2);
  });

  it('lose their hash and check once the budget cuts them, so both are made again', async () => {
    const staging = await Staging.create(tempDir(), createRedactor({ siteKey: randomBytes(32) }));
    const reserved = await staging.reserve('syslog_files', 'syslog/messages');
    writeFileSync(reserved.target, 'x'.repeat(10));
    await reserved.commit({ ...result(10), packed: { size: 3, sha256: 'cd'.repeat(32) } });
    expect(staging.files()[0]?.packed).toEqual({ path: reserved.packTarget, size: 3, sha256: 'cd'.repeat(32) });
    staging.resized('syslog/messages', 4);
    const [file] = staging.files();
    expect(file).toMatchObject({ size: 4 });
    expect(file?.sha256).toBeUndefined();
    // The worker's compressed copy is of the bytes before the cut: the archive compresses the file itself.
    expect(file?.packed).toBeUndefined();
    expect(file?.checked).toBeUndefined();
  });

  it('are dropped when the collector was stopped before the worker finished', async () => {
    const staging = await Staging.create(tempDir(), createRedactor({ siteKey: randomBytes(32) }));
    let open = true;
    const reserved = await staging.reserve('syslog_files', 'syslog/messages', () => open);
    writeFileSync(reserved.target, 'late');
    open = false;
    await expect(reserved.commit(result(4))).rejects.toThrow(/stopped/);
    expect(existsSync(reserved.target)).toBe(false);
    expect(staging.files()).toEqual([]);
    await expect(staging.reserve('syslog_files', 'syslog/messages')).rejects.toThrow(/twice/);
  });
});
