// Removing documents: a generation that was replaced, deleted or aborted,
// and leftovers of writers that died. Searches stopped seeing them already
// (control.ts); this frees the space.
//
// Where the cluster has `_delete_by_query` (the reindex module: every full
// distribution) it does the work; lean ones (Elastic's test build) lack it,
// and there the documents are listed with a scroll and deleted in bulk. Both
// refresh first, so that documents written since the last refresh are found,
// and after, so that deleted ones stop costing readers.
import { sendBulk } from './bulk.ts';
import type { Cluster, ClusterFeatures } from './cluster.ts';
import type { EsQuery } from './compile.ts';

const SCROLL_PAGE = 5000;
const DELETE_TIMEOUT_MS = 30 * 60_000;

export async function purge(cluster: Cluster, features: ClusterFeatures, index: string, query: EsQuery): Promise<void> {
  await cluster.request('POST', `/${index}/_refresh`, { query: { ignore_unavailable: true } });
  if (features.deleteByQuery) {
    await cluster.request('POST', `/${index}/_delete_by_query`, {
      body: { query },
      query: { conflicts: 'proceed', refresh: true, slices: 'auto', ignore_unavailable: true },
      timeoutMs: DELETE_TIMEOUT_MS,
    });
    return;
  }
  let page = await cluster.request<ScrollAnswer>('POST', `/${index}/_search`, {
    body: { query, size: SCROLL_PAGE, sort: ['_doc'], _source: false },
    query: { scroll: '2m', ignore_unavailable: true, filter_path: '_scroll_id,hits.hits._id' },
  });
  let deleted = 0;
  try {
    for (;;) {
      const ids = page.hits?.hits?.map((hit) => hit._id) ?? [];
      if (ids.length === 0) break;
      await sendBulk(cluster, index, ids.map((id) => `{"delete":{"_id":${JSON.stringify(id)}}}\n`).join(''), 1);
      deleted += ids.length;
      if (!page._scroll_id || ids.length < SCROLL_PAGE) break;
      page = await cluster.request<ScrollAnswer>('POST', '/_search/scroll', {
        body: { scroll: '2m', scroll_id: page._scroll_id },
        query: { filter_path: '_scroll_id,hits.hits._id' },
      });
    }
  } finally {
    if (page._scroll_id) {
      await cluster.request('DELETE', '/_search/scroll', { body: { scroll_id: page._scroll_id } }).catch(() => {});
    }
  }
  if (deleted > 0) await cluster.request('POST', `/${index}/_refresh`, { query: { ignore_unavailable: true } });
}

interface ScrollAnswer {
  _scroll_id?: string;
  hits?: { hits?: { _id: string }[] };
}
