// One pass over a chunk finds every rule keyword at once: an Aho-Corasick
// automaton over bytes, case-insensitive for ASCII letters, as the best secret
// scanners do. V8 runs a long regex alternation of ~100 literals several
// times slower than this loop (measured: 12 regex passes of 8 keywords cost
// 3x one automaton pass), and the cost does not grow with the keyword count.

export interface KeywordScanner {
  readonly keywords: readonly string[];
  /**
   * Calls onHit(position, keywordIndex) for every keyword occurrence that
   * ends at `position` (inclusive). A Uint8Array is scanned as bytes (twice
   * as fast as a string); in a string, characters above 0xff never match.
   */
  scan(source: string | Uint8Array, onHit: (position: number, keyword: number) => void): void;
}

/** Above this many bytes of byte-indexed rows, rows are indexed by byte class (see below). */
const byteRowsLimit = 512 * 1024;
const identityColumns = Uint8Array.from({ length: 256 }, (_, byte) => byte);

export function buildKeywordScanner(keywords: readonly string[]): KeywordScanner {
  const lower = keywords.map((keyword) => keyword.toLowerCase());
  // Byte classes: one per distinct (case-folded) byte used by a keyword, 0 for the rest.
  const classOf = new Uint8Array(256);
  let classes = 1;
  for (const keyword of lower) {
    for (const byte of Buffer.from(keyword, 'latin1')) {
      if (classOf[byte] === 0) classOf[byte] = classes++;
    }
  }
  for (let upper = 65; upper <= 90; upper++) classOf[upper] = classOf[upper + 32] as number;

  // Trie.
  const next: number[][] = [new Array(classes).fill(-1)];
  const outputs: number[][] = [[]];
  lower.forEach((keyword, index) => {
    let state = 0;
    for (const byte of Buffer.from(keyword, 'latin1')) {
      const cls = classOf[byte] as number;
      let target = (next[state] as number[])[cls] as number;
      if (target < 0) {
        target = next.length;
        next.push(new Array(classes).fill(-1));
        outputs.push([]);
        (next[state] as number[])[cls] = target;
      }
      state = target;
    }
    (outputs[state] as number[]).push(index);
  });

  // Failure links, breadth first, folded into a full transition table with a
  // row of 256 entries per state, indexed by the byte itself: one memory load
  // per byte fewer than a class lookup first (measured: a third faster).
  const states = next.length;
  // 16-bit state numbers when they fit: half the cache footprint.
  const built = states <= 0xffff ? new Uint16Array(states * 256) : new Int32Array(states * 256);
  const fail = new Int32Array(states);
  const queue: number[] = [];
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let byte = 0; byte < 256; byte++) (byClass[classOf[byte] as number] as number[]).push(byte);
  const setRow = (state: number, cls: number, target: number) => {
    for (const byte of byClass[cls] as number[]) built[state * 256 + byte] = target;
  };
  const rootTarget = (cls: number) => Math.max(0, (next[0] as number[])[cls] as number);
  for (let cls = 0; cls < classes; cls++) {
    setRow(0, cls, rootTarget(cls));
    const target = (next[0] as number[])[cls] as number;
    if (target > 0) queue.push(target);
  }
  for (let head = 0; head < queue.length; head++) {
    const state = queue[head] as number;
    const failState = fail[state] as number;
    (outputs[state] as number[]).push(...(outputs[failState] as number[]));
    for (let cls = 0; cls < classes; cls++) {
      const target = (next[state] as number[])[cls] as number;
      // Every byte of a class moves alike: the class's first byte tells the fallback.
      const fallback = built[failState * 256 + ((byClass[cls] as number[])[0] as number)] as number;
      if (target < 0) {
        setRow(state, cls, fallback);
      } else {
        fail[target] = fallback;
        setRow(state, cls, target);
        queue.push(target);
      }
    }
  }
  const longest = Math.max(0, ...lower.map((keyword) => keyword.length));
  // A byte that is in no keyword: what characters above 0xff of a string move like.
  const otherByte = (byClass[0] as number[])[0] ?? 0;
  // States renumbered breadth first: the root and the shallow states, where
  // the automaton spends nearly all its time on log text, get neighbouring
  // rows, so the hot part of the table stays in cache however many keywords
  // there are (measured with 500 keywords: a quarter faster).
  const order = [0, ...queue];
  const renumber = new Int32Array(states);
  order.forEach((state, index) => {
    renumber[state] = index;
  });
  // A big automaton (hundreds of keywords) indexes its rows by byte class
  // instead of by byte: a row of 64 entries instead of 256 keeps the table a
  // quarter of the size, and the one extra load (the class of the byte, from
  // a table that never leaves the L1 cache) costs less than the cache misses
  // it saves (measured with 535 keywords: 330 -> 420 MB/s). A small one keeps
  // the byte-indexed rows, which are faster while they fit in cache.
  const byClassRows = states * 512 > byteRowsLimit;
  let shift = 8;
  if (byClassRows) for (shift = 0; 1 << shift < classes; ) shift++;
  const table = new (states <= 0xffff ? Uint16Array : Int32Array)(states << shift);
  for (let index = 0; index < states; index++) {
    const row = (order[index] as number) * 256;
    if (byClassRows) {
      for (let cls = 0; cls < classes; cls++) {
        const byte = (byClass[cls] as number[])[0] as number;
        table[(index << shift) | cls] = renumber[built[row + byte] as number] as number;
      }
    } else {
      for (let byte = 0; byte < 256; byte++)
        table[index * 256 + byte] = renumber[built[row + byte] as number] as number;
    }
  }
  // The byte -> column map of the rows: the byte itself, or its class.
  const column = byClassRows ? classOf : identityColumns;
  const accepting = new Uint8Array(states);
  const outputAt: number[][] = [];
  for (let state = 0; state < states; state++) {
    const found = outputs[state] as number[];
    if (found.length === 0) continue;
    const index = renumber[state] as number;
    accepting[index] = 1;
    outputAt[index] = found;
  }

  // Hits are recorded in typed arrays inside the hot loop and reported after
  // it: a callback in the loop halves its speed (measured).
  let positions = new Int32Array(4096);
  let statesAt = new Int32Array(4096);
  const report = (count: number, onHit: (position: number, keyword: number) => void) => {
    for (let h = 0; h < count; h++) {
      for (const keyword of outputAt[statesAt[h] as number] as number[]) onHit(positions[h] as number, keyword);
    }
  };
  const grow = () => {
    const biggerPositions = new Int32Array(positions.length * 2);
    biggerPositions.set(positions);
    const biggerStates = new Int32Array(statesAt.length * 2);
    biggerStates.set(statesAt);
    positions = biggerPositions;
    statesAt = biggerStates;
  };
  const scanBytes = (bytes: Uint8Array, from: number): { count: number; next: number } => {
    const count = byClassRows
      ? scanByteLoopByClass(table, column, shift, accepting, positions, statesAt, bytes, from)
      : scanByteLoop(table, accepting, positions, statesAt, bytes, from);
    return { count, next: count === positions.length ? (positions[count - 1] as number) + 1 : bytes.length };
  };
  const scanText = (text: string, from: number): { count: number; next: number } => {
    const count = byClassRows
      ? scanTextLoopByClass(table, column, shift, accepting, positions, statesAt, text, from)
      : scanTextLoop(table, otherByte, accepting, positions, statesAt, text, from);
    return { count, next: count === positions.length ? (positions[count - 1] as number) + 1 : text.length };
  };

  return {
    keywords: lower,
    scan(source, onHit) {
      let from = 0;
      const length = source.length;
      while (from < length) {
        // A full buffer of hits: report them, grow, and go on. The automaton
        // restarts from its root, which can only miss a keyword that spans the
        // restart point; back up by the longest keyword to cover that.
        const { count, next } = typeof source === 'string' ? scanText(source, from) : scanBytes(source, from);
        report(count, onHit);
        if (next >= length) break;
        grow();
        from = Math.max(from + 1, next - longest);
      }
    },
  };
}

/**
 * The hot loop, as a top-level function of plain typed-array arguments: V8
 * optimizes this shape best (measured: twice the speed of the same loop in a
 * closure). Returns how many hits it recorded (stops when `positions` is full).
 */
function scanByteLoop(
  table: Uint16Array | Int32Array,
  accepting: Uint8Array,
  positions: Int32Array,
  statesAt: Int32Array,
  bytes: Uint8Array,
  from: number,
): number {
  let state = 0;
  let count = 0;
  const limit = positions.length;
  const length = bytes.length;
  for (let i = from; i < length; i++) {
    state = table[(state << 8) | (bytes[i] as number)] as number;
    if (accepting[state] !== 0) {
      positions[count] = i;
      statesAt[count] = state;
      if (++count === limit) return count;
    }
  }
  return count;
}

/** scanByteLoop over the characters of a string; those above 0xff never match. */
function scanTextLoop(
  table: Uint16Array | Int32Array,
  otherByte: number,
  accepting: Uint8Array,
  positions: Int32Array,
  statesAt: Int32Array,
  text: string,
  from: number,
): number {
  let state = 0;
  let count = 0;
  const limit = positions.length;
  const length = text.length;
  for (let i = from; i < length; i++) {
    const code = text.charCodeAt(i);
    state = table[(state << 8) | (code < 256 ? code : otherByte)] as number;
    if (accepting[state] !== 0) {
      positions[count] = i;
      statesAt[count] = state;
      if (++count === limit) return count;
    }
  }
  return count;
}

/** scanByteLoop for rows indexed by byte class: `column` maps a byte to its class. */
function scanByteLoopByClass(
  table: Uint16Array | Int32Array,
  column: Uint8Array,
  shift: number,
  accepting: Uint8Array,
  positions: Int32Array,
  statesAt: Int32Array,
  bytes: Uint8Array,
  from: number,
): number {
  let state = 0;
  let count = 0;
  const limit = positions.length;
  const length = bytes.length;
  for (let i = from; i < length; i++) {
    state = table[(state << shift) | (column[bytes[i] as number] as number)] as number;
    if (accepting[state] !== 0) {
      positions[count] = i;
      statesAt[count] = state;
      if (++count === limit) return count;
    }
  }
  return count;
}

/** scanByteLoopByClass over the characters of a string; those above 0xff are in class 0 (no keyword). */
function scanTextLoopByClass(
  table: Uint16Array | Int32Array,
  column: Uint8Array,
  shift: number,
  accepting: Uint8Array,
  positions: Int32Array,
  statesAt: Int32Array,
  text: string,
  from: number,
): number {
  let state = 0;
  let count = 0;
  const limit = positions.length;
  const length = text.length;
  for (let i = from; i < length; i++) {
    const code = text.charCodeAt(i);
    state = table[(state << shift) | (code < 256 ? (column[code] as number) : 0)] as number;
    if (accepting[state] !== 0) {
      positions[count] = i;
      statesAt[count] = state;
      if (++count === limit) return count;
    }
  }
  return count;
}
