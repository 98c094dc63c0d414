// The index template the sink installs for its data stream (or, on clusters
// without data streams, for its dated indices): composable where the cluster
// has `_index_template` (7.8+), legacy before. ECS names, so Kibana needs no
// mapping work; only field types every cluster has unless the detected
// capabilities allow richer ones.
import type { MappingChoices } from './capabilities.ts';

const keyword = { type: 'keyword', ignore_above: 1024 } as const;
const long = { type: 'long' } as const;
// Kept in _source, not indexed: a value unique to every event (the id is
// _id already; the position is for reading, not for searching) costs the
// cluster an entry per event in the terms dictionary and in doc values.
const unindexed = { type: 'keyword', index: false, doc_values: false } as const;

const meta = { managed_by: 'shiplog', description: 'shiplog container and syslog events (ECS)' };
const settings = { 'index.mapping.total_fields.limit': 2000 };

/** Where the template goes: `PUT <path>` with `indexTemplate(...)` as the body. */
export function templatePath(name: string, choices: Pick<MappingChoices, 'templateApi'>): string {
  return choices.templateApi === 'composable' ? `/_index_template/${name}` : `/_template/${name}`;
}

export function indexTemplate(pattern: string, choices: MappingChoices): Record<string, unknown> {
  if (choices.templateApi === 'legacy') {
    return { index_patterns: [pattern], order: 250, settings, mappings: { _meta: meta, ...mappings(choices) } };
  }
  return {
    index_patterns: [pattern],
    priority: 250,
    ...(choices.dataStreams ? { data_stream: {} } : {}),
    _meta: meta,
    template: { settings, mappings: mappings(choices) },
  };
}

function mappings(choices: MappingChoices): Record<string, unknown> {
  const constant = { type: choices.constantType };
  // Flattened keeps dotted label keys as they are; dedotted ones are plain keyword fields.
  const labels =
    choices.labels === 'flattened' ? { type: 'flattened', ignore_above: 1024 } : { type: 'object', dynamic: 'true' };
  return {
    dynamic: 'false',
    properties: {
      '@timestamp': { type: 'date_nanos' },
      message: { type: choices.messageType },
      tags: keyword,
      labels,
      event: {
        properties: {
          dataset: keyword,
          ingested: { type: 'date' },
          original: { type: 'keyword', index: false, doc_values: false },
        },
      },
      data_stream: { properties: { type: constant, dataset: constant, namespace: constant } },
      host: { properties: { name: keyword } },
      source: { properties: { ip: { type: 'ip' }, port: long } },
      log: {
        properties: {
          level: keyword,
          stream: keyword,
          file: { properties: { path: keyword } },
          syslog: {
            properties: {
              facility: { properties: { code: long, name: keyword } },
              severity: { properties: { code: long, name: keyword } },
              priority: long,
              appname: keyword,
              procid: keyword,
              msgid: keyword,
              hostname: keyword,
              version: long,
              structured_data: { type: 'object', enabled: false },
            },
          },
        },
      },
      container: {
        properties: {
          id: keyword,
          name: keyword,
          runtime: keyword,
          image: { properties: { name: keyword, tag: keyword } },
          labels,
        },
      },
      service: { properties: { name: keyword } },
      process: { properties: { name: keyword, pid: long } },
      shiplog: {
        properties: {
          id: unindexed,
          origin: { properties: { source: keyword, key: keyword, position: unindexed, seq: long } },
          partial: { type: 'boolean' },
          truncated: { type: 'boolean' },
          multiline: long,
          parse_failure: keyword,
        },
      },
    },
    ...(choices.labels === 'dedot'
      ? { dynamic_templates: [{ labels_as_keywords: { path_match: '*labels.*', mapping: keyword } }] }
      : {}),
  };
}
