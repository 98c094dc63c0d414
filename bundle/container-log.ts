// The line format of a bundle's container logs (containers/<name>/container.log
// and spool/containers/<name>-<id12>/container.log): one line per log line,
//   <RFC 3339 time with the engine's nanoseconds> <stdout|stderr> <text>
// so stdout and stderr keep the order the engine recorded them in, and the
// file reads well with grep and less. Both sides use these two functions.

export type Stream = 'stdout' | 'stderr';

export function formatContainerLine(stamp: string, stream: Stream, text: string | undefined): string {
  return text === undefined ? `${stamp} ${stream}` : `${stamp} ${stream} ${text}`;
}

export interface ContainerLine {
  readonly stamp: string;
  readonly stream: Stream;
  readonly text: string;
}

/** The parts of one line, or undefined when it is not in the format (the reader keeps it as plain text). */
export function parseContainerLine(line: string): ContainerLine | undefined {
  const first = line.indexOf(' ');
  if (first < 20 || line.charCodeAt(4) !== 0x2d || line.charCodeAt(10) !== 0x54) return undefined;
  const second = line.indexOf(' ', first + 1);
  const end = second < 0 ? line.length : second;
  const stream = line.slice(first + 1, end);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  return { stamp: line.slice(0, first), stream, text: second < 0 ? '' : line.slice(second + 1) };
}
