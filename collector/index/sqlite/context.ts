// context(): the lines around a hit in its own file of its own bundle, by
// line number, through the (file, line) index of the generation. A hit id
// names its tenant; an id of another tenant, or of a generation that is no
// longer visible, is simply not found.
import type { ContextResult } from '../types.ts';
import { eventsTable } from './layout.ts';
import { EVENT_COLUMNS, hitId, parseHitId, toEvent } from './rows.ts';
import type { TenantFile } from './tenant-file.ts';

export function contextOf(file: TenantFile, id: string, before: number, after: number): ContextResult {
  const parsed = parseHitId(id);
  if (!parsed || parsed.tenant !== file.tenant) return { events: [] };
  const generation = file.visible().find((candidate) => candidate.gen === parsed.gen);
  if (!generation) return { events: [] };
  const events = eventsTable(generation.gen);
  const hit = file
    .prepare(generation.gen, `SELECT ${EVENT_COLUMNS}, file FROM ${events} WHERE id = ?`)
    .get(parsed.seq) as (Parameters<typeof toEvent>[2] & { file: number }) | undefined;
  if (!hit) return { events: [] };
  const near = (direction: 'before' | 'after', count: number) =>
    count === 0
      ? []
      : (file
          .prepare(
            generation.gen,
            direction === 'before'
              ? `SELECT ${EVENT_COLUMNS} FROM ${events} WHERE file = :file AND (line, id) < (:line, :id)
                  ORDER BY line DESC, id DESC LIMIT :n`
              : `SELECT ${EVENT_COLUMNS} FROM ${events} WHERE file = :file AND (line, id) > (:line, :id)
                  ORDER BY line ASC, id ASC LIMIT :n`,
          )
          .all({ file: hit.file, line: hit.line, id: hit.id, n: count }) as unknown as Parameters<typeof toEvent>[2][]);
  const rows = [...near('before', before).reverse(), hit, ...near('after', after)];
  return {
    events: rows.map((row) => ({
      id: hitId(file.tenant, generation.gen, row.id),
      event: toEvent(file, generation, row),
    })),
  };
}
