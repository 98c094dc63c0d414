import { describe, expect, it } from 'vitest';
import { eventJson } from '../../../../../agent/pipeline/event-json.ts';
import { backoffMs, parseRetryAfter } from '../../../../../agent/sinks/backoff.ts';
import { chooseMappings, parseNodesInfo } from '../../../../../agent/sinks/elasticsearch/capabilities.ts';
import {
  dedot,
  encodeEvent,
  encodeRecord,
  indexFor,
  targetFor,
} from '../../../../../agent/sinks/elasticsearch/encoder.ts';
import {
  classifyItem,
  classifyRequestFailure,
  isPrivilegeRefusal,
} from '../../../../../agent/sinks/elasticsearch/retry.ts';
import { indexTemplate, templatePath } from '../../../../../agent/sinks/elasticsearch/template.ts';
import type { LogEvent } from '../../../../../schemas/log-event.ts';

const nodes = (version: string, modules: string[]) => ({
  nodes: { abc: { version, modules: modules.map((name) => ({ name })), plugins: [] } },
});

describe('template choices from what the cluster offers', () => {
  it('uses the richer ECS types on a full 8.x distribution', () => {
    const choices = chooseMappings(parseNodesInfo(nodes('8.19.21', ['mapper-extras', 'constant-keyword', 'wildcard'])));
    expect(choices).toEqual({
      dataStreams: true,
      messageType: 'match_only_text',
      constantType: 'constant_keyword',
      templateApi: 'composable',
      labels: 'flattened',
    });
  });

  it('falls back to text and keyword where the modules are absent (lean test build)', () => {
    const choices = chooseMappings(parseNodesInfo(nodes('8.19.21', ['transport-netty4', 'x-pack-core'])));
    expect(choices).toEqual({
      dataStreams: true,
      messageType: 'text',
      constantType: 'keyword',
      templateApi: 'composable',
      labels: 'flattened',
    });
  });

  it('uses dated indices and a composable template on a 7.17 build without data streams (the test build)', () => {
    const choices = chooseMappings(parseNodesInfo(nodes('7.17.29', ['transport-netty4', 'x-pack-core'])));
    expect(choices).toMatchObject({ dataStreams: false, templateApi: 'composable', labels: 'flattened' });
    const template = indexTemplate('logs-shiplog-default-*', choices);
    expect(template).not.toHaveProperty('data_stream');
    expect(templatePath('shiplog-x', choices)).toBe('/_index_template/shiplog-x');
  });

  it('uses data streams on a full 7.17 distribution, which has the x-pack-data-streams module', () => {
    const choices = chooseMappings(parseNodesInfo(nodes('7.17.29', ['x-pack-core', 'x-pack-data-streams'])));
    expect(choices.dataStreams).toBe(true);
  });

  it('installs a legacy template before 7.8, where _index_template does not exist', () => {
    const choices = chooseMappings(parseNodesInfo(nodes('7.7.1', ['x-pack-core'])));
    expect(choices).toMatchObject({ dataStreams: false, templateApi: 'legacy' });
    expect(templatePath('shiplog-x', choices)).toBe('/_template/shiplog-x');
    const template = indexTemplate('logs-shiplog-default-*', choices);
    expect(template).toMatchObject({ index_patterns: ['logs-shiplog-default-*'], order: 250 });
    expect(template).not.toHaveProperty('template');
    expect(template).not.toHaveProperty('priority');
    expect(JSON.stringify(template.mappings)).toContain('"@timestamp":{"type":"date_nanos"}');
  });

  it('maps dotted Docker labels as flattened where the cluster has it, else as keywords of dedotted keys', () => {
    const flattened = indexTemplate('p', chooseMappings(parseNodesInfo(nodes('8.19.21', []))));
    expect(JSON.stringify(flattened)).toContain('"labels":{"type":"flattened","ignore_above":1024}');
    // 7.10 OSS (no x-pack) has no flattened type.
    const oss = chooseMappings(parseNodesInfo(nodes('7.10.2', ['transport-netty4'])));
    expect(oss.labels).toBe('dedot');
    expect(JSON.stringify(indexTemplate('p-*', oss))).toContain('labels_as_keywords');
  });

  it('puts a data_stream block and date_nanos timestamps in the 8.x template', () => {
    const template = indexTemplate('logs-shiplog-default', chooseMappings(parseNodesInfo(nodes('8.19.0', []))));
    expect(template.data_stream).toEqual({});
    expect(JSON.stringify(template)).toContain('"@timestamp":{"type":"date_nanos"}');
  });

  it('survives an empty or odd _nodes answer', () => {
    expect(parseNodesInfo({}).major).toBe(0);
    expect(parseNodesInfo(null).modules.size).toBe(0);
  });
});

const event: LogEvent = {
  '@timestamp': '2026-11-25T03:12:45.123456789Z',
  message: 'ready',
  event: { dataset: 'docker.container_logs' },
  host: { name: 'app-01' },
  shiplog: { id: 'id-1', origin: { source: 'docker', key: 'c1', position: '2026-11-25T03:12:45.123456789Z', seq: 0 } },
};

describe('bulk encoding', () => {
  it('creates into the data stream with the event id, adding data_stream and event.ingested', () => {
    const item = encodeEvent(event, targetFor('shiplog', 'default', true), '2026-11-25T03:12:46Z');
    const [action, doc] = item.lines
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(action).toEqual({ create: { _index: 'logs-shiplog-default', _id: 'id-1' } });
    expect(doc.data_stream).toEqual({ type: 'logs', dataset: 'shiplog', namespace: 'default' });
    expect(doc.event).toEqual({ dataset: 'docker.container_logs', ingested: '2026-11-25T03:12:46Z' });
    expect(item.bytes).toBe(Buffer.byteLength(item.lines));
  });

  it('names dated indices after the event date, so a replay meets its duplicate', () => {
    const target = targetFor('shiplog', 'default', false);
    expect(indexFor(target, '2026-01-02T23:59:59Z')).toBe('logs-shiplog-default-2026.01.02');
    // An event of 23:59:59.999999999 sent after midnight still goes to its own day.
    expect(indexFor(target, '2026-01-02T23:59:59.999999999Z')).toBe('logs-shiplog-default-2026.01.02');
  });

  const labelled: LogEvent = {
    ...event,
    container: {
      id: 'c1',
      name: 'shop-web-1',
      labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.project.working_dir': '/srv/shop' },
    },
  };

  it('sends dotted labels as they are where the cluster maps them as flattened', () => {
    const item = encodeRecord(eventJson(labelled), targetFor('shiplog', 'default', true, false), 'now');
    const doc = JSON.parse(item.lines.split('\n')[1] ?? '{}');
    expect(doc.container.labels).toEqual(labelled.container?.labels);
  });

  it('dedots label keys in the document only, where the cluster has no flattened type', () => {
    const target = targetFor('shiplog', 'default', true, true);
    const record = eventJson(labelled);
    const doc = JSON.parse(encodeRecord(record, target, 'now').lines.split('\n')[1] ?? '{}');
    expect(doc.container.labels).toEqual({
      com_docker_compose_project: 'shop',
      com_docker_compose_project_working_dir: '/srv/shop',
    });
    expect(doc.container.name).toBe('shop-web-1');
    expect(doc.shiplog.id).toBe('id-1');
    // The spool record, which bundles are made from, keeps Docker's keys.
    expect(JSON.parse(record).container.labels['com.docker.compose.project']).toBe('shop');
    expect(dedot({ 'a.b': '1', c: '2' })).toEqual({ a_b: '1', c: '2' });
  });
});

describe('bulk item outcomes', () => {
  it.each([
    [{ status: 201 }, 'delivered'],
    [{ status: 409, error: { type: 'version_conflict_engine_exception' } }, 'duplicate'],
    [{ status: 429, error: { type: 'es_rejected_execution_exception' } }, 'retry'],
    [{ status: 503, error: { type: 'unavailable_shards_exception' } }, 'retry'],
    [{ status: 403, error: { type: 'cluster_block_exception', reason: 'index read-only' } }, 'retry'],
    [{ status: 400, error: { type: 'document_parsing_exception', reason: 'bad pid' } }, 'reject'],
    [{ status: 403, error: { type: 'security_exception' } }, 'reject'],
    [undefined, 'retry'],
  ] as const)('%j is %s', (item, kind) => {
    expect(classifyItem(item).kind).toBe(kind);
  });

  it('tells a missing write privilege (which the sink waits out) from other refusals', () => {
    expect(isPrivilegeRefusal({ status: 403, error: { type: 'security_exception' } })).toBe(true);
    expect(isPrivilegeRefusal({ status: 403, error: { type: 'cluster_block_exception' } })).toBe(false);
    expect(isPrivilegeRefusal({ status: 400, error: { type: 'document_parsing_exception' } })).toBe(false);
  });

  it('waits slowly for a read-only index instead of dropping its events', () => {
    expect(classifyItem({ status: 403, error: { type: 'cluster_block_exception' } })).toMatchObject({ slow: true });
  });

  it('keeps the reason of a rejection for the dead-letter file', () => {
    const outcome = classifyItem({
      status: 400,
      error: { type: 'document_parsing_exception', reason: 'failed to parse', caused_by: { reason: 'not a number' } },
    });
    expect(outcome).toEqual({
      kind: 'reject',
      status: 400,
      reason: 'document_parsing_exception: failed to parse (not a number)',
    });
  });
});

describe('request failures and backoff', () => {
  it('splits on 413, retries 429/5xx and network errors, retries auth slowly, gives up on 400', () => {
    expect(classifyRequestFailure(413, 'too large').kind).toBe('split');
    expect(classifyRequestFailure(429, 'busy', '7')).toEqual({
      kind: 'retry',
      reason: 'busy',
      slow: false,
      retryAfterMs: 7000,
    });
    expect(classifyRequestFailure(undefined, 'ECONNREFUSED').kind).toBe('retry');
    expect(classifyRequestFailure(401, 'unauthorized')).toMatchObject({ kind: 'retry', slow: true });
    expect(classifyRequestFailure(400, 'bad request').kind).toBe('fatal');
  });

  it('honours Retry-After in seconds and as a date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThan(50_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('backs off exponentially with jitter up to a cap', () => {
    expect(backoffMs(0, false, () => 0)).toBe(500);
    expect(backoffMs(0, false, () => 1)).toBe(1000);
    expect(backoffMs(3, false, () => 1)).toBe(8000);
    expect(backoffMs(30, false, () => 1)).toBe(60_000);
    expect(backoffMs(30, true, () => 1)).toBe(300_000);
  });
});
