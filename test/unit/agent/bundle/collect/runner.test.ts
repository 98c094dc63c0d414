import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Collector, collectBundle } from '../../../../../agent/bundle/collect/index.ts';
import { loadAgentConfig } from '../../../../../agent/config.ts';
import { createRedactor } from '../../../../../agent/redaction/index.ts';
import { tempDir } from '../../../../helpers/temp.ts';

const siteKey = Buffer.alloc(32, 3);
const window = { since: new Date(Date.now() - 3600_000), until: new Date() };
const config = loadAgentConfig(undefined, {});

async function run(collectors: Collector[], maxBytes = 200e6) {
  const redactor = createRedactor({ siteKey });
  const result = await collectBundle({ window, redactor, config, collectors, maxBytes, stagingParent: tempDir() });
  return { result, redactor };
}

describe('collector runner', () => {
  it('records a hanging collector as timeout, a throwing one as failed, and keeps the others', async () => {
    let hungSignal: AbortSignal | undefined;
    const { result } = await run([
      {
        name: 'hangs',
        timeoutMs: 50,
        collect: (ctx) => {
          hungSignal = ctx.signal;
          return new Promise(() => undefined);
        },
      },
      {
        name: 'throws',
        timeoutMs: 5_000,
        async collect() {
          throw new Error('no such file /etc/thing');
        },
      },
      {
        name: 'works',
        timeoutMs: 5_000,
        async collect(ctx) {
          await ctx.emit('works/out.txt', 'hello\n');
        },
      },
    ]);
    const byName = Object.fromEntries(result.collectors.map((run) => [run.name, run]));
    expect(byName.hangs).toMatchObject({ status: 'timeout', error: { code: 'SHIPLOG_ERR_COLLECTOR_TIMEOUT' } });
    expect(byName.throws).toMatchObject({ status: 'failed', error: { code: 'SHIPLOG_ERR_COLLECTOR_FAILED' } });
    expect(byName.throws?.error?.message).toContain('no such file /etc/thing');
    expect(byName.works).toMatchObject({ status: 'ok', files: ['works/out.txt'] });
    expect(hungSignal?.aborted).toBe(true);
    expect(result.files.map((f) => f.path)).toEqual(['SUMMARY.txt', 'works/out.txt']);
    expect(result.summary).toMatch(/AMBER +collector hangs did not finish in time/);
    expect(readFileSync(result.staging.pathOf('SUMMARY.txt'), 'utf8')).toBe(result.summary);
    await result.staging.remove();
  });

  it('refuses files from a collector after its timeout', async () => {
    let late: Promise<void> | undefined;
    const { result } = await run([
      {
        name: 'slow',
        timeoutMs: 20,
        async collect(ctx) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          late = ctx.emit('slow/late.txt', 'too late\n');
          await late;
        },
      },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(late).rejects.toThrow(/stopped/);
    expect(result.staging.files().map((f) => f.path)).toEqual(['SUMMARY.txt']);
    await result.staging.remove();
  });

  it('masks secret environment values added by the first collector in what later ones write', async () => {
    const password = 'Tr0ub4dor-and-3-horses';
    const { result } = await run([
      {
        name: 'docker_containers',
        timeoutMs: 5_000,
        async collect(ctx) {
          ctx.redactor.addEnvironment([`DB_PASSWORD=${password}`, 'TZ=UTC']);
          await ctx.emit('env.json', { json: { Env: [`DB_PASSWORD=${password}`, 'TZ=UTC'] } });
        },
      },
      {
        name: 'logs',
        timeoutMs: 5_000,
        async collect(ctx) {
          await ctx.emit('app.log', ['starting', `connecting with ${password} now`]);
        },
      },
    ]);
    const log = readFileSync(result.staging.pathOf('app.log'), 'utf8');
    expect(log).not.toContain(password);
    expect(log).toContain('connecting with ');
    const env = readFileSync(result.staging.pathOf('env.json'), 'utf8');
    expect(env).not.toContain(password);
    expect(env).toContain('DB_PASSWORD=');
    expect(env).toContain('TZ=UTC');
    expect(result.files.find((f) => f.path === 'app.log')?.redactions.total).toBe(1);
    await result.staging.remove();
  });

  it('cuts the biggest log to fit --max-size and records the truncation', async () => {
    const { result } = await run(
      [
        {
          name: 'logs',
          timeoutMs: 5_000,
          async collect(ctx) {
            const lines = function* () {
              for (let i = 0; i < 20_000; i++) yield `line ${i} ${'y'.repeat(50)}`;
            };
            await ctx.emit('big.log', lines());
            await ctx.emit('small.log', ['just one line']);
          },
        },
      ],
      50_000,
    );
    expect(result.truncations).toHaveLength(1);
    expect(result.truncations[0]).toMatchObject({ path: 'big.log', reason: 'max_size' });
    const big = result.files.find((f) => f.path === 'big.log');
    expect(big?.size).toBeLessThan(50_000 * 4);
    expect(readFileSync(result.staging.pathOf('big.log'), 'utf8')).toMatch(
      /^line 0 .*\n[\s\S]*\[shiplog: \d+ bytes left out[\s\S]*line 19999 y+\n$/,
    );
    expect(readFileSync(result.staging.pathOf('small.log'), 'utf8')).toBe('just one line\n');
    await result.staging.remove();
  });

  it.each([
    ['fit in half the budget', 1e6, true],
    ['would likely be cut', 2000, false],
  ])('has staging workers compress files ahead only when they %s', async (_case, maxBytes, packed) => {
    const dir = tempDir();
    const source = join(dir, 'messages');
    writeFileSync(source, 'line\n'.repeat(1000));
    const redactor = createRedactor({ siteKey });
    const stager: Collector = {
      name: 'stager',
      timeoutMs: 10_000,
      async collect(ctx) {
        const pool = ctx.stagePool(1, 5000);
        try {
          const reserved = await ctx.reserve('syslog/messages');
          const staged = await pool.stage({
            source,
            gunzip: false,
            target: reserved.target,
            packTarget: reserved.packTarget,
          });
          await reserved.commit(staged);
        } finally {
          await pool.close();
        }
      },
    };
    const result = await collectBundle({
      window,
      redactor,
      config,
      collectors: [stager],
      maxBytes,
      pack: 'gzip',
      stagingParent: tempDir(),
    });
    const file = result.files.find((f) => f.path === 'syslog/messages');
    // 2000 compressed bytes allow 8000 staged ones: the 5000-byte file fits, but not in half of it.
    expect(file?.packed !== undefined).toBe(packed);
    await result.staging.remove();
  });
});
