// The Elasticsearch sink: delivers events with bulk `create` and resolves only
// when every event is in the cluster (created, or already there) or, refused
// for good, written to the dead-letter file. Retryable failures (429, 5xx,
// network, read-only index) are retried item by item, indefinitely, with
// jittered backoff; an abort leaves the undelivered events to the caller's
// spool, which sends them again later under the same ids.

import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Client } from '@elastic/elasticsearch';
import { CodedError } from '../../../core/coded-error.ts';
import { parseBytes } from '../../../core/units.ts';
import type { ElasticsearchSinkConfig } from '../../../schemas/agent-config.ts';
import type { LogEvent } from '../../../schemas/log-event.ts';
import { agentErrors } from '../../errors.ts';
import type { Telemetry } from '../../pipeline/types.ts';
import { type ClusterCapabilities, chooseMappings, parseNodesInfo } from './capabilities.ts';
import { type ClientFactory, clientOptions, defaultClientFactory } from './client.ts';
import { type DeadLetterEntry, DeadLetterFile } from './dead-letter.ts';
import { type EncodedItem, encodeEvent, encodeRecord, indexFor, itemEvent, type Target, targetFor } from './encoder.ts';
import { type BulkItemResult, backoffMs, classifyItem, classifyRequestFailure } from './retry.ts';
import { indexTemplate } from './template.ts';

const component = 'elasticsearch';
const gzipAsync = promisify(gzip);
// Only what readItems looks at: Elasticsearch then skips writing, and we parsing, the rest of each item.
const BULK_FILTER = 'errors,items.*.status,items.*.error';

export interface ElasticsearchSinkDeps {
  config: ElasticsearchSinkConfig;
  dataDir: string;
  telemetry: Telemetry;
  createClient?: ClientFactory;
  /** Injected for tests of the retry loop; defaults to timers/promises. */
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
  onError?: (error: CodedError) => void;
}

export interface DeliveryReport {
  delivered: number;
  duplicates: number;
  rejected: number;
}

export interface SinkHealth {
  state: 'connecting' | 'healthy' | 'retrying';
  url: string;
  dataStream: string;
  cluster?: { version: string; dataStreams: boolean; messageType: string };
  lastError?: { code: string; message: string; at: string };
  lastSuccessAt?: string;
  delivered: number;
  duplicates: number;
  rejected: number;
  retries: number;
  deadLetterPath: string;
}

interface BulkResponse {
  errors?: boolean;
  items?: Array<Record<string, BulkItemResult>>;
}

export class ElasticsearchSink {
  private readonly config: ElasticsearchSinkConfig;
  private readonly client: Client;
  private readonly telemetry: Telemetry;
  private readonly wait: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly deadLetter: DeadLetterFile;
  private readonly batchBytes: number;
  private readonly onError: (error: CodedError) => void;
  private target: Target | undefined;
  private ready: Promise<void> | undefined;
  private readonly stats: SinkHealth;

  constructor(deps: ElasticsearchSinkDeps) {
    this.config = deps.config;
    this.telemetry = deps.telemetry;
    this.client = (deps.createClient ?? defaultClientFactory)(clientOptions(deps.config));
    this.wait = deps.wait ?? ((ms, signal) => sleep(ms, undefined, { signal }));
    this.deadLetter = new DeadLetterFile(join(deps.dataDir, 'dead-letter'), component);
    this.batchBytes = parseBytes(deps.config.batch_bytes);
    this.onError = deps.onError ?? (() => {});
    this.stats = {
      state: 'connecting',
      url: firstUrl(deps.config),
      dataStream: `logs-${deps.config.dataset}-${deps.config.namespace}`,
      delivered: 0,
      duplicates: 0,
      rejected: 0,
      retries: 0,
      deadLetterPath: this.deadLetter.path,
    };
  }

  health(): SinkHealth {
    return structuredClone(this.stats);
  }

  /** Resolves when every event is delivered, already present, or dead-lettered. */
  async deliver(events: readonly LogEvent[], signal?: AbortSignal): Promise<DeliveryReport> {
    if (events.length === 0) return { delivered: 0, duplicates: 0, rejected: 0 };
    const target = await this.connect(signal);
    const ingested = new Date().toISOString();
    return this.send(
      events.map((event) => encodeEvent(event, target, ingested)),
      signal,
    );
  }

  /**
   * The same for spool records (canonical JSON), spliced into bulk lines
   * without decoding. A record that is not an event is counted as
   * decode_error and skipped: retrying it could never succeed.
   */
  async deliverRecords(records: readonly string[], signal?: AbortSignal): Promise<DeliveryReport> {
    if (records.length === 0) return { delivered: 0, duplicates: 0, rejected: 0 };
    const target = await this.connect(signal);
    const ingested = new Date().toISOString();
    const items: EncodedItem[] = [];
    let undecodable = 0;
    for (const record of records) {
      try {
        items.push(encodeRecord(record, target, ingested));
      } catch {
        undecodable++;
      }
    }
    if (undecodable > 0) this.telemetry.eventsDropped(component, 'decode_error', undecodable, false);
    return this.send(items, signal);
  }

  private async send(items: EncodedItem[], signal?: AbortSignal): Promise<DeliveryReport> {
    const report: DeliveryReport = { delivered: 0, duplicates: 0, rejected: 0 };
    let pending = items;
    let attempt = 0;
    while (pending.length > 0) {
      const retry: EncodedItem[] = [];
      let slow = false;
      let retryAfterMs: number | undefined;
      for (const chunk of chunkByBytes(pending, this.batchBytes)) {
        const result = await this.sendChunk(chunk, report, signal);
        retry.push(...result.retry);
        slow ||= result.slow;
        retryAfterMs = Math.max(retryAfterMs ?? 0, result.retryAfterMs ?? 0) || retryAfterMs;
      }
      pending = retry;
      if (pending.length === 0) break;
      this.stats.retries += pending.length;
      this.stats.state = 'retrying';
      await this.wait(Math.max(retryAfterMs ?? 0, backoffMs(attempt++, slow)), signal);
    }
    this.stats.state = 'healthy';
    this.stats.lastSuccessAt = new Date().toISOString();
    return report;
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async sendChunk(
    chunk: EncodedItem[],
    report: DeliveryReport,
    signal?: AbortSignal,
  ): Promise<{ retry: EncodedItem[]; slow: boolean; retryAfterMs?: number }> {
    let response: BulkResponse;
    try {
      const body = chunk.map((item) => item.lines).join('');
      // gzip level 1 ourselves: the client's level 6 cost more CPU than the
      // rest of the sink and saves little more on log lines.
      const gzipped = this.config.compression ? await gzipAsync(body, { level: 1 }) : undefined;
      const result = await this.client.transport.request(
        { method: 'POST', path: '/_bulk', bulkBody: gzipped ?? body, querystring: { filter_path: BULK_FILTER } },
        { meta: true, signal, compression: false, headers: gzipped ? { 'content-encoding': 'gzip' } : undefined },
      );
      response = result.body as BulkResponse;
    } catch (error) {
      if (signal?.aborted) throw error;
      const failure = requestFailure(error);
      const outcome = classifyRequestFailure(failure.status, failure.reason, failure.retryAfter);
      if (outcome.kind === 'split') return this.split(chunk, report, signal, failure.reason);
      if (outcome.kind === 'fatal') {
        await this.reject(
          chunk.map((item) => ({ item, status: failure.status ?? 0, reason: outcome.reason })),
          report,
        );
        return { retry: [], slow: false };
      }
      this.recordError(
        failure.status === 401 || failure.status === 403 ? 'SINK_ES_AUTH' : 'SINK_ES_UNREACHABLE',
        outcome.reason,
      );
      return { retry: chunk, slow: outcome.slow, retryAfterMs: outcome.retryAfterMs };
    }
    return this.readItems(chunk, response, report);
  }

  private async readItems(chunk: EncodedItem[], response: BulkResponse, report: DeliveryReport) {
    const retry: EncodedItem[] = [];
    const rejected: Array<{ item: EncodedItem; status: number; reason: string }> = [];
    let slow = false;
    let sentBytes = 0;
    chunk.forEach((item, index) => {
      const result = response.items?.[index];
      const outcome = classifyItem(result ? Object.values(result)[0] : undefined);
      switch (outcome.kind) {
        case 'delivered':
          report.delivered++;
          sentBytes += item.bytes;
          break;
        case 'duplicate':
          report.duplicates++;
          break;
        case 'retry':
          retry.push(item);
          slow ||= outcome.slow;
          break;
        case 'reject':
          rejected.push({ item, status: outcome.status, reason: outcome.reason });
          break;
      }
    });
    const acknowledged = chunk.length - retry.length - rejected.length;
    this.stats.delivered = this.stats.delivered + acknowledged;
    this.telemetry.eventsSent(component, acknowledged, sentBytes);
    if (retry.length > 0) this.recordError('SINK_ES_UNREACHABLE', `${retry.length} item(s) to retry`);
    await this.reject(rejected, report);
    return { retry, slow };
  }

  /** A body too large for the cluster: halve it; a single event that still is too large is refused. */
  private async split(chunk: EncodedItem[], report: DeliveryReport, signal: AbortSignal | undefined, reason: string) {
    if (chunk.length === 1) {
      const [item] = chunk;
      if (item) await this.reject([{ item, status: 413, reason }], report);
      return { retry: [], slow: false };
    }
    const middle = Math.ceil(chunk.length / 2);
    const first = await this.sendChunk(chunk.slice(0, middle), report, signal);
    const second = await this.sendChunk(chunk.slice(middle), report, signal);
    return { retry: [...first.retry, ...second.retry], slow: first.slow || second.slow };
  }

  private async reject(items: Array<{ item: EncodedItem; status: number; reason: string }>, report: DeliveryReport) {
    if (items.length === 0) return;
    const target = this.target;
    const entries: DeadLetterEntry[] = items.map(({ item, status, reason }) => ({
      status,
      reason,
      index: target ? indexFor(target, item.timestamp) : '',
      event: itemEvent(item),
    }));
    await this.deadLetter.write(entries);
    report.rejected += items.length;
    this.stats.rejected += items.length;
    this.telemetry.eventsDropped(component, 'rejected_by_sink', items.length, false);
    const error = new CodedError(agentErrors.SINK_ES_REJECTED, {
      count: items.length,
      detail: items[0]?.reason ?? '',
      path: this.deadLetter.path,
    });
    this.onError(error);
  }

  private recordError(name: 'SINK_ES_AUTH' | 'SINK_ES_UNREACHABLE' | 'SINK_ES_TEMPLATE', detail: string) {
    const error = new CodedError(agentErrors[name], { url: this.stats.url, detail, dataStream: this.stats.dataStream });
    this.stats.lastError = { code: error.code, message: error.message, at: new Date().toISOString() };
    this.onError(error);
  }

  /** Learns what the cluster offers and installs the template, retrying until it answers. */
  private connect(signal?: AbortSignal): Promise<Target> {
    if (this.target) return Promise.resolve(this.target);
    this.ready ??= this.setUp(signal).finally(() => {
      this.ready = undefined;
    });
    return this.ready.then(() => this.target as Target);
  }

  private async setUp(signal?: AbortSignal): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let step: 'discover' | 'template' = 'discover';
      try {
        const info = await this.client.transport.request({ method: 'GET', path: '/_nodes/_local' }, { signal });
        const capabilities: ClusterCapabilities = parseNodesInfo(info);
        const choices = chooseMappings(capabilities);
        const target = targetFor(this.config.dataset, this.config.namespace, choices.dataStreams);
        const pattern = choices.dataStreams ? target.dataStream : `${target.dataStream}-*`;
        step = 'template';
        await this.client.transport.request(
          {
            method: 'PUT',
            path: `/_index_template/shiplog-${target.dataStream}`,
            body: indexTemplate(pattern, choices),
          },
          { signal },
        );
        this.stats.cluster = {
          version: capabilities.version,
          dataStreams: choices.dataStreams,
          messageType: choices.messageType,
        };
        this.target = target;
        return;
      } catch (error) {
        if (signal?.aborted) throw error;
        const failure = requestFailure(error);
        const auth = failure.status === 401 || failure.status === 403;
        const rejected = step === 'template' && failure.status === 400;
        this.recordError(auth ? 'SINK_ES_AUTH' : rejected ? 'SINK_ES_TEMPLATE' : 'SINK_ES_UNREACHABLE', failure.reason);
        this.stats.state = 'retrying';
        await this.wait(backoffMs(attempt, auth || rejected), signal);
      }
    }
  }
}

function firstUrl(config: ElasticsearchSinkConfig): string {
  const url = Array.isArray(config.url) ? config.url[0] : config.url;
  // Never show credentials embedded in a URL.
  return (url ?? '').replace(/\/\/[^@/]*@/, '//[REDACTED]@');
}

function chunkByBytes(items: EncodedItem[], maxBytes: number): EncodedItem[][] {
  const chunks: EncodedItem[][] = [];
  let current: EncodedItem[] = [];
  let size = 0;
  for (const item of items) {
    if (current.length > 0 && size + item.bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += item.bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

interface RequestFailure {
  status?: number;
  reason: string;
  retryAfter?: string | string[];
}

function requestFailure(error: unknown): RequestFailure {
  const meta = (error as { meta?: { statusCode?: number; headers?: Record<string, string | string[]> } }).meta;
  const body = (error as { body?: { error?: { type?: string; reason?: string } } }).body;
  const reason = body?.error?.reason
    ? `${body.error.type ?? 'error'}: ${body.error.reason}`
    : error instanceof Error
      ? error.message
      : String(error);
  return { status: meta?.statusCode, reason, retryAfter: meta?.headers?.['retry-after'] };
}
