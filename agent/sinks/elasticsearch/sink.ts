// The Elasticsearch sink: delivers events with bulk `create` and resolves only
// when every event is in the cluster (created, or already there) or, refused
// for good, written to the dead-letter file. Retryable failures (429, 5xx,
// network, read-only index) are retried item by item, indefinitely, with
// jittered backoff; an abort leaves the undelivered events to the caller's
// spool, which sends them again later under the same ids. A failure an
// operator must fix (TLS, credentials, privileges) is retried slowly and
// reported with the code that names the setting (connection.ts, diagnosis.ts).

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
import { backoffMs } from '../backoff.ts';
import { type DeadLetterEntry, DeadLetterFile } from '../dead-letter.ts';
import type { Sink } from '../types.ts';
import { type ClusterCapabilities, chooseMappings, type MappingChoices, parseNodesInfo } from './capabilities.ts';
import { type ClientFactory, clientOptions, defaultClientFactory, readTlsFiles, type TlsFiles } from './client.ts';
import { actionOf, ConnectionCheck, type Probe, type Step } from './connection.ts';
import { diagnoseRefusal } from './diagnosis.ts';
import { type EncodedItem, encodeEvent, encodeRecord, indexFor, itemEvent, type Target, targetFor } from './encoder.ts';
import {
  type BulkItemResult,
  classifyItem,
  classifyRequestFailure,
  isPrivilegeRefusal,
  requestFailure,
} from './retry.ts';
import { indexTemplate, templatePath } from './template.ts';

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
  /** Injected for tests; defaults to one HTTPS request (tls-probe.ts). */
  probe?: Probe;
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
  cluster?: Pick<MappingChoices, 'dataStreams' | 'messageType' | 'labels' | 'templateApi'> & { version: string };
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

export class ElasticsearchSink implements Sink {
  private readonly closing = new AbortController();
  private readonly config: ElasticsearchSinkConfig;
  private readonly files: TlsFiles;
  private readonly createClient: ClientFactory;
  /** Built once the connection is checked: a CA pinned by fingerprint is known only then. */
  private esClient: Client | undefined;
  private readonly check: ConnectionCheck;
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
    // Unreadable or mismatched TLS files stop the agent at start, naming the setting.
    this.files = readTlsFiles(deps.config);
    this.createClient = deps.createClient ?? defaultClientFactory;
    if (!deps.config.tls?.ca_fingerprint) this.esClient = this.createClient(clientOptions(deps.config, this.files));
    this.check = new ConnectionCheck(deps.config, this.files, deps.probe);
    this.wait = deps.wait ?? ((ms, signal) => sleep(ms, undefined, { signal }));
    this.deadLetter = new DeadLetterFile(join(deps.dataDir, 'dead-letter'), component);
    this.batchBytes = parseBytes(deps.config.batch_bytes);
    this.onError = deps.onError ?? (() => {});
    this.stats = {
      state: 'connecting',
      url: this.check.facts.url,
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

  /** Connects and installs the template now rather than at the first batch. */
  start(): void {
    this.connect().catch(() => {});
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
    this.closing.abort();
    await this.esClient?.close();
  }

  private get client(): Client {
    if (!this.esClient) throw new Error('the Elasticsearch client is used before the connection was checked');
    return this.esClient;
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
      const explained = await this.check.explainFailure(error, 'bulk', signal);
      this.record(explained);
      return { retry: chunk, slow: outcome.slow || !transient(explained), retryAfterMs: outcome.retryAfterMs };
    }
    return this.readItems(chunk, response, report);
  }

  private async readItems(chunk: EncodedItem[], response: BulkResponse, report: DeliveryReport) {
    const retry: EncodedItem[] = [];
    const rejected: Array<{ item: EncodedItem; status: number; reason: string }> = [];
    let slow = false;
    let sentBytes = 0;
    let forbidden: string | undefined;
    chunk.forEach((item, index) => {
      const entry = response.items?.[index];
      const result = entry ? Object.values(entry)[0] : undefined;
      let outcome = classifyItem(result);
      // A user without the privilege on this index: the operator can grant it, so keep the events.
      if (outcome.kind === 'reject' && isPrivilegeRefusal(result)) {
        forbidden = outcome.reason;
        outcome = { kind: 'retry', reason: outcome.reason, slow: true };
      }
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
    if (forbidden !== undefined) {
      this.record(diagnoseRefusal(403, forbidden, actionOf('bulk'), this.check.facts) ?? this.unreachable(forbidden));
    } else if (retry.length > 0) {
      this.record(this.unreachable(`${retry.length} item(s) to retry`));
    }
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

  private record(error: CodedError) {
    this.stats.lastError = { code: error.code, message: error.message, at: new Date().toISOString() };
    this.onError(error);
  }

  private unreachable(detail: string): CodedError {
    return new CodedError(agentErrors.SINK_ES_UNREACHABLE, { url: this.stats.url, detail });
  }

  /** Learns what the cluster offers and installs the template, retrying until it answers. */
  private connect(signal?: AbortSignal): Promise<Target> {
    if (this.target) return Promise.resolve(this.target);
    // One set-up for every caller, ended only by close(); each caller can still give up on it.
    this.ready ??= this.setUp(this.closing.signal).finally(() => {
      this.ready = undefined;
    });
    const ready = this.ready.then(() => this.target as Target);
    if (!signal) return ready;
    signal.throwIfAborted();
    return new Promise<Target>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      ready.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private async setUp(signal?: AbortSignal): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let step: Step = 'connect';
      try {
        const trustedCa = await this.check.check(signal);
        this.esClient ??= this.createClient(clientOptions(this.config, this.files, trustedCa));
        step = 'discover';
        const info = await this.client.transport.request({ method: 'GET', path: '/_nodes/_local' }, { signal });
        const capabilities: ClusterCapabilities = parseNodesInfo(info);
        const choices = chooseMappings(capabilities);
        const target = targetFor(
          this.config.dataset,
          this.config.namespace,
          choices.dataStreams,
          choices.labels === 'dedot',
        );
        const pattern = choices.dataStreams ? target.dataStream : `${target.dataStream}-*`;
        step = 'template';
        await this.client.transport.request(
          {
            method: 'PUT',
            path: templatePath(`shiplog-${target.dataStream}`, choices),
            body: indexTemplate(pattern, choices),
          },
          { signal },
        );
        this.stats.cluster = {
          version: capabilities.version,
          dataStreams: choices.dataStreams,
          messageType: choices.messageType,
          labels: choices.labels,
          templateApi: choices.templateApi,
        };
        this.target = target;
        return;
      } catch (error) {
        if (signal?.aborted) throw error;
        const explained = await this.check.explainFailure(error, step, signal);
        this.record(explained);
        this.stats.state = 'retrying';
        // Whatever an operator must fix is retried slowly; a cluster that is away, quickly.
        await this.wait(backoffMs(attempt, !transient(explained)), signal);
      }
    }
  }
}

/** Only "no answer" heals without an operator. */
function transient(error: CodedError): boolean {
  return error.code === agentErrors.SINK_ES_UNREACHABLE.code;
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
