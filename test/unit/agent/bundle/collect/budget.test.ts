import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ASSUMED_RATIO,
  isTruncatable,
  planBudget,
  stagedBudget,
  truncateFile,
} from '../../../../../agent/bundle/budget.ts';
import { tempDir } from '../../../../helpers/temp.ts';

describe('budget arithmetic', () => {
  it('budgets staged bytes at the assumed compression ratio', () => {
    expect(stagedBudget(200e6)).toBe(200e6 * ASSUMED_RATIO);
    expect(stagedBudget(1000, 2)).toBe(2000);
  });

  it('cuts nothing when everything fits', () => {
    const entries = [
      { path: 'a.log', size: 100, truncatable: true },
      { path: 'b.json', size: 100, truncatable: false },
    ];
    expect(planBudget(entries, 200)).toEqual([]);
  });

  it('pays for structured files first, keeps small logs whole and cuts the big ones to one share', () => {
    const entries = [
      { path: 'inspect.json', size: 100, truncatable: false },
      { path: 'small.log', size: 50, truncatable: true },
      { path: 'big.log', size: 10_000, truncatable: true },
      { path: 'huge.log', size: 50_000, truncatable: true },
    ];
    // 1100 - 100 fixed = 1000; small.log (50) fits its share of 333; the other two share 950.
    expect(planBudget(entries, 1100)).toEqual([
      { path: 'big.log', keep: 475 },
      { path: 'huge.log', keep: 475 },
    ]);
  });

  it('cuts every log to nothing when structured files alone exceed the budget', () => {
    const entries = [
      { path: 'x.json', size: 500, truncatable: false },
      { path: 'y.log', size: 10, truncatable: true },
    ];
    expect(planBudget(entries, 100)).toEqual([{ path: 'y.log', keep: 0 }]);
  });

  it('may cut logs and syslog files, never JSON or tables', () => {
    expect(isTruncatable('containers/web/container.log')).toBe(true);
    expect(isTruncatable('syslog/messages')).toBe(true);
    expect(isTruncatable('containers/web/inspect.json')).toBe(false);
    expect(isTruncatable('docker/ps.txt')).toBe(false);
  });
});

describe('truncateFile', () => {
  it('keeps the head and the newest tail at line boundaries with a marker between', async () => {
    const dir = tempDir();
    const file = join(dir, 'c.log');
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${String(i).padStart(4, '0')} ${'x'.repeat(40)}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const original = readFileSync(file).length;
    const result = await truncateFile(file, 'containers/c/container.log', 4000);
    const text = readFileSync(file, 'utf8');
    const out = text.split('\n');
    expect(out[0]).toBe(lines[0]);
    expect(out.at(-2)).toBe(lines.at(-1));
    const marker = out.findIndex((line) => line.startsWith('[shiplog:'));
    expect(marker).toBeGreaterThan(0);
    // Every kept line is whole and in order.
    for (const line of out.filter((l) => l !== '' && !l.startsWith('[shiplog:'))) expect(lines).toContain(line);
    expect(result).toMatchObject({ path: 'containers/c/container.log', original_size: original, reason: 'max_size' });
    expect(result.kept_size).toBeLessThanOrEqual(4000);
    expect(result.kept_size).toBeGreaterThan(3700);
    expect(result.size).toBeLessThanOrEqual(4000);
    expect(out[marker]).toContain(`${original - result.kept_size} bytes left out`);
    expect(result.size).toBe(readFileSync(file).length);
    // The tail (newest) gets more room than the head.
    expect(out.length - marker).toBeGreaterThan(marker);
  });
});
