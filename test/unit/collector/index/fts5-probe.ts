// Asks SQLite's own FTS5 `unicode61 remove_diacritics 0` tokenizer how it
// treats every code point: whether it is a token character, and what it folds
// to. The token rule in collector/index/terms.ts is a table of exactly these
// answers; the test compares the two, and running this file prints the table
// afresh (for when Node ships a SQLite whose Unicode data changed):
//
//   npx node test/unit/collector/index/fts5-probe.ts
import { DatabaseSync } from 'node:sqlite';
import { ftsTokenizerOption } from '../../../../collector/index/terms.ts';

export interface Fts5CodePoints {
  /** 1 where the code point is a token character. */
  readonly token: Uint8Array;
  /** Code point -> folded code point, where folding changes it. */
  readonly fold: ReadonlyMap<number, number>;
}

const LAST = 0x10ffff;

/** Each code point between two ASCII letters: one token means it joins them, two mean it separates. */
export function probeCodePoints(from = 0, to = LAST): Fts5CodePoints {
  const db = new DatabaseSync(':memory:');
  try {
    db.exec(
      `CREATE VIRTUAL TABLE probe USING fts5(m, tokenize = '${ftsTokenizerOption}');
       CREATE VIRTUAL TABLE probe_terms USING fts5vocab(probe, instance);`,
    );
    const insert = db.prepare('INSERT INTO probe (rowid, m) VALUES (?, ?)');
    db.exec('BEGIN');
    for (let cp = from; cp <= to; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      insert.run(cp + 1, `a${String.fromCodePoint(cp)}b`);
    }
    db.exec('COMMIT');
    const token = new Uint8Array(LAST + 1);
    const fold = new Map<number, number>();
    const counts = new Map<number, number>();
    const rows = db.prepare('SELECT doc, term FROM probe_terms').all() as { doc: number; term: string }[];
    for (const { doc } of rows) counts.set(doc, (counts.get(doc) ?? 0) + 1);
    for (const { doc, term } of rows) {
      if (counts.get(doc) !== 1) continue;
      const cp = doc - 1;
      token[cp] = 1;
      const folded = term.codePointAt(1) ?? cp;
      if (folded !== cp) fold.set(cp, folded);
    }
    return { token, fold };
  } finally {
    db.close();
  }
}

/** The tokens FTS5 makes of each text, in order (what the index holds). */
export function fts5Tokens(texts: readonly string[]): string[][] {
  const db = new DatabaseSync(':memory:');
  try {
    db.exec(
      `CREATE VIRTUAL TABLE probe USING fts5(m, tokenize = '${ftsTokenizerOption}');
       CREATE VIRTUAL TABLE probe_terms USING fts5vocab(probe, instance);`,
    );
    const insert = db.prepare('INSERT INTO probe (rowid, m) VALUES (?, ?)');
    texts.forEach((text, i) => {
      insert.run(i + 1, text);
    });
    const out: string[][] = texts.map(() => []);
    const rows = db.prepare('SELECT doc, term FROM probe_terms ORDER BY doc, offset').all() as {
      doc: number;
      term: string;
    }[];
    for (const { doc, term } of rows) out[doc - 1]?.push(term);
    return out;
  } finally {
    db.close();
  }
}

/** The table terms.ts embeds: separator ranges above ASCII, and fold runs. */
export function renderTable(probe: Fts5CodePoints): { separators: string; folds: string } {
  const separators: string[] = [];
  let start = -1;
  for (let cp = 0x80; cp <= LAST + 1; cp++) {
    const isToken = cp > LAST || (cp >= 0xd800 && cp <= 0xdfff) ? cp > LAST : probe.token[cp] === 1;
    if (!isToken && start < 0) start = cp;
    if (isToken && start >= 0) {
      separators.push(start === cp - 1 ? hex(start) : `${hex(start)}-${hex(cp - 1)}`);
      start = -1;
    }
  }
  // Fold runs: "first:count:delta:stride", each code point first + k*stride
  // (k < count) folding to itself + delta. ASCII is left to the fast path.
  const pairs = [...probe.fold.entries()].filter(([cp]) => cp >= 0x80).sort((a, b) => a[0] - b[0]);
  const runs: string[] = [];
  let i = 0;
  while (i < pairs.length) {
    const [first, to] = pairs[i] as [number, number];
    const delta = to - first;
    let best = { count: 1, stride: 1 };
    for (const stride of [1, 2]) {
      let count = 1;
      while (true) {
        const next = pairs[i + count];
        if (!next || next[0] !== first + count * stride || next[1] - next[0] !== delta) break;
        count++;
      }
      if (count > best.count) best = { count, stride };
    }
    runs.push(`${hex(first)}:${best.count.toString(16)}:${delta < 0 ? '-' : ''}${hex(Math.abs(delta))}:${best.stride}`);
    i += best.count;
  }
  return { separators: separators.join(' '), folds: runs.join(' ') };
}

function hex(n: number): string {
  return n.toString(16);
}

if (import.meta.main) {
  const table = renderTable(probeCodePoints());
  console.log(`separators (${table.separators.split(' ').length}):\n${table.separators}\n`);
  console.log(`folds (${table.folds.split(' ').length}):\n${table.folds}`);
}
