// Where each file identity was read up to. An offset is committed here only
// after the writer acknowledged every event before it (fluent-bit#11265 and
// #5912 saved on read and lost lines), and saved through the StateStore,
// which replaces the file atomically. Saves are throttled: a crash loses at
// most the last interval of progress, which is re-read and deduplicated by
// the deterministic event ids.
import type { StateStore } from '../../pipeline/types.ts';
import { type Fingerprint, identityKey, matchesFingerprint } from './identity.ts';
import type { TailMark } from './tail.ts';

export interface FileCheckpoint {
  key: string;
  dev: number;
  ino: number;
  fpLength: number;
  fpHash: string;
  /** Next byte to read: every line before it was acknowledged. */
  offset: number;
  /** The line at offset is the tail of a line cut at the cap: skip to its newline. */
  skipping: boolean;
  /** Read to its end after it was rotated: a later copy (its .gz) needs no reading. */
  complete: boolean;
  /** Where it was last seen. */
  path: string;
  /** When it was last seen on disk (epoch ms); long-gone identities are forgotten. */
  seenAt: number;
  /** Rewritten in place this many times (same inode and first line); absent is 0. */
  generation?: number;
  /** The last bytes read from it (tail.ts): a restart checks the file still holds them. */
  tail?: TailMark;
  /** Its size when last seen: what was lost, at least, if it disappears unread. */
  size?: number;
}

interface Saved {
  version: 1;
  files: FileCheckpoint[];
}

export interface FileCheckpointsOptions {
  name?: string;
  intervalMs?: number;
  onError?: (error: unknown) => void;
}

export class FileCheckpoints {
  readonly #store: StateStore;
  readonly #name: string;
  readonly #intervalMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #entries = new Map<string, FileCheckpoint>();
  #dirty = false;
  #timer: NodeJS.Timeout | undefined;
  #saving: Promise<void> = Promise.resolve();

  constructor(store: StateStore, options: FileCheckpointsOptions = {}) {
    this.#store = store;
    this.#name = options.name ?? 'file-source';
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#onError = options.onError ?? (() => undefined);
  }

  async load(): Promise<void> {
    const saved = await this.#store.load<Saved>(this.#name);
    if (saved?.version !== 1 || !Array.isArray(saved.files)) return;
    for (const entry of saved.files) {
      if (typeof entry?.key === 'string' && Number.isSafeInteger(entry.offset) && entry.offset >= 0) {
        const { tail, ...rest } = entry;
        this.#entries.set(entry.key, {
          ...rest,
          skipping: entry.skipping === true,
          complete: entry.complete === true,
          // A tail that does not read as one is no evidence either way: dropped.
          ...(isTailMark(tail) ? { tail } : {}),
        });
      }
    }
  }

  get(key: string): FileCheckpoint | undefined {
    return this.#entries.get(key);
  }

  all(): FileCheckpoint[] {
    return [...this.#entries.values()];
  }

  /**
   * The identity of a file on this device and inode that starts with `head`:
   * its latest generation (the earlier ones were rewritten over).
   */
  findByInode(dev: number, ino: number, head: Buffer): FileCheckpoint | undefined {
    let best: FileCheckpoint | undefined;
    for (const entry of this.#entries.values()) {
      if (entry.dev !== dev || entry.ino !== ino || !matchesFingerprint(head, fpOf(entry))) continue;
      if (!best || (entry.generation ?? 0) > (best.generation ?? 0)) best = entry;
    }
    return best;
  }

  /** Identities whose content `head` starts with, on any inode, most recently seen first. */
  candidatesByContent(head: Buffer, exclude?: ReadonlySet<string>): FileCheckpoint[] {
    return [...this.#entries.values()]
      .filter((entry) => !exclude?.has(entry.key) && matchesFingerprint(head, fpOf(entry)))
      .sort((a, b) => b.seenAt - a.seenAt);
  }

  /** An identity whose content `head` starts with, on any inode: the file was copied or compressed. */
  findByContent(head: Buffer, exclude?: ReadonlySet<string>): FileCheckpoint | undefined {
    let best: FileCheckpoint | undefined;
    for (const entry of this.#entries.values()) {
      if (exclude?.has(entry.key) || !matchesFingerprint(head, fpOf(entry))) continue;
      // Two identities with one first line (rare): the most recently seen wins.
      if (!best || entry.seenAt > best.seenAt) best = entry;
    }
    return best;
  }

  /** Registers an identity; it is saved with the next commit. */
  add(entry: FileCheckpoint): void {
    this.#entries.set(entry.key, entry);
  }

  /** The identity of a file, registered (from offset 0) if it is new. */
  register(path: string, dev: number, ino: number, fp: Fingerprint, now: number, generation = 0): FileCheckpoint {
    const key = identityKey(dev, ino, fp, generation);
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = {
        key,
        dev,
        ino,
        fpLength: fp.length,
        fpHash: fp.hash,
        offset: 0,
        skipping: false,
        complete: false,
        path,
        seenAt: now,
        ...(generation === 0 ? {} : { generation }),
      };
      this.#entries.set(key, entry);
    }
    return entry;
  }

  /**
   * A file no identity matched: generation 0, or for a file rewritten in
   * place (its inode and first line known, its content not) the generation
   * after the latest one known. Deterministic: after a crash that lost this
   * registration, the same file gets the same generation again, and so its
   * lines the same ids.
   */
  registerNew(path: string, dev: number, ino: number, fp: Fingerprint, now: number): FileCheckpoint {
    let generation = 0;
    for (const entry of this.#entries.values()) {
      if (entry.dev === dev && entry.ino === ino && entry.fpHash === fp.hash && entry.fpLength === fp.length) {
        generation = Math.max(generation, (entry.generation ?? 0) + 1);
      }
    }
    return this.register(path, dev, ino, fp, now, generation);
  }

  /**
   * Records an acknowledged position and schedules a save; `tail` is what
   * was last read (at or past the offset) and `size` the file's size seen.
   */
  commit(
    key: string,
    offset: number,
    skipping: boolean,
    complete: boolean,
    now: number,
    seen: { tail?: TailMark; size?: number } = {},
  ): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    const tail = seen.tail ?? entry.tail;
    const size = Math.max(seen.size ?? 0, entry.size ?? 0, offset);
    if (
      entry.offset === offset &&
      entry.skipping === skipping &&
      entry.complete === complete &&
      entry.tail?.end === tail?.end &&
      entry.size === size
    ) {
      return;
    }
    entry.offset = offset;
    entry.skipping = skipping;
    entry.complete = complete;
    entry.seenAt = now;
    if (tail) entry.tail = tail;
    entry.size = size;
    this.#markDirty();
  }

  /** The file grew to `size` (seen, maybe not read yet): saved with the next save. */
  noteSize(key: string, size: number): void {
    const entry = this.#entries.get(key);
    if (!entry || size <= (entry.size ?? 0)) return;
    entry.size = size;
    this.#markDirty();
  }

  /**
   * An identity whose content is gone (rewritten over, or rotated away and
   * deleted) without being read to its end: nothing more is read from it,
   * and what it lost is not counted again. Its offset stays as evidence.
   */
  retire(key: string, now: number): void {
    const entry = this.#entries.get(key);
    if (!entry || entry.complete) return;
    entry.complete = true;
    entry.seenAt = now;
    this.#markDirty();
  }

  /** Forgets identities not seen since `before`, except those still in use. */
  prune(before: number, inUse: ReadonlySet<string>): void {
    for (const [key, entry] of this.#entries) {
      if (entry.seenAt < before && !inUse.has(key)) {
        this.#entries.delete(key);
        this.#markDirty();
      }
    }
  }

  /** Saves now if anything changed; resolves once it is durable. */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#dirty) this.#save();
    await this.#saving;
  }

  #markDirty(): void {
    this.#dirty = true;
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#save();
    }, this.#intervalMs);
    this.#timer.unref();
  }

  #save(): void {
    this.#dirty = false;
    const value: Saved = { version: 1, files: this.all().map((entry) => ({ ...entry })) };
    this.#saving = this.#saving
      .then(() => this.#store.save(this.#name, value))
      .catch((error: unknown) => {
        // Not durable: try again with the next commit.
        this.#dirty = true;
        this.#onError(error);
      });
  }
}

export function fpOf(entry: FileCheckpoint): { length: number; hash: string } {
  return { length: entry.fpLength, hash: entry.fpHash };
}

function isTailMark(value: unknown): value is TailMark {
  const mark = value as TailMark | undefined;
  return (
    typeof mark === 'object' &&
    mark !== null &&
    Number.isSafeInteger(mark.end) &&
    Number.isSafeInteger(mark.length) &&
    mark.length > 0 &&
    mark.length <= mark.end &&
    typeof mark.hash === 'string'
  );
}
