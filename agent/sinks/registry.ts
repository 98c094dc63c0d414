// The sinks the agent can deliver to, each turned on by its own config
// section. Each gets a spool reader of its own name, so the spool keeps every
// record until every configured sink has acknowledged it. A sink's code is
// loaded only when it is configured (the Elasticsearch client alone is 20-40 MB
// of a process's memory).
import type { CodedError } from '../../core/coded-error.ts';
import { parseBytes } from '../../core/units.ts';
import type { AgentConfig } from '../config.ts';
import type { Telemetry } from '../pipeline/types.ts';
import { displayUrl } from './elasticsearch/diagnosis.ts';
import type { Sink, SinkBatching } from './types.ts';

export interface SinkDeps {
  dataDir: string;
  telemetry: Telemetry;
  onError: (error: CodedError) => void;
}

export interface SinkPlan {
  /** Also the name of its spool reader and of its section in `shiplog status`. */
  readonly name: 'elasticsearch' | 'syslog_forward';
  /** Where it delivers, for the start-up log line (no credentials). */
  readonly target: string;
  readonly batching: SinkBatching;
  create(deps: SinkDeps): Promise<Sink>;
}

export function plannedSinks(config: Readonly<AgentConfig>): SinkPlan[] {
  const plans: SinkPlan[] = [];
  const es = config.elasticsearch;
  if (es) {
    const urls = Array.isArray(es.url) ? es.url : [es.url];
    plans.push({
      name: 'elasticsearch',
      target: urls.map(displayUrl).join(','),
      batching: { maxEvents: es.batch_events, maxBytes: parseBytes(es.batch_bytes), concurrency: es.concurrency },
      async create(deps) {
        const { ElasticsearchSink } = await import('./elasticsearch/sink.ts');
        return new ElasticsearchSink({ config: es, ...deps });
      },
    });
  }
  const forward = config.syslog_forward;
  if (forward) {
    plans.push({
      name: 'syslog_forward',
      target: `${forward.transport}://${forward.address}`,
      batching: {
        maxEvents: forward.batch_events,
        maxBytes: parseBytes(forward.batch_bytes),
        concurrency: forward.concurrency,
      },
      async create(deps) {
        const { SyslogForwardSink } = await import('./syslog_forward/sink.ts');
        return new SyslogForwardSink({ config: forward, ...deps });
      },
    });
  }
  return plans;
}
