// Turns an unpacked bundle's files into indexed events, with the same ECS
// fields the agent emits, each carrying its tenant, bundle, site, file path
// and line number:
//   containers/<name>/container.log        container lines (time, stream, text),
//                                          with the container's id, image and
//                                          compose service from inspect.json beside it
//   spool/containers/<name>-<id12>/...     the same, from the agent's spool
//   syslog/<file>                          the agent's syslog parser
//   agent/agent.log                        the agent's own JSON log lines
//   other text files (SUMMARY.txt, ps.txt, NOTES.txt ...) line by line, at
//                                          the bundle's creation time
// A file whose first 8 KiB hold a NUL byte is binary (a core file, an
// archive): it stays with the unpacked bundle for download but is not split
// into lines.
// JSON documents (inspect, engine and host facts) are not lines: facts.ts
// reads them into structured documents. Lines are read as streams, decoded as
// UTF-8 (invalid bytes become U+FFFD in the index; the file keeps them), and
// cut at `maxLineChars`.
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { createSyslogParser } from '../../agent/parsers/syslog.ts';
import { parseContainerLine } from '../../bundle/container-log.ts';
import type { BundleManifest } from '../../schemas/bundle-manifest.ts';
import type { EventSource, IndexedEvent } from '../index/types.ts';

const maxLineChars = 256 * 1024;
const batchSize = 5000;

export interface BundlePlace {
  readonly tenant: string;
  readonly bundle: string;
  readonly dir: string;
  readonly manifest: BundleManifest;
  /** The host's time zone (from host/host.json), for syslog lines without an offset. */
  readonly timezone?: string;
}

interface ContainerMeta {
  readonly id?: string;
  readonly name: string;
  readonly image?: { name: string; tag?: string };
  readonly service?: string;
  readonly labels?: Record<string, string>;
}

type FileKind =
  | { kind: 'container'; source: EventSource; meta: ContainerMeta }
  | { kind: 'syslog' }
  | { kind: 'agent' }
  | { kind: 'text' };

const seal = new Set(['manifest.json', 'manifest.json.sig', 'SHA256SUMS', 'signing-key.pub']);

/** The bundle's events, in batches, file by file in manifest order. */
export async function* bundleEvents(place: BundlePlace): AsyncGenerator<IndexedEvent[]> {
  for (const file of place.manifest.files) {
    if (seal.has(file.path) || file.path.endsWith('.json')) continue;
    if (await isBinary(join(place.dir, file.path))) continue;
    const kind = await classify(place, file.path);
    yield* fileEvents(place, file.path, kind);
  }
}

async function isBinary(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(8192);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead).includes(0);
  } finally {
    await handle.close();
  }
}

async function classify(place: BundlePlace, path: string): Promise<FileKind> {
  const container = /^containers\/([^/]+)\/container\.log$/.exec(path);
  if (container) {
    const name = container[1] as string;
    return { kind: 'container', source: 'container', meta: await inspectMeta(place.dir, name) };
  }
  const spooled = /^spool\/containers\/(.+)-([0-9a-f]{12})\/container\.log$/.exec(path);
  if (spooled) {
    return { kind: 'container', source: 'spool', meta: { name: spooled[1] as string, id: spooled[2] as string } };
  }
  if (path.startsWith('syslog/')) return { kind: 'syslog' };
  if (path === 'agent/agent.log') return { kind: 'agent' };
  return { kind: 'text' };
}

async function inspectMeta(dir: string, name: string): Promise<ContainerMeta> {
  try {
    const inspect = JSON.parse(await readFile(join(dir, 'containers', name, 'inspect.json'), 'utf8'));
    const labels: Record<string, string> = {};
    for (const [key, value] of Object.entries(inspect?.Config?.Labels ?? {})) {
      if (typeof value === 'string') labels[key] = value;
    }
    const image = typeof inspect?.Config?.Image === 'string' ? splitImage(inspect.Config.Image) : undefined;
    const service = labels['com.docker.compose.service'];
    return {
      name: typeof inspect?.Name === 'string' ? inspect.Name.replace(/^\//, '') : name,
      ...(typeof inspect?.Id === 'string' && { id: inspect.Id }),
      ...(image && { image }),
      ...(service && { service }),
      ...(Object.keys(labels).length > 0 && { labels }),
    };
  } catch {
    return { name };
  }
}

/** `registry:5000/app:1.2` → name `registry:5000/app`, tag `1.2`; a digest stays in the name. */
export function splitImage(reference: string): { name: string; tag?: string } {
  if (reference.includes('@')) return { name: reference };
  const colon = reference.lastIndexOf(':');
  if (colon > reference.lastIndexOf('/')) return { name: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  return { name: reference };
}

async function* fileEvents(place: BundlePlace, path: string, kind: FileKind): AsyncGenerator<IndexedEvent[]> {
  const createdAt = place.manifest.created_at;
  const readTime = Date.parse(createdAt);
  const site = place.manifest.host.name;
  const syslog = kind.kind === 'syslog' ? createSyslogParser({ timezone: place.timezone ?? 'UTC' }) : undefined;
  const source: EventSource =
    kind.kind === 'container'
      ? kind.source
      : kind.kind === 'syslog'
        ? 'syslog'
        : kind.kind === 'agent'
          ? 'agent'
          : 'host';
  const where = (line: number) => ({ tenant: place.tenant, bundle: place.bundle, source, file: path, line });
  let batch: IndexedEvent[] = [];
  let number = 0;
  for await (const text of lines(join(place.dir, path))) {
    number++;
    if (text === '') continue;
    let event: IndexedEvent;
    if (kind.kind === 'container') {
      const parsed = parseContainerLine(text);
      const meta = kind.meta;
      const message = parsed ? parsed.text : text;
      const level = detectLevel(message);
      event = {
        '@timestamp': parsed?.stamp ?? createdAt,
        message,
        event: { dataset: 'docker.container_logs' },
        host: { name: site },
        log: { ...(parsed && { stream: parsed.stream }), ...(level && { level }), file: { path, line: number } },
        container: {
          name: meta.name,
          ...(meta.id && { id: meta.id }),
          ...(meta.image && { image: meta.image }),
          ...(meta.labels && { labels: meta.labels }),
        },
        ...(meta.service && { service: { name: meta.service } }),
        shiplog: where(number),
      };
    } else if (syslog) {
      const parsed = syslog(text, readTime);
      const severity = parsed.syslog?.severity?.name;
      const level = severity ?? detectLevel(parsed.message);
      event = {
        '@timestamp': parsed['@timestamp'],
        message: parsed.message,
        event: { dataset: 'system.syslog' },
        host: { name: site },
        log: {
          ...(level && { level }),
          file: { path, line: number },
          ...(parsed.syslog && { syslog: parsed.syslog as Record<string, unknown> }),
        },
        ...(parsed.syslog?.appname && { service: { name: parsed.syslog.appname } }),
        shiplog: where(number),
      };
    } else if (kind.kind === 'agent') {
      event = agentEvent(text, createdAt, site, path, number, where(number));
    } else {
      event = {
        '@timestamp': createdAt,
        message: text,
        event: { dataset: 'shiplog.bundle' },
        host: { name: site },
        log: { file: { path, line: number } },
        shiplog: where(number),
      };
    }
    batch.push(event);
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

const pinoLevels: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

function agentEvent(
  text: string,
  createdAt: string,
  site: string,
  path: string,
  line: number,
  shiplog: IndexedEvent['shiplog'],
): IndexedEvent {
  let record: Record<string, unknown> | undefined;
  try {
    const value = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) record = value;
  } catch {
    // Not JSON: kept as the line it is.
  }
  const time = typeof record?.time === 'number' ? new Date(record.time) : undefined;
  const level = typeof record?.level === 'number' ? pinoLevels[record.level] : undefined;
  const message = typeof record?.msg === 'string' ? record.msg : text;
  return {
    '@timestamp': time && !Number.isNaN(time.getTime()) ? time.toISOString() : createdAt,
    message,
    event: { dataset: 'shiplog.agent' },
    host: { name: site },
    log: { ...(level && { level }), file: { path, line } },
    service: { name: 'shiplog-agent' },
    shiplog,
  };
}

const levelWords: Record<string, string> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  NOTICE: 'notice',
  WARN: 'warn',
  WARNING: 'warn',
  ERR: 'error',
  ERROR: 'error',
  CRIT: 'critical',
  CRITICAL: 'critical',
  FATAL: 'fatal',
  PANIC: 'fatal',
  ALERT: 'alert',
  EMERG: 'emergency',
};

/**
 * A log level named near the start of a line, as most libraries print it:
 * `ERROR ...`, `[warn] ...`, `level=error`, `"level":"info"`, `E1204 ...`
 * (glog) is not guessed. Undefined when no level word stands there.
 */
export function detectLevel(message: string): string | undefined {
  const head = message.length > 160 ? message.slice(0, 160) : message;
  const keyed = /\blevel"?\s*[=:]\s*"?([A-Za-z]+)/.exec(head);
  if (keyed) return levelWords[(keyed[1] as string).toUpperCase()];
  const word =
    /(?:^|[\s[(|:])(TRACE|DEBUG|INFO|NOTICE|WARN(?:ING)?|ERR(?:OR)?|CRIT(?:ICAL)?|FATAL|PANIC|ALERT|EMERG)(?=[\s\])|:]|$)/i.exec(
      head.slice(0, 80),
    );
  return word ? levelWords[(word[1] as string).toUpperCase()] : undefined;
}

/** The lines of a file (without line endings), each at most maxLineChars. */
async function* lines(path: string): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    const text = pending + decoder.write(chunk as Buffer);
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      yield cut(text.slice(start, text.charCodeAt(end - 1) === 13 ? end - 1 : end));
      start = end + 1;
    }
    pending = text.slice(start);
    if (pending.length > maxLineChars) {
      yield cut(pending);
      pending = '';
    }
  }
  pending += decoder.end();
  if (pending !== '') yield cut(pending);
}

function cut(line: string): string {
  return line.length > maxLineChars ? line.slice(0, maxLineChars) : line;
}
