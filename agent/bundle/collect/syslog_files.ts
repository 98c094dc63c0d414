// The configured syslog files (sources.files.paths) and their rotated
// siblings (messages-20260101, syslog.1, syslog.2.gz), the lines whose
// parsed time lies in the window. A line without a time of its own (a stack
// trace's continuation) goes with the line before it; at the start of a file
// it is kept when the file was written to within the window.
// Each file becomes `syslog/<name>` (`.gz` dropped: the bundle is compressed).
// Lines are split at \n alone and kept byte for byte (CR LF, invalid UTF-8);
// the window is decided by collect/syslog-window.ts, in worker threads.
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { CodedError } from '../../../core/coded-error.ts';
import { agentErrors } from '../../errors.ts';
import { listSiblings } from '../../sources/file/rotated.ts';
import { safeName } from '../staging.ts';
import { skipped } from './agent_spool.ts';
import type { StagePool } from './stage-pool.ts';
import type { CollectContext, Collector } from './types.ts';

export const syslogFiles: Collector = {
  name: 'syslog_files',
  timeoutMs: 5 * 60_000,
  async collect(ctx) {
    const settings = ctx.config.sources.files;
    const files: { path: string; mtimeMs: number; size: number }[] = [];
    const unreadable: string[] = [];
    const names = new Map<string, string>();
    for (const configured of settings.paths) {
      for (const path of await withRotations(configured, settings.read_rotated_gz)) {
        try {
          const info = await stat(path);
          // Written to last before the window opened: nothing in it can be in the window.
          if (info.isFile() && info.mtimeMs >= ctx.window.since.getTime())
            files.push({ path, mtimeMs: info.mtimeMs, size: info.size });
        } catch (error) {
          // A default path that this distribution does not use is absent, not unreadable.
          const code = (error as NodeJS.ErrnoException).code;
          if (code !== 'ENOENT') unreadable.push(`${path} (${code ?? String(error)})`);
        }
      }
    }
    if (files.length === 0 && unreadable.length === 0) {
      throw skipped(ctx.collector, `none of ${settings.paths.join(', ')} exists or was written to in the window`);
    }
    // Bundle names in the order the files are listed, whichever worker finishes first.
    const jobs = files.map((file) => {
      const name = `syslog/${safeName(file.path.endsWith('.gz') ? basename(file.path).slice(0, -3) : basename(file.path))}`;
      return { ...file, name: uniqueName(names, name, file.path) };
    });
    // Each file is read, cut to the window, redacted and written by a worker thread.
    // About what they hold once staged (a rotated .gz unpacks to ~10 times its size): the budget may cut more.
    const bytes = files.reduce((sum, file) => sum + file.size * (file.path.endsWith('.gz') ? 10 : 1), 0);
    const pool = ctx.stagePool(jobs.length, bytes);
    const stop = () => void pool.close();
    ctx.signal.addEventListener('abort', stop, { once: true });
    const failures: (string | undefined)[] = [];
    try {
      await Promise.all(
        jobs.map(async (job, index) => {
          try {
            await copyWindow(ctx, pool, job, settings.timezone);
          } catch (error) {
            if (ctx.signal.aborted) throw ctx.signal.reason ?? error;
            failures[index] = `${job.path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
          }
        }),
      );
    } finally {
      ctx.signal.removeEventListener('abort', stop);
      await pool.close();
    }
    unreadable.push(...failures.filter((failure) => failure !== undefined));
    // The readable files are in the bundle; the collector still says which were not.
    if (unreadable.length > 0) {
      throw new CodedError(agentErrors.COLLECTOR_FAILED, {
        collector: ctx.collector,
        detail: `cannot read ${unreadable.join(', ')}; check that this user may read them (run as root or in group adm)`,
      });
    }
  },
};

async function copyWindow(
  ctx: CollectContext,
  pool: StagePool,
  file: { path: string; mtimeMs: number; size: number; name: string },
  timezone: string,
): Promise<void> {
  const reserved = await ctx.reserve(file.name);
  try {
    const result = await pool.stage({
      source: file.path,
      gunzip: file.path.endsWith('.gz'),
      target: reserved.target,
      packTarget: reserved.packTarget,
      window: { timezone, since: ctx.window.since.getTime(), until: ctx.window.until.getTime(), mtimeMs: file.mtimeMs },
    });
    await reserved.commit(result);
  } catch (error) {
    await reserved.abort();
    throw error;
  }
}

// Two configured directories may hold files of one name (/var/log/messages, /srv/app/messages).
function uniqueName(names: Map<string, string>, name: string, source: string): string {
  let candidate = name;
  for (let n = 2; names.has(candidate) && names.get(candidate) !== source; n++) candidate = `${name}.${n}`;
  names.set(candidate, source);
  return candidate;
}

/** The file and its rotations (the file source's notion of them), newest first. */
export async function withRotations(path: string, includeGz: boolean): Promise<string[]> {
  const siblings = await listSiblings(path, includeGz);
  return [path, ...siblings.reverse().map((sibling) => sibling.path)];
}
