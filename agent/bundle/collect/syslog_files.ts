// The configured syslog files (sources.files.paths) and their rotated
// siblings (messages-20260101, syslog.1, syslog.2.gz), the lines whose
// parsed time lies in the window. A line without a time of its own (a stack
// trace's continuation) goes with the line before it; at the start of a file
// it is kept when the file was written to within the window.
// Each file becomes `syslog/<name>` (`.gz` dropped: the bundle is compressed).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CodedError } from '../../../core/coded-error.ts';
import { agentErrors } from '../../errors.ts';
import { createSyslogParser } from '../../parsers/syslog.ts';
import { listSiblings } from '../../sources/file/rotated.ts';
import { safeName } from '../staging.ts';
import { skipped } from './agent_spool.ts';
import type { CollectContext, Collector } from './types.ts';

export const syslogFiles: Collector = {
  name: 'syslog_files',
  timeoutMs: 5 * 60_000,
  async collect(ctx) {
    const settings = ctx.config.sources.files;
    const parse = createSyslogParser({ timezone: settings.timezone });
    const files: { path: string; mtimeMs: number }[] = [];
    const unreadable: string[] = [];
    const names = new Map<string, string>();
    for (const configured of settings.paths) {
      for (const path of await withRotations(configured, settings.read_rotated_gz)) {
        try {
          const info = await stat(path);
          // Written to last before the window opened: nothing in it can be in the window.
          if (info.isFile() && info.mtimeMs >= ctx.window.since.getTime()) files.push({ path, mtimeMs: info.mtimeMs });
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
    for (const file of files) {
      try {
        await copyWindow(ctx, file.path, file.mtimeMs, parse, names);
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        unreadable.push(`${file.path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      }
    }
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
  path: string,
  mtimeMs: number,
  parse: ReturnType<typeof createSyslogParser>,
  names: Map<string, string>,
): Promise<void> {
  const since = ctx.window.since.getTime();
  const until = ctx.window.until.getTime();
  const writtenInWindow = mtimeMs >= since && mtimeMs <= until;
  // Opened before the bundle file so that an unreadable file leaves nothing behind.
  const input = await openText(path);
  const bundleName = `syslog/${safeName(path.endsWith('.gz') ? basename(path).slice(0, -3) : basename(path))}`;
  const out = ctx.open(uniqueName(names, bundleName, path));
  try {
    let keep = writtenInWindow;
    for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      // Year-less timestamps are placed relative to the file's last write, not to today.
      const parsed = parse(line, mtimeMs);
      if (parsed.parse_failure === undefined) {
        const time = Date.parse(parsed['@timestamp'].replace(/(\.\d{3})\d*/, '$1'));
        keep = time >= since && time <= until;
      }
      if (keep) await out.write(line);
    }
  } catch (error) {
    await out.abort();
    throw error;
  }
  await out.close();
}

/** Readable stream of the file's text, gunzipped for `.gz`; rejects when the file cannot be opened. */
async function openText(path: string): Promise<Readable> {
  const raw = createReadStream(path);
  await new Promise<void>((resolve, reject) => {
    raw.once('open', () => resolve());
    raw.once('error', reject);
  });
  if (!path.endsWith('.gz')) return raw;
  const gunzip = createGunzip();
  raw.on('error', (error) => gunzip.destroy(error));
  return raw.pipe(gunzip);
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
