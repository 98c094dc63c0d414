import { describe, expect, it } from 'vitest';
import { explainFailure, ranOutOfSpace } from '../../../../../agent/bundle/dump/failure.ts';
import { agentErrors } from '../../../../../agent/errors.ts';
import { CodedError } from '../../../../../core/coded-error.ts';

const systemError = (code: string, path?: string) =>
  Object.assign(new Error(`${code}: failed${path ? `, '${path}'` : ''}`), { code, ...(path && { path }) });
const wrapped = (cause: Error) =>
  new CodedError(agentErrors.BUNDLE_WRITE, { path: 'to the output stream', detail: 'ENOSPC' }, { cause });

const dataDir = '/var/lib/shiplog';
const output = '/mnt/usb/bundle.tar.gz';

describe('explaining a failed dump', () => {
  it.each([
    ['a staged file in the data directory', systemError('ENOSPC', `${dataDir}/tmp/dump-1/x`), 'output', dataDir],
    ['staging, with no path', systemError('ENOSPC'), 'staging', dataDir],
    [
      'the temporary bundle',
      wrapped(systemError('ENOSPC', '/mnt/usb/.bundle.tar.gz.1.partial')),
      'staging',
      '/mnt/usb',
    ],
    ['the output stream, with no path', wrapped(systemError('EDQUOT')), 'output', '/mnt/usb'],
  ] as const)('names the full file system when %s meets ENOSPC or EDQUOT', (_, error, phase, path) => {
    const explained = explainFailure(error, { phase, dataDir, output }) as CodedError;
    expect(explained.code).toBe('SHIPLOG_ERR_DUMP_NO_SPACE');
    expect(explained.details.path).toBe(path);
    expect(explained.message).toContain(`the file system holding ${path} is full`);
    expect(explained.message).toMatch(path === dataDir ? /SHIPLOG_DATA_DIR/ : /--out a path on another disk/);
  });

  it('says "standard output" when the bundle went there', () => {
    const explained = explainFailure(wrapped(systemError('ENOSPC')), { phase: 'output', dataDir, output: undefined });
    expect(explained).toMatchObject({ code: 'SHIPLOG_ERR_DUMP_NO_SPACE', details: { path: 'standard output' } });
  });

  it('gives any other system error a code and its path, never "unexpected error"', () => {
    const explained = explainFailure(systemError('EACCES', `${dataDir}/tmp/dump-1`), {
      phase: 'staging',
      dataDir,
      output,
    });
    expect(explained).toMatchObject({
      code: 'SHIPLOG_ERR_BUNDLE_WRITE',
      details: { path: output, detail: `EACCES (${dataDir}/tmp/dump-1)` },
    });
  });

  it('leaves coded errors without a full disk behind them, and plain bugs, as they are', () => {
    const rescan = new CodedError(agentErrors.DUMP_RESCAN_FOUND, { count: 1, path: 'a', rule: 'b' });
    expect(explainFailure(rescan, { phase: 'staging', dataDir, output })).toBe(rescan);
    const bug = new TypeError('x is undefined');
    expect(explainFailure(bug, { phase: 'staging', dataDir, output })).toBe(bug);
  });

  it('finds a full disk in the message of a collector that failed on it', () => {
    const run = (message: string) => ({
      name: 'syslog_files',
      status: 'failed' as const,
      duration_ms: 1,
      error: { code: 'SHIPLOG_ERR_COLLECTOR_FAILED', message },
    });
    expect(ranOutOfSpace(run('cannot read /var/log/messages (ENOSPC); check that ...'))).toBe('ENOSPC');
    expect(ranOutOfSpace(run('EDQUOT: disk quota exceeded, write'))).toBe('EDQUOT');
    expect(ranOutOfSpace(run('connect ENOENT /var/run/docker.sock'))).toBeUndefined();
    expect(ranOutOfSpace({ name: 'host', status: 'ok', duration_ms: 1 })).toBeUndefined();
  });
});
