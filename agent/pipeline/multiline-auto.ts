// The grammar of multiline `auto`: which line opens a dump (a stack trace, a
// traceback, a panic) and which lines continue it, for what Java, Node.js,
// C#/.NET, PHP, Dart, Ruby, Python and Go print when something fails. The
// merger (transforms/merge_lines.ts) holds the lines and applies the caps;
// this file only names states and moves between them, so it stays pure and
// testable from tables. Cost matters: every line of every stream is asked
// `autoOpens`, and most lines open nothing, so each rule is anchored or
// guarded by a one-character test before a regular expression runs.

/**
 * 'stack': frames (`at ...`, `#N ...`, `from ...`) under an exception line,
 * for every language that prints them so. 'stack-expect': the next line joins
 * whatever it is (the message after `Caused by:` or `Unhandled exception:`).
 * 'node-source', 'node-caret', 'node-header': the source line, its caret and
 * the error line that Node.js prints before the frames of an uncaught error.
 */
export type AutoState =
  | 'none'
  | 'stack'
  | 'stack-expect'
  | 'node-source'
  | 'node-caret'
  | 'node-header'
  | 'py-trace'
  | 'py-ended'
  | 'py-chain'
  | 'go';

/** What a line does to a held dump: join it (in a state), hold it (a blank line, undecided), or break it. */
export type AutoVerdict = AutoState | 'hold' | 'break';

// An exception named anywhere in a line (Java, C#, PHP, JS, Flutter), or a
// bare qualified class as printStackTrace writes a custom one. Each repeated
// group ends in a character its body cannot match, so nothing backtracks.
const STACK_START = /(?:Exception|Error|Throwable)(?::|\s*$)|^(?:[A-Za-z_$][\w$]*\.)+[A-Z][\w$]*(?::|$)/;
// Dart and .NET print this header alone; the message follows on the next line.
const UNHANDLED_ALONE = /^Unhandled [Ee]xception[.:]?\s*$/;
// Ruby's first line: `file:line:in 'method': message (Class)`, backtick before Ruby 3.4.
const RUBY_START = /^\S+:\d+:in [`'].*\([A-Z][\w:]*\)$/;
// Node.js before the frames of an uncaught error: `file:line` alone.
const NODE_LOCATION = /^(?:node:[\w/.-]+|\S+\.[cm]?[jt]sx?):\d+$/;
const PY_START = /^\s*(?:\+ )?(?:Exception Group )?Traceback \(most recent call last\):\s*$/;
const PY_CHAIN =
  /^(?:During handling of the above exception, another exception occurred:|The above exception was the direct cause of the following exception:)\s*$/;
const GO_START = /^(?:panic: |fatal error: |goroutine \d+ .*\]:$|SIG[A-Z]+: )/;

// Inside a stack, unindented lines that still belong to it: Java's `Caused
// by:` and `... N more`, .NET's `--- End of ... ---`, PHP's `Stack trace:`,
// `#N` frames, `Next Class: ...` and `thrown in`, Dart's `#N` frames and
// `<asynchronous suspension>`, the `}` that closes a Node.js error's
// properties, Node's `Emitted 'error' event ... at:` and `Node.js vN`, Ruby's `Did you mean?`.
// An indented line always continues (frames with or without `at`, `--->`
// inner exceptions, `Suppressed:`, a `[cause]:` block, `from file:line:in`).
const STACK_CONT =
  /^(?:\s|at \S.*(?:\)|:\d+)$|Caused by:|Suppressed:|\.\.\. \d+ |--- End of |(?:PHP )?Stack trace:|(?:PHP )?#\d+ |Next [\w\\.]+(?::|$)|thrown in |<asynchronous suspension>|\}$|Emitted '[^']*' event |Did you mean\?|nested exception is|Node\.js v\d)/;
// After a blank line only these go on with the stack.
const STACK_AFTER_BLANK = /^(?:\s+at |\s*Caused by:|\s*Suppressed:|\s*--- End of |Node\.js v\d|#\d+ |Next [\w\\.]+:)/;
// A line that announces its continuation on the next line.
const EXPECTS_MORE = /(?:Caused by:|nested exception is:?)\s*$/;
const CARET = /^\s*\^+\s*$/;

// Inside a Go dump: indented frame lines, goroutine headers, function lines
// ("main.(*T).run(...)"), "created by ...", signal and runtime lines, and the
// register dump of a fatal signal.
const GO_CONT =
  /^(?:\s|goroutine \d+ .*\]:$|created by |\[signal |panic: |fatal error: |runtime stack:|PC=|\.\.\.additional frames elided\.\.\.|[a-z0-9]{2,6} +0x[0-9a-f]+$|[^\s(]+\(.*\)$)/;
// After a blank line only a new section of the same dump continues it.
const GO_AFTER_BLANK = /^(?:goroutine \d+ .*\]:$|runtime stack:|\[signal |panic: |fatal error: )/;

const CH_SPACE = 32;
const CH_TAB = 9;
const CH_T = 84;
const CH_S = 83;
const CH_f = 102;
const CH_g = 103;
const CH_p = 112;
const CH_U = 85;
const CH_RPAREN = 41;
const CH_0 = 48;
const CH_9 = 57;

/** The dump a line opens in a stream that holds none; 'none' when it stands alone. */
export function autoOpens(text: string): AutoState {
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(text.length - 1);
  if ((first === CH_T || first === CH_SPACE) && PY_START.test(text)) return 'py-trace';
  if ((first === CH_p || first === CH_f || first === CH_g || first === CH_S) && GO_START.test(text)) return 'go';
  if (last >= CH_0 && last <= CH_9 && NODE_LOCATION.test(text)) return 'node-source';
  if (last === CH_RPAREN && RUBY_START.test(text)) return 'stack';
  if (first === CH_U && UNHANDLED_ALONE.test(text)) return 'stack-expect';
  if (STACK_START.test(text)) return EXPECTS_MORE.test(text) ? 'stack-expect' : 'stack';
  return 'none';
}

function indented(text: string): boolean {
  const first = text.charCodeAt(0);
  return first === CH_SPACE || first === CH_TAB;
}

/**
 * What a line does to a dump held in `state`. `blank` is whether the line is
 * empty or white space; `afterBlank` whether blank lines are held before it.
 */
export function autoNext(state: AutoState, text: string, blank: boolean, afterBlank: boolean): AutoVerdict {
  switch (state) {
    case 'none':
      return 'break';
    case 'stack':
      if (blank) return 'hold';
      if (!(afterBlank ? STACK_AFTER_BLANK : STACK_CONT).test(text)) return 'break';
      return EXPECTS_MORE.test(text) ? 'stack-expect' : 'stack';
    case 'stack-expect':
      if (blank) return 'hold';
      return EXPECTS_MORE.test(text) ? 'stack-expect' : 'stack';
    case 'node-source':
      return blank ? 'break' : 'node-caret';
    case 'node-caret':
      return !blank && CARET.test(text) ? 'node-header' : 'break';
    case 'node-header':
      if (blank) return 'hold';
      return 'stack';
    case 'py-trace':
      if (blank) return 'hold';
      if (indented(text)) return 'py-trace';
      return afterBlank ? 'break' : 'py-ended';
    case 'py-ended':
      if (blank) return 'hold';
      return PY_CHAIN.test(text) ? 'py-chain' : 'break';
    case 'py-chain':
      if (blank) return 'hold';
      return PY_START.test(text) ? 'py-trace' : 'break';
    case 'go':
      if (blank) return 'hold';
      return (afterBlank ? GO_AFTER_BLANK : GO_CONT).test(text) ? 'go' : 'break';
  }
}
