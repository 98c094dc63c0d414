// Small durable state files: spool cursors, file offsets, per-container Docker
// positions. Registries corrupted by a power cut are a classic shipper bug
// (beats#3537, #25135), so every save goes temp file → fsync → rename → fsync
// of the directory, and a file that cannot be read back is reported and
// treated as absent instead of stopping the agent.
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { CodedError } from '../../core/coded-error.ts';
import { agentErrors } from '../errors.ts';
import type { StateStore } from '../pipeline/types.ts';

export interface CheckpointWarning {
  name: string;
  path: string;
  reason: string;
}

export interface CheckpointStoreOptions {
  /** Told about every checkpoint that could not be read back (the agent logs it). */
  onWarning?: (warning: CheckpointWarning) => void;
}

export interface CheckpointStoreStats {
  /** Files actually written; lower than the number of save() calls when saves coalesce. */
  writes: number;
  warnings: number;
}

const SUFFIX = '.json';
// Long names (none are expected) are cut and made unique with a hash, so a
// file name never exceeds what every Linux file system accepts.
const MAX_ENCODED = 180;

/** One pending file operation for a name: a JSON text to write, or null to remove. */
interface Job {
  text: string | null;
  waiters: PromiseWithResolvers<void>[];
}

interface Slot {
  next: Job | undefined;
  running: Promise<void> | undefined;
}

export class CheckpointStore implements StateStore {
  readonly dir: string;
  readonly #onWarning: ((warning: CheckpointWarning) => void) | undefined;
  readonly #slots = new Map<string, Slot>();
  #ready: Promise<void> | undefined;
  #writes = 0;
  #warnings = 0;

  constructor(dir: string, options: CheckpointStoreOptions = {}) {
    this.dir = dir;
    this.#onWarning = options.onWarning;
  }

  get stats(): CheckpointStoreStats {
    return { writes: this.#writes, warnings: this.#warnings };
  }

  async load<T>(name: string): Promise<T | undefined> {
    const path = this.path(name);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      this.#warn(name, path, `unreadable (${errorMessage(error)})`);
      return undefined;
    }
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      // A torn or zeroed file after a power cut: start over rather than crash-loop.
      this.#warn(name, path, `not valid JSON (${errorMessage(error)}); treating it as absent`);
      return undefined;
    }
  }

  /**
   * Resolves once this value, or one saved after it, is durable. At most one
   * write per name is in flight; saves made meanwhile collapse into one write
   * of the latest value.
   */
  save(name: string, value: unknown): Promise<void> {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      return Promise.reject(error);
    }
    if (text === undefined) return Promise.reject(new TypeError(`checkpoint "${name}" has no JSON form`));
    return this.#enqueue(name, text);
  }

  /** Forgets a name (a container that was destroyed); ordered after earlier saves of it. */
  remove(name: string): Promise<void> {
    return this.#enqueue(name, null);
  }

  /** Names with a saved value, for callers that clean up state of things gone while the agent was down. */
  async list(): Promise<string[]> {
    let entries: string[];
    try {
      entries = await readdir(this.dir);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw error;
    }
    const names: string[] = [];
    for (const entry of entries) {
      if (!entry.endsWith(SUFFIX) || entry.includes('~')) continue;
      try {
        names.push(decodeURIComponent(entry.slice(0, -SUFFIX.length)));
      } catch {
        // Not a file this store wrote.
      }
    }
    return names.sort();
  }

  /** Waits until every save made so far is on disk. */
  async flush(): Promise<void> {
    while (this.#slots.size > 0) {
      await Promise.allSettled([...this.#slots.values()].map((slot) => slot.running));
    }
  }

  /** The file that holds a name; names are encoded so that none can leave the directory. */
  path(name: string): string {
    return join(this.dir, fileNameFor(name));
  }

  #enqueue(name: string, text: string | null): Promise<void> {
    const path = this.path(name);
    let slot = this.#slots.get(path);
    if (!slot) {
      slot = { next: undefined, running: undefined };
      this.#slots.set(path, slot);
    }
    if (slot.next) slot.next.text = text;
    else slot.next = { text, waiters: [] };
    const waiter = Promise.withResolvers<void>();
    slot.next.waiters.push(waiter);
    if (!slot.running) slot.running = this.#drain(path, slot);
    return waiter.promise;
  }

  async #drain(path: string, slot: Slot): Promise<void> {
    while (slot.next) {
      const job = slot.next;
      slot.next = undefined;
      try {
        if (job.text === null) await removeFile(path);
        else await this.#write(path, job.text);
        for (const waiter of job.waiters) waiter.resolve();
      } catch (error) {
        const coded = new CodedError(
          agentErrors.CHECKPOINT_IO,
          { path, detail: errorMessage(error) },
          { cause: error },
        );
        for (const waiter of job.waiters) waiter.reject(coded);
      }
    }
    slot.running = undefined;
    this.#slots.delete(path);
  }

  async #write(path: string, text: string): Promise<void> {
    this.#ready ??= mkdir(this.dir, { recursive: true }).then(() => undefined);
    try {
      await this.#ready;
    } catch (error) {
      this.#ready = undefined;
      throw error;
    }
    const temp = `${path}.tmp`;
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    await syncDirectory(this.dir);
    this.#writes++;
  }

  #warn(name: string, path: string, reason: string): void {
    this.#warnings++;
    this.#onWarning?.({ name, path, reason });
  }
}

/** fsync of a directory makes a rename or unlink in it survive a power cut. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function fileNameFor(name: string): string {
  if (name.length === 0) throw new TypeError('a checkpoint name must not be empty');
  // encodeURIComponent leaves no "/" and no NUL; a leading dot is encoded too,
  // so "." and ".." (and hidden files) cannot be produced; "~" is kept for
  // the hashed form of long names.
  let encoded = encodeURIComponent(name).replace(/^\./, '%2E').replaceAll('~', '%7E');
  if (encoded.length > MAX_ENCODED) {
    const digest = createHash('sha256').update(name).digest('hex').slice(0, 16);
    encoded = `${encoded.slice(0, MAX_ENCODED - 17)}~${digest}`;
  }
  return `${encoded}${SUFFIX}`;
}

async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}

export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
