// context(): the lines around a hit in its own file of its own bundle write,
// by line number (then write order, for a file that repeats a number). A
// hit id names its tenant and generation: an id of another tenant is not
// looked up at all, and one of a generation that is no longer visible
// finds nothing, as in SQLite.
import type { ContextResult } from '../types.ts';
import type { Cluster } from './cluster.ts';
import { eventOf } from './documents.ts';
import { FILE_FIELD, GEN_FIELD, LINE_FIELD, ORDER_FIELD } from './mapping.ts';
import { documentId, orderKey, parseHitId } from './naming.ts';
import { idOf, type RawHit } from './search.ts';

interface GetAnswer {
  found?: boolean;
  _index: string;
  _id: string;
  _source?: Record<string, unknown>;
}

export async function contextOf(
  cluster: Cluster,
  prefix: string,
  tenant: string,
  index: string,
  visible: readonly number[],
  id: string,
  before: number,
  after: number,
): Promise<ContextResult> {
  const parsed = parseHitId(id);
  if (!parsed || parsed.tenant !== tenant || !visible.includes(parsed.gen)) return { events: [] };
  let hit: GetAnswer;
  try {
    hit = await cluster.request<GetAnswer>('GET', `/${index}/_doc/${documentId(parsed.gen, parsed.seq)}`);
  } catch (error) {
    if ((error as { status?: number }).status === 404) return { events: [] };
    throw error;
  }
  if (!hit.found || !hit._source) return { events: [] };
  const source = hit._source as { shiplog?: { file?: unknown; line?: unknown } };
  const file = source.shiplog?.file;
  const line = source.shiplog?.line;
  if (typeof file !== 'string' || typeof line !== 'number') return { events: [] };
  const order = orderKey(parsed.gen, parsed.seq);
  const near = (direction: 'before' | 'after', count: number) => {
    const [lt, sort] = direction === 'before' ? (['lt', 'desc'] as const) : (['gt', 'asc'] as const);
    return {
      query: {
        bool: {
          filter: [
            { term: { [GEN_FIELD]: parsed.gen } },
            { term: { [FILE_FIELD]: file } },
            {
              bool: {
                should: [
                  { range: { [LINE_FIELD]: { [lt]: line } } },
                  {
                    bool: { filter: [{ term: { [LINE_FIELD]: line } }, { range: { [ORDER_FIELD]: { [lt]: order } } }] },
                  },
                ],
                minimum_should_match: 1,
              },
            },
          ],
        },
      },
      sort: [{ [LINE_FIELD]: { order: sort } }, { [ORDER_FIELD]: { order: sort } }],
      size: count,
      track_total_hits: false,
    };
  };
  const wanted = [...(before > 0 ? [near('before', before)] : []), ...(after > 0 ? [near('after', after)] : [])];
  let lists: RawHit[][] = [];
  if (wanted.length > 0) {
    const body = wanted.map((search) => `{}\n${JSON.stringify(search)}\n`).join('');
    const answer = await cluster.request<{ responses?: { hits?: { hits?: RawHit[] }; error?: unknown }[] }>(
      'POST',
      `/${index}/_msearch`,
      {
        bulk: body,
        query: {
          filter_path:
            'responses.status,responses.hits.hits._index,responses.hits.hits._id,responses.hits.hits._source,responses.error',
        },
      },
    );
    lists = (answer.responses ?? []).map((response) => {
      if (response.error) throw new Error(`reading the context of ${id}: ${JSON.stringify(response.error)}`);
      return response.hits?.hits ?? [];
    });
  }
  const beforeHits = before > 0 ? (lists.shift() ?? []) : [];
  const afterHits = after > 0 ? (lists.shift() ?? []) : [];
  const rows: RawHit[] = [
    ...beforeHits.reverse(),
    { _index: hit._index, _id: hit._id, _source: hit._source },
    ...afterHits,
  ];
  return {
    events: rows.map((row) => ({ id: idOf(prefix, row), event: eventOf(row._source) })),
  };
}
