import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SelfLogFile, selfLogPaths } from '../../../agent/self-log.ts';
import { tempDir } from '../../helpers/temp.ts';

describe("the agent's self-log file", () => {
  it('keeps at most two parts of the cap each, the older one as agent.log.1', () => {
    const dataDir = tempDir('shiplog-self-log-');
    const failures: Error[] = [];
    const file = new SelfLogFile(dataDir, (error) => failures.push(error), 100);
    for (let i = 0; i < 10; i++) file.write(`{"line":${i},"pad":"${'x'.repeat(20)}"}\n`);
    file.close();
    const [older, current] = selfLogPaths(dataDir).map((path) => readFileSync(path, 'utf8'));
    expect(current?.length).toBeLessThanOrEqual(100);
    expect(older?.length).toBeLessThanOrEqual(100);
    expect(current).toContain('"line":9');
    expect(
      `${older}${current}`
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).line),
    ).toEqual([6, 7, 8, 9]);
    expect(failures).toEqual([]);
  });

  it('appends after a restart, and gives up once (saying why) when the file cannot be written', () => {
    const dataDir = tempDir('shiplog-self-log-');
    const first = new SelfLogFile(dataDir, () => {});
    first.write('one\n');
    first.close();
    const failures: Error[] = [];
    const second = new SelfLogFile(dataDir, (error) => failures.push(error));
    second.write('two\n');
    expect(readFileSync(second.path, 'utf8')).toBe('one\ntwo\n');
    second.close();
    // A directory where the file should be: every write would fail.
    const blocked = tempDir('shiplog-self-log-');
    writeFileSync(join(blocked, 'logs'), 'not a directory');
    chmodSync(join(blocked, 'logs'), 0o400);
    const third = new SelfLogFile(blocked, (error) => failures.push(error));
    third.write('a\n');
    third.write('b\n');
    expect(failures).toHaveLength(1);
  });
});
