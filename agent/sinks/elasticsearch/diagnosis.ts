// Turns a failed connection or a refused request into the error that names
// the setting to fix. Pure functions over what the TLS layer and the cluster
// said, plus the facts of our own configuration (is a client certificate set,
// when does it expire), so each case is tested from a table; the cases were
// seen against a real security-on Elasticsearch 8.19 (test/integration/
// elasticsearch/security.test.ts):
//   wrong or no CA           SELF_SIGNED_CERT_IN_CHAIN (the server sends its CA)
//   no client certificate    alert 116 certificate_required (TLS 1.3),
//                            alert 40 handshake_failure (TLS 1.2)
//   expired client cert      alert 46 certificate_unknown: Java does not send
//                            certificate_expired, so the dates of our own
//                            certificate tell expired from untrusted
//   client cert of another CA  alert 46 certificate_unknown
//   wrong password           HTTP 401 security_exception
import type { X509Certificate } from 'node:crypto';
import { CodedError } from '../../../core/coded-error.ts';
import type { ElasticsearchSinkConfig } from '../../../schemas/agent-config.ts';
import { agentErrors } from '../../errors.ts';
import type { TransportFailure } from './tls-probe.ts';

/** What the diagnosis needs to know of our side. */
export interface ConnectionFacts {
  url: string;
  config: Pick<ElasticsearchSinkConfig, 'tls' | 'username' | 'api_key' | 'dataset' | 'namespace'>;
  clientCert?: Pick<X509Certificate, 'validFrom' | 'validTo' | 'issuer'>;
}

// Node's codes for a server certificate that does not chain to what we trust.
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'CERT_CHAIN_TOO_LONG',
  'PATH_LENGTH_EXCEEDED',
]);
const SERVER_CERT_DATES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

// TLS alerts (RFC 8446 6.2) a server sends about the client's certificate.
const ALERT_NAMES: Record<number, string> = {
  40: 'handshake_failure',
  42: 'bad_certificate',
  43: 'unsupported_certificate',
  44: 'certificate_revoked',
  45: 'certificate_expired',
  46: 'certificate_unknown',
  48: 'unknown_ca',
  49: 'access_denied',
  116: 'certificate_required',
};
const CLIENT_CERT_ALERTS = new Set([42, 43, 44, 45, 46, 48, 49]);

/** The TLS alert number a failure carries, if it is one (OpenSSL puts it in the message). */
export function tlsAlert(failure: TransportFailure): number | undefined {
  const match = /SSL alert number (\d+)/.exec(failure.message);
  if (match) return Number(match[1]);
  if (failure.code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED') return 116;
  return undefined;
}

/** A TLS failure as the error that names what to fix; undefined when it is not one (refused, timed out). */
export function diagnoseTls(
  failure: TransportFailure,
  facts: ConnectionFacts,
  now = new Date(),
): CodedError | undefined {
  const { url } = facts;
  const tls = facts.config.tls;
  const code = failure.code ?? '';
  const detail = describeFailure(failure);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new CodedError(agentErrors.SINK_ES_TLS_HOSTNAME, { url, host: hostOf(url), detail });
  }
  if (UNTRUSTED.has(code) || SERVER_CERT_DATES.has(code)) {
    return new CodedError(agentErrors.SINK_ES_TLS_UNTRUSTED, { url, detail, advice: untrustedAdvice(code, facts) });
  }
  const alert = tlsAlert(failure);
  const hasClientCert = Boolean(tls?.cert);
  if (alert === 116 || (alert !== undefined && !hasClientCert && (alert === 40 || CLIENT_CERT_ALERTS.has(alert)))) {
    return new CodedError(agentErrors.SINK_ES_TLS_CLIENT_CERT_MISSING, { url, detail });
  }
  if (alert !== undefined && CLIENT_CERT_ALERTS.has(alert)) {
    const path = tls?.cert ?? '';
    const validity = certificateValidity(facts.clientCert, now);
    if (validity !== undefined || alert === 45) {
      return new CodedError(agentErrors.SINK_ES_TLS_CLIENT_CERT_EXPIRED, {
        url,
        path,
        validity: validity ?? 'is outside its validity period by the clock of the cluster (check both clocks)',
        detail,
      });
    }
    return new CodedError(agentErrors.SINK_ES_TLS_CLIENT_CERT_REFUSED, {
      url,
      path,
      issuer: facts.clientCert?.issuer.replaceAll('\n', ', ') ?? 'unknown',
      detail,
    });
  }
  if (alert !== undefined || code.startsWith('ERR_SSL_') || /SSL routines|alert/i.test(failure.message)) {
    return new CodedError(agentErrors.SINK_ES_TLS_HANDSHAKE, { url, detail, advice: handshakeAdvice(failure) });
  }
  return undefined;
}

/** "expired on ..." or "is valid only from ...", or undefined while it is within its dates. */
export function certificateValidity(
  cert: Pick<X509Certificate, 'validFrom' | 'validTo'> | undefined,
  now: Date,
): string | undefined {
  if (!cert) return undefined;
  const to = new Date(cert.validTo);
  const from = new Date(cert.validFrom);
  if (to.getTime() < now.getTime()) return `expired on ${to.toISOString()}`;
  if (from.getTime() > now.getTime()) return `is valid only from ${from.toISOString()} (check this host's clock)`;
  return undefined;
}

function untrustedAdvice(code: string, facts: ConnectionFacts): string {
  const tls = facts.config.tls;
  if (SERVER_CERT_DATES.has(code)) {
    return "the cluster's HTTP certificate is outside its validity period: renew it on the cluster (xpack.security.http.ssl.certificate), and check the clocks";
  }
  const where =
    "the cluster's HTTP CA certificate (the file its xpack.security.http.ssl.certificate_authorities names; config/certs/http_ca.crt on a cluster that configured itself)";
  if (tls?.ca) return `it is not signed by the CA in elasticsearch.tls.ca (${tls.ca}): point tls.ca at ${where}`;
  if (tls?.ca_fingerprint) {
    return 'it is not signed by the CA pinned by elasticsearch.tls.ca_fingerprint: ask the cluster owner which CA signs it now';
  }
  return `elasticsearch.tls.ca is not set and no CA this system trusts signed it: set tls.ca to ${where}, or pin that CA with tls.ca_fingerprint`;
}

function handshakeAdvice(failure: TransportFailure): string {
  if (/wrong version number|packet length too long|http request/i.test(failure.message)) {
    return 'The server does not speak TLS on that port: use http:// in elasticsearch.url, or the port of its HTTPS interface';
  }
  return "Check that elasticsearch.url names the cluster's HTTP port, and compare the TLS versions and ciphers both sides allow (xpack.security.http.ssl.supported_protocols)";
}

/** How a 401 or 403 reads: which credentials, and what to change. */
export function diagnoseRefusal(
  status: number,
  reason: string,
  action: string,
  facts: ConnectionFacts,
): CodedError | undefined {
  const { url, config } = facts;
  if (status === 401) {
    const [credentials, advice] = config.api_key
      ? [
          'the API key in elasticsearch.api_key',
          'Create a new API key (POST /_security/api_key) with the privileges in docs/agent.md and put its "encoded" value in elasticsearch.api_key, then restart the agent',
        ]
      : config.username
        ? [
            `the password of user "${config.username}"`,
            "Set the user's current password in elasticsearch.password (or SHIPLOG_ELASTICSEARCH_PASSWORD) and restart the agent",
          ]
        : [
            'a request without credentials',
            'The cluster requires them: set elasticsearch.username and elasticsearch.password, or elasticsearch.api_key, and restart the agent',
          ];
    return new CodedError(agentErrors.SINK_ES_AUTH, { url, credentials, advice, detail: reason });
  }
  if (status === 403) {
    const principal = config.api_key
      ? 'the API key in elasticsearch.api_key'
      : config.username
        ? `user "${config.username}"`
        : 'an anonymous request';
    const pattern = `logs-${config.dataset}-${config.namespace}*`;
    return new CodedError(agentErrors.SINK_ES_FORBIDDEN, { url, principal, action, detail: reason, pattern });
  }
  return undefined;
}

function describeFailure(failure: TransportFailure): string {
  const alert = tlsAlert(failure);
  if (alert !== undefined) return `TLS alert ${ALERT_NAMES[alert] ?? alert} from the server`;
  // OpenSSL's "write EPROTO 40..:error:0A00010B:SSL routines:func:reason:file:line:" says only its reason.
  const openssl = /SSL routines:[^:]*:([^:]+)/.exec(failure.message)?.[1];
  if (openssl) return `TLS error: ${openssl}`;
  const message = failure.message.split('\n')[0]?.trim() ?? '';
  return failure.code && !message.includes(failure.code) ? `${failure.code}: ${message}` : message;
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}

/** A node URL for messages: credentials embedded in it are never shown. */
export function displayUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//[REDACTED]@');
}
