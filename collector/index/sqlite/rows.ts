// Reading events back: rows of a generation's events table turned into the
// IndexedEvents that were added, with the ids search hands out.
import type { IndexedEvent } from '../types.ts';
import { rebuildEvent } from './documents.ts';
import { eventsTable } from './layout.ts';
import type { Generation, TenantFile } from './tenant-file.ts';
import { formatTimestamp } from './timestamps.ts';

interface EventRow {
  id: number;
  ms: number;
  ns: number;
  ts: string | null;
  tsf: number;
  message: string;
  origin: number;
  line: number;
  level: number;
  stream: number;
  mirror: number;
  rest: number | string | null;
}

/** A hit id: unique across tenants, and naming the tenant so that no other tenant's request can use it. */
export function hitId(tenant: string, gen: number, seq: number): string {
  return `${tenant}.${gen}.${seq}`;
}

export function parseHitId(id: string): { tenant: string; gen: number; seq: number } | undefined {
  if (typeof id !== 'string') return undefined;
  const m = /^([a-z0-9][a-z0-9_-]{0,62})\.([1-9][0-9]{0,15})\.([1-9][0-9]{0,9})$/.exec(id);
  if (!m) return undefined;
  return { tenant: m[1] as string, gen: Number(m[2]), seq: Number(m[3]) };
}

export const EVENT_COLUMNS = 'id, ms, ns, ts, tsf, message, origin, line, level, stream, mirror, rest';

/** The events of one generation with these sequence numbers (inside the file's read transaction). */
export function readEvents(
  file: TenantFile,
  generation: Generation,
  seqs: readonly number[],
): Map<number, IndexedEvent> {
  const rows = file
    .prepare(
      generation.gen,
      `SELECT ${EVENT_COLUMNS} FROM ${eventsTable(generation.gen)} WHERE id IN (SELECT value FROM json_each(?))`,
    )
    .all(JSON.stringify(seqs)) as unknown as EventRow[];
  const out = new Map<number, IndexedEvent>();
  for (const row of rows) out.set(row.id, toEvent(file, generation, row));
  return out;
}

export function toEvent(file: TenantFile, generation: Generation, row: EventRow): IndexedEvent {
  const origin = file.origin(row.origin);
  const rest =
    row.rest === null ? undefined : typeof row.rest === 'number' ? file.rest(generation.gen, row.rest) : row.rest;
  return rebuildEvent(
    {
      timestamp: row.ts ?? formatTimestamp(row.ms, row.ns, row.tsf),
      message: row.message,
      site: file.value(origin.site) as string,
      container: file.value(origin.container),
      service: file.value(origin.service),
      level: file.value(row.level),
      stream: file.value(row.stream),
      source: file.value(origin.source) as string,
      file: file.value(origin.file) as string,
      line: row.line,
      mirror: row.mirror,
      tenant: file.tenant,
      bundle: generation.bundle,
    },
    rest,
  );
}
