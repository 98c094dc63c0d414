// What the engine deleted while the agent was not reading. json-file with
// max-size/max-file (and the local driver, and journald's retention) drop a
// container's oldest lines; lines written after the agent stopped and rotated
// past max-file before it came back are gone. The Engine API does not say so:
// a `since` older than anything it still holds is answered from the oldest
// line it has. So on the first read after a restart the follower asks for
// that oldest line: when it is newer than every line the checkpoint says was
// read, the lines in between, if there were any, were deleted unread. How
// many cannot be known (the engine keeps no count), so this is a gap with a
// time range, not a byte count.
import type Dockerode from 'dockerode';
import type { ContainerCheckpoint } from './checkpoint.ts';
import { LogDecoder } from './decoder.ts';
import { parseStamp } from './lines.ts';
import { openLogStream } from './log-stream.ts';

/** The stamp (ns) of the newest line the checkpoint covers, in any stream. */
export function newestRead(checkpoint: ContainerCheckpoint): bigint | undefined {
  let newest: bigint | undefined;
  for (const mark of [checkpoint.stdout, checkpoint.stderr]) {
    const stamp = mark ? parseStamp(mark.ts) : undefined;
    if (stamp && (newest === undefined || stamp.ns > newest)) newest = stamp.ns;
  }
  return newest;
}

/**
 * The stamp of the oldest line the engine still holds for a container, or
 * undefined when it holds none, or cannot be asked cheaply (an engine behind
 * TLS or ssh, which only dockerode reaches and which would send the whole log).
 */
export async function oldestHeld(docker: Dockerode, id: string, signal: AbortSignal): Promise<bigint | undefined> {
  const connection = new AbortController();
  const stop = () => connection.abort();
  signal.addEventListener('abort', stop, { once: true });
  try {
    const query = { follow: false, stdout: true, stderr: true, timestamps: true };
    const stream = await openLogStream(docker, id, query, connection.signal);
    if (!stream) return undefined;
    const decoder = new LogDecoder(64 * 1024);
    try {
      for await (const chunk of stream) {
        const { lines } = decoder.push(chunk);
        // A long line's first fragments are pending, and were stored before the complete lines after them.
        let oldest = lines[0]?.stamp.ns;
        for (const pending of Object.values(decoder.pending())) {
          if (oldest === undefined || pending < oldest) oldest = pending;
        }
        if (oldest !== undefined) return oldest;
      }
      return decoder.end()[0]?.stamp.ns;
    } finally {
      stream.destroy();
    }
  } finally {
    signal.removeEventListener('abort', stop);
    connection.abort();
  }
}
