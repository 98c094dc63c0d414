// The rotated siblings of a tailed file, as logrotate and rsyslog name them:
// messages.1, messages.2.gz (numbered: higher is older) and messages-20260101,
// messages-20260101.gz (dateext: later is newer). Listed oldest first, so that
// catching up after downtime reads them in the order they were written.
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface Sibling {
  path: string;
  gzip: boolean;
  /** Larger is newer; the live file itself ranks above every sibling. */
  rank: number;
}

const SUFFIX = /^(?:\.(\d{1,6})|-(\d{8}(?:\d{2}){0,3})|\.(\d{4})-(\d{2})-(\d{2}))(\.gz)?$/;

/** The rank of `name` as a rotated sibling of `base`, or undefined when it is not one. */
export function siblingRank(base: string, name: string): { rank: number; gzip: boolean } | undefined {
  if (!name.startsWith(base) || name.length === base.length) return undefined;
  const match = SUFFIX.exec(name.slice(base.length));
  if (!match) return undefined;
  const gzip = match[6] !== undefined;
  // Numbered siblings rank -1, -2, ...; dated ones far below them, in date order.
  if (match[1] !== undefined) return { rank: -Number(match[1]), gzip };
  const digits = match[2] ?? `${match[3]}${match[4]}${match[5]}`;
  return { rank: Number(digits.padEnd(14, '0')) - 1e15, gzip };
}

/** Whether a path looks like a rotated copy of some other file (so it is not tailed as a live file). */
export function looksRotated(path: string, livePaths: ReadonlySet<string>): boolean {
  const dir = dirname(path);
  const name = basename(path);
  for (const live of livePaths) {
    if (live !== path && dirname(live) === dir && siblingRank(basename(live), name)) return true;
  }
  return false;
}

/**
 * Rotated siblings of `livePath`, oldest first. When a plain file and its .gz
 * both exist, the .gz is still being written: the plain one is used.
 */
export async function listSiblings(livePath: string, includeGzip: boolean): Promise<Sibling[]> {
  const dir = dirname(livePath);
  const base = basename(livePath);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const byRank = new Map<number, Sibling>();
  for (const name of names) {
    const found = siblingRank(base, name);
    if (!found || (found.gzip && !includeGzip)) continue;
    const existing = byRank.get(found.rank);
    if (existing && !existing.gzip) continue;
    byRank.set(found.rank, { path: join(dir, name), gzip: found.gzip, rank: found.rank });
  }
  return [...byRank.values()].sort((a, b) => a.rank - b.rank);
}

/** Whether a checkpoint last seen at `path` belongs to the tailed `livePath` (it, or a rotated sibling of it). */
export function belongsTo(path: string, livePath: string): boolean {
  if (path === livePath) return true;
  return dirname(path) === dirname(livePath) && siblingRank(basename(livePath), basename(path)) !== undefined;
}
