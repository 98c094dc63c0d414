import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isVariable, maskToken, tokenize } from '../../../../collector/analyze/templates/mask.ts';
import { TemplateMiner, templateText } from '../../../../collector/analyze/templates/miner.ts';

describe('masking the values in a line', () => {
  const table: Array<[string, string]> = [
    ['connection from 10.2.3.4:5432 refused', 'connection from <IP> refused'],
    ['peer [fe80::1ff:fe23:4567:890a] gone', 'peer [<IP>] gone'],
    ['request 3f2b9c1e-8d4a-4b6f-9e2d-1a2b3c4d5e6f done', 'request <UUID> done'],
    ['container 4f1c9e2a7b3d is unhealthy', 'container <HEX> is unhealthy'],
    ['pointer 0x7ffd5a3c', 'pointer <HEX>'],
    ['took 150ms to answer, retry in 2.5s', 'took <DUR> to answer, retry in <DUR>'],
    ['uptime 1h30m12s', 'uptime <DUR>'],
    ['2025-06-01T12:00:00.123456789Z INFO started', '<TIME> INFO started'],
    ['[2025-06-01 12:00:01,005] WARN slow', '[<TIME> <TIME>] WARN slow'],
    ['wrote 512MiB in 3 files (42%)', 'wrote <NUM> in <NUM> files (<NUM>)'],
    ['pid=4242 user=alice count=-7', 'pid=<NUM> user=alice count=<NUM>'],
    ['GET /api/v1/users/42 200', 'GET /api/v<NUM>/users/<NUM> <NUM>'],
    ['db-1:5432 unreachable', 'db-<NUM>:<NUM> unreachable'],
    ['digest sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', 'digest <HEX>'],
    ['no digits at all here', 'no digits at all here'],
  ];

  it.each(table)('%s', (line, masked) => {
    expect(tokenize(line).join(' ')).toBe(masked);
  });

  it('keeps tokens without a digit as they are, and cuts long lines', () => {
    expect(maskToken('deadbeef')).toBe('deadbeef');
    const long = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ');
    const tokens = tokenize(long);
    expect(tokens).toHaveLength(64);
    expect(tokens.at(-1)).toBe('<*>');
  });

  it('tells a value token from a constant one', () => {
    expect(['<NUM>', '"<IP>",', '<*>', '(<HEX>)'].map(isVariable)).toEqual([true, true, true, true]);
    expect(['pid=<NUM>', 'db-<NUM>:<NUM>', 'error'].map(isVariable)).toEqual([false, false, false]);
  });
});

describe('the template miner', () => {
  function mine(lines: readonly string[], miner = new TemplateMiner()) {
    const ids = lines.map((line) => miner.add(tokenize(line)).id);
    return { miner, ids, texts: miner.templates().map(templateText).sort() };
  }

  it('merges lines that differ in their values into one template with <*> where they differ', () => {
    const { texts, ids } = mine([
      'user alice logged in from 10.0.0.1',
      'Connection to db-1 refused after 3 retries',
      'Connection to cache refused after 5 retries',
      'Connection to queue refused after 12 retries',
      'user alice logged out',
      'Job finished for backup in 12.5s with status ok',
      'Job finished for index in 300ms with status failed',
    ]);
    expect(texts).toEqual([
      'Connection to <*> refused after <NUM> retries',
      'Job finished for <*> in <DUR> with status <*>',
      'user alice logged in from <IP>',
      'user alice logged out',
    ]);
    expect(ids[1]).toBe(ids[3]);
    expect(ids[5]).toBe(ids[6]);
  });

  it('keeps lines of different lengths or different first words apart', () => {
    const { texts } = mine([
      'ERROR disk full on /var',
      'ERROR disk full on /var again',
      'WARN disk full on /var',
      'Connection refused',
      'Connection reset',
    ]);
    expect(texts).toEqual([
      'Connection refused',
      'Connection reset',
      'ERROR disk full on /var',
      'ERROR disk full on /var again',
      'WARN disk full on /var',
    ]);
  });

  it('counts the lines of each template', () => {
    const miner = new TemplateMiner();
    for (let i = 0; i < 500; i++) miner.add(tokenize(`request ${i} served in ${i % 50}ms`));
    for (let i = 0; i < 20; i++) miner.add(tokenize(`ERROR upstream ${i % 3 === 0 ? 'payments' : 'ledger'} timed out`));
    const counts = miner
      .templates()
      .map((template) => [templateText(template), template.count])
      .sort();
    expect(counts).toEqual([
      ['ERROR upstream <*> timed out', 20],
      ['request <NUM> served in <DUR>', 500],
    ]);
  });

  it('stays within its bounds on 100,000 distinct random lines, keeping the frequent templates', () => {
    const miner = new TemplateMiner({ maxTemplates: 5000 });
    const pool = randomBytes(1 << 20)
      .toString('base64url')
      .replace(/[0-9_-]/g, 'x');
    let at = 0;
    const word = () => {
      at = (at + 7) % (pool.length - 8);
      return pool.slice(at, at + 8);
    };
    let most = 0;
    for (let i = 0; i < 100_000; i++) {
      const length = 3 + (i % 12);
      miner.add(tokenize(Array.from({ length }, word).join(' ')));
      if (i % 10 === 0) miner.add(tokenize(`heartbeat from worker ${i % 7} ok`));
      most = Math.max(most, miner.size);
    }
    expect(most).toBeLessThanOrEqual(5000);
    expect(miner.evicted).toBeGreaterThan(90_000);
    const heartbeat = miner.templates().find((template) => templateText(template) === 'heartbeat from worker <NUM> ok');
    expect(heartbeat?.count).toBe(10_000);
  }, 60_000);
});
