// A copy of the agent's own log lines in its data directory, so a support
// bundle can carry them wherever stdout went (journald, `docker logs`, a
// terminal long closed). Bounded: at most `maxBytes` in agent.log, the
// previous part in agent.log.1. The agent logs what happens, never per event,
// so a synchronous append per line costs nothing that matters. A file that
// cannot be written is given up on, with one line on stdout saying so; the
// stdout log is unaffected.
import { closeSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const SELF_LOG_DIR = 'logs';
export const SELF_LOG_FILE = 'agent.log';
export const SELF_LOG_MAX_BYTES = 4 * 1024 * 1024;

/** The self-log files of a data directory, older first. */
export function selfLogPaths(dataDir: string): string[] {
  const current = join(dataDir, SELF_LOG_DIR, SELF_LOG_FILE);
  return [`${current}.1`, current];
}

export class SelfLogFile {
  readonly path: string;
  readonly #maxBytes: number;
  readonly #onFailure: (error: Error) => void;
  #fd: number | undefined;
  #size = 0;
  #failed = false;

  constructor(dataDir: string, onFailure: (error: Error) => void, maxBytes = SELF_LOG_MAX_BYTES) {
    this.path = join(dataDir, SELF_LOG_DIR, SELF_LOG_FILE);
    this.#maxBytes = maxBytes;
    this.#onFailure = onFailure;
  }

  /** pino's destination interface: one serialised line per call. */
  write(line: string): boolean {
    if (this.#failed) return true;
    try {
      this.#open();
      if (this.#size > 0 && this.#size + line.length > this.#maxBytes) this.#rotate();
      this.#size += writeSync(this.#fd as number, line);
    } catch (error) {
      this.#failed = true;
      this.close();
      this.#onFailure(error as Error);
    }
    return true;
  }

  close(): void {
    if (this.#fd === undefined) return;
    try {
      closeSync(this.#fd);
    } catch {
      // already gone
    }
    this.#fd = undefined;
  }

  #open(): void {
    if (this.#fd !== undefined) return;
    mkdirSync(join(this.path, '..'), { recursive: true, mode: 0o700 });
    this.#fd = openSync(this.path, 'a', 0o600);
    this.#size = statSync(this.path).size;
  }

  #rotate(): void {
    this.close();
    renameSync(this.path, `${this.path}.1`);
    this.#open();
  }
}
