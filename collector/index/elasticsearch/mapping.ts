// The index template that every tenant index (`<prefix>-<tenant>`) gets,
// also when a bulk request recreates an index someone deleted meanwhile.
//
// A document is the IndexedEvent exactly as added (ECS names, as the agent
// writes them), plus `shiplog_index`, what only this backend needs:
//
// - `terms`: the message's terms by THE token rule (collector/index/terms.ts),
//   already folded, joined by single spaces and indexed with the built-in
//   `whitespace` analyzer, so that the cluster holds exactly the terms SQLite's
//   FTS5 holds, at the same positions; a term query, a phrase and a prefix
//   then match what they match in SQLite. `whitespace` is one of the analyzers
//   built into Elasticsearch itself (not the analysis-common module), so the
//   lean test distribution has it as every full one does. The terms are not
//   kept in _source.
// - `gen`: the generation (one write of one bundle); search sees only the
//   generations the control document lists (control.ts).
// - `order`: gen * 2^31 + sequence, the tie-breaker after time and tenant.
// - `time`: the @timestamp as written, when it differs from the canonical
//   UTC form indexed as @timestamp (documents.ts).
//
// Only the fields the collector searches on are mapped (dynamic: false); the
// rest of each event stays in _source. Filter fields are keywords without a
// length cut-off short of Lucene's limit, so a filter matches what it matches
// in SQLite. Message text itself is mapped for Kibana users where the cheap
// `match_only_text` exists, and left unindexed elsewhere: the collector
// searches the terms.
import type { MappingChoices } from '../../../agent/sinks/elasticsearch/capabilities.ts';
import type { FilterField } from '../types.ts';
import { indexPattern } from './naming.ts';

/** Bumped whenever the mapping changes; the template carries it as `version`. */
export const MAPPING_VERSION = 1;

export const TERMS_FIELD = 'shiplog_index.terms';
export const GEN_FIELD = 'shiplog_index.gen';
export const ORDER_FIELD = 'shiplog_index.order';
export const TIME_FIELD = '@timestamp';
export const TENANT_FIELD = 'shiplog.tenant';
export const BUNDLE_FIELD = 'shiplog.bundle';
export const FILE_FIELD = 'shiplog.file';
export const LINE_FIELD = 'shiplog.line';
/** The top-level key of the backend's own fields in a document; an event may not use it. */
export const INDEX_KEY = 'shiplog_index';
/** The top-level key of the control document's content. */
export const CONTROL_KEY = 'shiplog_control';

/** Where each filter field of the query language lives in a document. */
export const fieldPaths: Readonly<Record<FilterField, string>> = {
  site: 'host.name',
  bundle: BUNDLE_FIELD,
  container: 'container.name',
  service: 'service.name',
  stream: 'log.stream',
  level: 'log.level',
  source: 'shiplog.source',
  file: FILE_FIELD,
};

// Lucene refuses a term over 32766 bytes; 8191 UTF-16 units are at most 24573 bytes of UTF-8.
const keyword = { type: 'keyword', ignore_above: 8191 } as const;
const long = { type: 'long' } as const;

export function templateName(prefix: string): string {
  return prefix;
}

export function indexTemplate(prefix: string, choices: Pick<MappingChoices, 'messageType'>): Record<string, unknown> {
  return {
    index_patterns: [indexPattern(prefix)],
    // Above the built-in templates (100 to 200) and the agent's (250), so a prefix that happens to match
    // one of their patterns still gets this mapping; no data stream.
    priority: 300,
    version: MAPPING_VERSION,
    _meta: { managed_by: 'shiplog-collector', description: 'one tenant’s bundle events (shiplog collector index)' },
    template: {
      settings: {
        'index.number_of_shards': 1,
        // Writers refresh when they commit; nothing else needs to become searchable sooner.
        'index.refresh_interval': '-1',
      },
      mappings: {
        dynamic: 'false',
        _source: { excludes: [TERMS_FIELD] },
        properties: {
          '@timestamp': { type: 'date_nanos' },
          message:
            choices.messageType === 'match_only_text' ? { type: 'match_only_text' } : { type: 'text', index: false },
          event: { properties: { dataset: keyword } },
          host: { properties: { name: keyword } },
          log: { properties: { level: keyword, stream: keyword } },
          container: { properties: { id: keyword, name: keyword, image: { properties: { name: keyword } } } },
          service: { properties: { name: keyword } },
          shiplog: { properties: { tenant: keyword, bundle: keyword, source: keyword, file: keyword, line: long } },
          [INDEX_KEY]: {
            properties: {
              terms: { type: 'text', analyzer: 'whitespace', norms: false, index_options: 'positions' },
              gen: long,
              order: { type: 'long', index: false },
              time: { type: 'keyword', index: false, doc_values: false },
            },
          },
          [CONTROL_KEY]: { type: 'object', enabled: false },
        },
      },
    },
  };
}
