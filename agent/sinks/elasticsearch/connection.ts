// Checks the TLS connection to the cluster before the sink's first request,
// and explains a failed request as the error that names the setting to fix
// (diagnosis.ts): a 401 or 403 by the credentials in use, a request that got
// no answer by a probe (tls-probe.ts), because the Elasticsearch client hides
// what the TLS layer said.
//
// `tls.ca_fingerprint` pins the CA by the SHA-256 of its certificate, as
// Elastic's own clients' caFingerprint does: the first probe, unverified,
// finds the certificate with that fingerprint among those the server
// presents; that exact certificate then becomes the CA the client trusts, so
// the chain, its dates and the host name are verified by Node as with a CA
// file, on every connection. (Matching a fingerprint on an unverified
// connection alone, as the clients do, would accept a forged leaf certificate
// sent together with the real CA's.)
import { CodedError } from '../../../core/coded-error.ts';
import type { ElasticsearchSinkConfig } from '../../../schemas/agent-config.ts';
import { agentErrors } from '../../errors.ts';
import type { TlsFiles } from './client.ts';
import { type ConnectionFacts, diagnoseRefusal, diagnoseTls, displayUrl, tlsAlert } from './diagnosis.ts';
import { requestFailure } from './retry.ts';
import { type ProbeOptions, type ProbeResult, probeTls, sameFingerprint, type TransportFailure } from './tls-probe.ts';

export type Probe = (url: string, options: ProbeOptions) => Promise<ProbeResult>;

/** What the sink was doing when a request failed. */
export type Step = 'connect' | 'discover' | 'template' | 'bulk';

/** What each step asks of the cluster, for a 403's message. */
export function actionOf(step: Step): string {
  return {
    connect: 'connect',
    discover: 'read the node info (GET /_nodes/_local)',
    template: 'install the index template',
    bulk: 'write the events',
  }[step];
}

export class ConnectionCheck {
  /** For messages: the first node's URL, without credentials. */
  readonly facts: ConnectionFacts;
  private readonly config: ElasticsearchSinkConfig;
  private readonly files: TlsFiles;
  private readonly urls: string[];
  private readonly probe: Probe;

  constructor(config: ElasticsearchSinkConfig, files: TlsFiles, probe: Probe = probeTls) {
    this.config = config;
    this.files = files;
    this.urls = Array.isArray(config.url) ? [...config.url] : [config.url];
    this.probe = probe;
    this.facts = { url: displayUrl(this.urls[0] ?? ''), config, clientCert: files.clientCert };
  }

  /**
   * Resolves when a node accepts a TLS connection as configured, with the CA
   * certificate to trust when it is pinned by fingerprint; rejects with the
   * CodedError that says what to fix. Nodes that do not answer are passed
   * over: the client fails over to the others.
   */
  async check(signal?: AbortSignal): Promise<string | undefined> {
    const fingerprint = this.config.tls?.ca_fingerprint;
    let unreachable: CodedError | undefined;
    for (const url of this.urls) {
      if (!url.startsWith('https:')) continue;
      try {
        return await this.checkNode(url, signal);
      } catch (error) {
        if (!(error instanceof CodedError) || error.code !== agentErrors.SINK_ES_UNREACHABLE.code) throw error;
        unreachable ??= error;
      }
    }
    // Without a pinned CA the client can go ahead and find a node itself; with one it has nothing to trust yet.
    if (fingerprint && unreachable) throw unreachable;
    return undefined;
  }

  private async checkNode(url: string, signal?: AbortSignal): Promise<string | undefined> {
    const { cert, key } = this.files;
    const fingerprint = this.config.tls?.ca_fingerprint;
    let trusted = this.files.ca;
    if (fingerprint) {
      const first = await this.probe(url, { cert, key, rejectUnauthorized: false, signal });
      if (!first.ok) throw this.failure(url, first.error);
      const pinned = first.chain.find((c) => sameFingerprint(c.fingerprint256, fingerprint));
      if (!pinned) {
        const presented = first.chain.map((c) => `${commonName(c.subject)} (${c.fingerprint256})`).join(', ');
        throw new CodedError(agentErrors.SINK_ES_TLS_FINGERPRINT, {
          url: displayUrl(url),
          expected: fingerprint,
          presented: presented || 'no certificate',
        });
      }
      trusted ??= pinned.toString();
    }
    const verify = this.config.tls?.verify ?? true;
    const result = await this.probe(url, { ca: trusted, cert, key, rejectUnauthorized: verify, signal });
    if (!result.ok) throw this.failure(url, result.error);
    return fingerprint ? trusted : undefined;
  }

  /**
   * After a request got no answer: the TLS problem behind it, or undefined
   * when TLS is fine. Over plain http, whether the port speaks only HTTPS
   * (Elasticsearch closes a plain request on its HTTPS port without a word).
   */
  async explain(signal?: AbortSignal): Promise<CodedError | undefined> {
    for (const url of this.urls.filter((u) => u.startsWith('http:'))) {
      const result = await this.probe(url.replace(/^http:/, 'https:'), {
        rejectUnauthorized: false,
        signal,
        timeoutMs: 5000,
      });
      if (result.ok || tlsAlert(result.error) !== undefined) {
        return new CodedError(agentErrors.SINK_ES_HTTPS_REQUIRED, { url: displayUrl(url) });
      }
    }
    try {
      await this.check(signal);
      return undefined;
    } catch (error) {
      if (error instanceof CodedError && error.code !== agentErrors.SINK_ES_UNREACHABLE.code) return error;
      return undefined;
    }
  }

  /** What a failed request means for the operator: the TLS, credential or privilege problem, or just no answer. */
  async explainFailure(error: unknown, step: Step, signal?: AbortSignal): Promise<CodedError> {
    if (error instanceof CodedError) return error;
    const failure = requestFailure(error);
    if (failure.status === 401 || failure.status === 403) {
      const refused = diagnoseRefusal(failure.status, failure.reason, actionOf(step), this.facts);
      if (refused) return refused;
    }
    if (step === 'template' && failure.status === 400) {
      const { dataset, namespace } = this.config;
      return new CodedError(agentErrors.SINK_ES_TEMPLATE, {
        dataStream: `logs-${dataset}-${namespace}`,
        detail: failure.reason,
      });
    }
    // No answer at all: ask the TLS layer why (the client says only "other side closed").
    if (failure.status === undefined && !signal?.aborted) {
      const tls = await this.explain(signal);
      if (tls) return tls;
    }
    return new CodedError(agentErrors.SINK_ES_UNREACHABLE, { url: this.facts.url, detail: failure.reason });
  }

  private failure(url: string, error: TransportFailure): CodedError {
    const facts = { ...this.facts, url: displayUrl(url) };
    return (
      diagnoseTls(error, facts) ??
      new CodedError(agentErrors.SINK_ES_UNREACHABLE, { url: facts.url, detail: error.message })
    );
  }
}

function commonName(subject: string): string {
  return /(?:^|\n)CN=([^\n]*)/.exec(subject)?.[1] ?? subject.replaceAll('\n', ', ');
}
