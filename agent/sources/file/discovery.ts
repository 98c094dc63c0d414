// Which files to tail: the configured paths and globs, found by a glob scan at
// start and then every rescan interval (directories can appear later), with
// chokidar watching their directories so that writes, renames and deletions
// are noticed at once. chokidar v5 has no globs, so it watches directories
// and the patterns are matched here. Reading is not chokidar's job: the
// trackers read through their own descriptors.
import { glob, stat } from 'node:fs/promises';
import { dirname, isAbsolute, matchesGlob, resolve, sep } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import { looksRotated } from './rotated.ts';

export interface DiscoveryOptions {
  patterns: readonly string[];
  exclude: readonly string[];
  rescanIntervalMs: number;
  /** Something changed at this path (written, created, renamed, removed). */
  onEvent: (path: string) => void;
  /** The live files after a scan (rotated siblings and .gz files are not live files). */
  onPaths: (paths: string[]) => void;
  onError: (error: unknown) => void;
}

const GLOB_CHARS = /[*?[\]{}]/;

/** The deepest directory of a pattern that has no glob characters in it. */
export function staticDirectory(pattern: string): string {
  const parts = pattern.split(sep);
  const fixed: string[] = [];
  for (const part of parts.slice(0, -1)) {
    if (GLOB_CHARS.test(part)) break;
    fixed.push(part);
  }
  return fixed.join(sep) || sep;
}

/** How many directory levels below its static directory a pattern reaches; undefined for '**'. */
function patternDepth(pattern: string): number | undefined {
  if (pattern.includes('**')) return undefined;
  const below = pattern.slice(staticDirectory(pattern).length).split(sep).filter(Boolean);
  return Math.max(0, below.length - 1);
}

export class Discovery {
  readonly #options: DiscoveryOptions;
  readonly #patterns: string[];
  readonly #watchedDirs = new Set<string>();
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #scanning: Promise<string[]> | undefined;
  #closed = false;

  constructor(options: DiscoveryOptions) {
    this.#options = options;
    this.#patterns = options.patterns.map((pattern) => (isAbsolute(pattern) ? pattern : resolve(pattern)));
  }

  /** Whether a path is one the configuration asks for. */
  matches(path: string): boolean {
    return (
      this.#patterns.some((pattern) => pattern === path || matchesGlob(path, pattern)) &&
      !this.#options.exclude.some((pattern) => matchesGlob(path, pattern))
    );
  }

  async start(): Promise<string[]> {
    const depths = this.#patterns.map(patternDepth);
    this.#watcher = watch([], {
      ignoreInitial: true,
      // atomic would fold an unlink and an add into one change: that hides a rotation.
      atomic: false,
      ignorePermissionErrors: true,
      depth: depths.includes(undefined) ? undefined : Math.max(0, ...depths.map((d) => d ?? 0)),
    });
    const onEvent = (path: string) => {
      this.#options.onEvent(path);
      // A new file that matches is a new live file: rescan to pick it up.
      if (this.matches(path)) void this.scan();
    };
    this.#watcher
      .on('add', onEvent)
      .on('unlink', onEvent)
      .on('change', (path) => this.#options.onEvent(path));
    this.#watcher.on('error', (error) => this.#options.onError(error));
    const paths = await this.scan();
    this.#schedule();
    return paths;
  }

  /** Globs the patterns now; reports and returns the live files. Concurrent calls share one scan. */
  scan(): Promise<string[]> {
    this.#scanning ??= this.#scan().finally(() => {
      this.#scanning = undefined;
    });
    return this.#scanning;
  }

  async #scan(): Promise<string[]> {
    const found = new Set<string>();
    const literal = new Set<string>();
    for (const pattern of this.#patterns) {
      try {
        for await (const path of glob(pattern)) {
          const absolute = resolve(path);
          if (!absolute.endsWith('.gz') && this.matches(absolute)) found.add(absolute);
          if (!GLOB_CHARS.test(pattern)) literal.add(absolute);
        }
      } catch (error) {
        this.#options.onError(error);
      }
      await this.#watchDirectory(staticDirectory(pattern));
    }
    for (const path of found) await this.#watchDirectory(dirname(path));
    const live: string[] = [];
    for (const path of found) {
      if (looksRotated(path, found)) continue;
      // A path named literally is tailed whatever it is, so that its tracker
      // can say why it cannot be read; a glob picks regular files only.
      const info = await stat(path).catch(() => undefined);
      if (!literal.has(path) && !info?.isFile()) continue;
      live.push(path);
    }
    live.sort();
    if (!this.#closed) this.#options.onPaths(live);
    return live;
  }

  async #watchDirectory(dir: string): Promise<void> {
    if (this.#closed || !this.#watcher || this.#watchedDirs.has(dir)) return;
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) return;
    this.#watchedDirs.add(dir);
    this.#watcher.add(dir);
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      void this.scan().finally(() => this.#schedule());
    }, this.#options.rescanIntervalMs);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#scanning?.catch(() => undefined);
    await this.#watcher?.close();
  }
}
