// Events a sink's receiver refused for good (Elasticsearch mapping errors, bad
// values; a syslog receiver's size limit) are kept here with the reason, one
// file per sink, never silently dropped. Bounded: two files of at most
// maxBytes each, the older one replaced when the current one fills.
import { appendFile, mkdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogEvent } from '../../schemas/log-event.ts';

export interface DeadLetterEntry {
  reason: string;
  /** The event; a record that did not decode is kept as its text. */
  event: LogEvent | string;
  /** What the sink adds to find the refusal again: Elasticsearch's status and index. */
  [detail: string]: unknown;
}

export class DeadLetterFile {
  readonly path: string;
  private readonly maxBytes: number;
  private size: number | undefined;

  constructor(dir: string, name: string, maxBytes = 64 * 1024 * 1024) {
    this.path = join(dir, `${name}.ndjson`);
    this.maxBytes = maxBytes;
  }

  async write(entries: readonly DeadLetterEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const time = new Date().toISOString();
    const text = entries.map((entry) => `${JSON.stringify({ time, ...entry })}\n`).join('');
    await mkdir(join(this.path, '..'), { recursive: true, mode: 0o700 });
    if (this.size === undefined)
      this.size = await stat(this.path).then(
        (s) => s.size,
        () => 0,
      );
    if (this.size > 0 && this.size + text.length > this.maxBytes) {
      await rename(this.path, `${this.path}.1`);
      this.size = 0;
    }
    await appendFile(this.path, text, { mode: 0o600 });
    this.size += Buffer.byteLength(text);
  }
}
