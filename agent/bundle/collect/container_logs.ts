// Each chosen container's stdout and stderr through the Engine API, within
// the window, with the engine's timestamps. One file per container,
// `containers/<name>/container.log`, a line being `<time> <stream> <text>`:
// one file keeps stdout and stderr in the order the engine recorded them.
// Streamed from the socket to the staging file: a 1 GB log is never held.
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type Dockerode from 'dockerode';
import { formatContainerLine } from '../../../bundle/container-log.ts';
import { FrameParser, isMultiplexed } from '../../sources/docker_logs/frames.ts';
import { safeName } from '../staging.ts';
import { selectContainers } from './select.ts';
import type { Collector, LineWriter, TimeWindow } from './types.ts';

// A line longer than this is written in pieces rather than held whole.
const MAX_LINE_CHARS = 1024 * 1024;

export const containerLogs: Collector = {
  name: 'container_logs',
  timeoutMs: 10 * 60_000,
  async collect(ctx) {
    const known =
      ctx.facts.containers ??
      (await ctx.docker.listContainers({ all: true })).map((c) => ({
        id: c.Id,
        name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
      }));
    for (const container of selectContainers(known, ctx.containers)) {
      const out = ctx.open(`containers/${safeName(container.name)}/container.log`);
      try {
        await copyLogs(ctx.docker, container.id, ctx.window, out, ctx.signal);
      } catch (error) {
        await out.abort();
        // Removed while we were collecting: its logs are gone (the spool may have them).
        if ((error as { statusCode?: number }).statusCode === 404) continue;
        throw error;
      }
      await out.close();
    }
  },
};

async function copyLogs(
  docker: Dockerode,
  id: string,
  window: TimeWindow,
  out: LineWriter,
  signal: AbortSignal,
): Promise<void> {
  const stream = await openLogs(docker, id, window, signal);
  const since = window.since.getTime();
  const until = window.until.getTime();
  const pending = { stdout: '', stderr: '' };
  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  const emit = async (name: 'stdout' | 'stderr', line: string) => {
    const space = line.indexOf(' ');
    const stamp = space > 0 ? line.slice(0, space) : line;
    const time = Date.parse(stamp.replace(/(\.\d{3})\d*/, '$1'));
    // The API's since/until are whole seconds here; the exact window is applied per line.
    if (!Number.isNaN(time) && (time < since || time > until)) return;
    await out.write(formatContainerLine(stamp, name, space > 0 ? line.slice(space + 1) : undefined));
  };
  const take = async (name: 'stdout' | 'stderr', text: string) => {
    let buffered = pending[name] + text;
    for (let at = buffered.indexOf('\n'); at >= 0; at = buffered.indexOf('\n')) {
      await emit(name, buffered.slice(0, at).replace(/\r$/, ''));
      buffered = buffered.slice(at + 1);
    }
    if (buffered.length > MAX_LINE_CHARS) {
      await emit(name, buffered);
      buffered = '';
    }
    pending[name] = buffered;
  };
  let parser: FrameParser | undefined;
  let raw: boolean | undefined;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (signal.aborted) throw signal.reason;
    if (chunk.length === 0) continue;
    // Containers with a TTY have no frames: one raw stream.
    raw ??= !isMultiplexed(chunk[0] as number);
    if (raw) {
      await take('stdout', decoders.stdout.write(chunk));
      continue;
    }
    parser ??= new FrameParser(MAX_LINE_CHARS);
    for (const frame of parser.push(chunk)) {
      if (frame.system) continue;
      await take(frame.stream, decoders[frame.stream].write(frame.payload));
    }
  }
  for (const name of ['stdout', 'stderr'] as const) {
    const rest = pending[name] + decoders[name].end();
    if (rest !== '') await emit(name, rest);
  }
}

/** `GET /containers/{id}/logs` as a stream: dockerode buffers the whole body unless following. */
function openLogs(docker: Dockerode, id: string, window: TimeWindow, signal: AbortSignal): Promise<Readable> {
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      {
        path: `/containers/${encodeURIComponent(id)}/logs?`,
        method: 'GET',
        isStream: true,
        abortSignal: signal,
        statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
        options: {
          stdout: true,
          stderr: true,
          timestamps: true,
          follow: false,
          since: Math.floor(window.since.getTime() / 1000),
          until: Math.ceil(window.until.getTime() / 1000),
        },
      } as Parameters<Dockerode['modem']['dial']>[0],
      (error: unknown, stream: unknown) => (error ? reject(error) : resolve(stream as Readable)),
    );
  });
}
