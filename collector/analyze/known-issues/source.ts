// Where the known-issue rules come from between bundles: one file (by
// default known-issues.yaml in the collector's data directory), looked at
// before each bundle. When its modification time, size or inode changed it
// is read again; a file that does not parse or validate leaves the rules
// loaded before in force and is reported (`problem`) until it is fixed. An
// absent file means no rules. Nothing here throws: ingest never stops for
// the rules file.
import { readFileSync, statSync } from 'node:fs';
import { compileKnownIssues, type KnownIssueRules } from './rules.ts';

export interface LoadedKnownIssues extends KnownIssueRules {
  readonly path: string;
  /** Why the file as it is now was not taken (the rules are the ones loaded before). */
  readonly problem?: string;
}

export interface KnownIssueSource {
  /** The rules for the next bundle; re-reads the file when it changed. */
  current(): LoadedKnownIssues;
}

export function knownIssueSource(path: string): KnownIssueSource {
  let stamp: string | undefined;
  let loaded: LoadedKnownIssues = { path, rules: [], hash: '' };
  return {
    current() {
      let now: string;
      try {
        const info = statSync(path, { bigint: true });
        now = `${info.mtimeNs}:${info.size}:${info.ino}`;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') {
          stamp = undefined;
          loaded = { path, rules: [], hash: '' };
          return loaded;
        }
        // Kept as loaded: the next bundle looks again.
        return { ...loaded, problem: `known-issue rules ${path} cannot be read (${code ?? String(error)})` };
      }
      if (now === stamp) return loaded;
      stamp = now;
      try {
        loaded = { path, ...compileKnownIssues(readFileSync(path), path) };
      } catch (error) {
        loaded = { path, rules: loaded.rules, hash: loaded.hash, problem: (error as Error).message };
      }
      return loaded;
    },
  };
}
