// Which error an operator gets for each way the TLS layer or the cluster can
// refuse the sink. The failures in the table are what Node reported against
// the real security-on Elasticsearch 8.19 (TLS 1.3 and 1.2); the integration
// test security.test.ts meets the same cases for real.
import { describe, expect, it } from 'vitest';
import {
  type ConnectionFacts,
  certificateValidity,
  diagnoseRefusal,
  diagnoseTls,
  tlsAlert,
} from '../../../../../agent/sinks/elasticsearch/diagnosis.ts';

const url = 'https://es.bank.internal:9200';
const now = new Date('2026-11-25T03:00:00Z');
const valid = { validFrom: 'Jan  1 00:00:00 2026 GMT', validTo: 'Jan  1 00:00:00 2028 GMT', issuer: 'CN=Bank CA' };
const expired = { validFrom: 'Jan  1 00:00:00 2020 GMT', validTo: 'Jan  2 00:00:00 2020 GMT', issuer: 'CN=Bank CA' };

function facts(tls: ConnectionFacts['config']['tls'], clientCert?: ConnectionFacts['clientCert']): ConnectionFacts {
  return { url, config: { tls, username: 'shiplog', dataset: 'shiplog', namespace: 'default' }, clientCert };
}

const withCert = facts({ ca: '/etc/shiplog/ca.pem', cert: '/etc/shiplog/client.pem', key: '/k', verify: true }, valid);
const withExpired = facts(
  { ca: '/etc/shiplog/ca.pem', cert: '/etc/shiplog/old.pem', key: '/k', verify: true },
  expired,
);
const noCert = facts({ ca: '/etc/shiplog/ca.pem', verify: true });

const alert = (n: number, text: string) => ({
  code: n === 116 ? 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' : 'ERR_SSL_SSL/TLS_ALERT_CERTIFICATE_UNKNOWN',
  message: `40AD81CA1C7F0000:error:0A000416:SSL routines:ssl3_read_bytes:${text}:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:918:SSL alert number ${n}\n`,
});

describe('TLS failures, each with the code that names what to fix', () => {
  it.each([
    [
      'a CA file that did not sign the server',
      { code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self-signed certificate in certificate chain' },
      withCert,
      'SHIPLOG_ERR_SINK_ES_TLS_UNTRUSTED',
      'elasticsearch.tls.ca (/etc/shiplog/ca.pem)',
    ],
    [
      'no CA file, a private CA',
      { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', message: 'unable to verify the first certificate' },
      facts(undefined),
      'SHIPLOG_ERR_SINK_ES_TLS_UNTRUSTED',
      'elasticsearch.tls.ca is not set',
    ],
    [
      "the cluster's own certificate expired",
      { code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' },
      withCert,
      'SHIPLOG_ERR_SINK_ES_TLS_UNTRUSTED',
      'renew it on the cluster',
    ],
    [
      'a URL host the certificate does not name',
      { code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: "Hostname/IP does not match certificate's altnames" },
      withCert,
      'SHIPLOG_ERR_SINK_ES_TLS_HOSTNAME',
      'not issued for es.bank.internal',
    ],
    [
      'no client certificate, TLS 1.3 (certificate_required)',
      alert(116, 'tlsv13 alert certificate required'),
      noCert,
      'SHIPLOG_ERR_SINK_ES_TLS_CLIENT_CERT_MISSING',
      'TLS alert certificate_required from the server',
    ],
    [
      'no client certificate, TLS 1.2 (handshake_failure)',
      {
        code: 'EPROTO',
        message:
          'write EPROTO 40CD:error:0A000410:SSL routines:ssl3_read_bytes:ssl/tls alert handshake failure:../rec_layer_s3.c:918:SSL alert number 40\n',
      },
      noCert,
      'SHIPLOG_ERR_SINK_ES_TLS_CLIENT_CERT_MISSING',
      'elasticsearch.tls.cert and elasticsearch.tls.key',
    ],
    [
      'an expired client certificate (Java answers certificate_unknown)',
      alert(46, 'ssl/tls alert certificate unknown'),
      withExpired,
      'SHIPLOG_ERR_SINK_ES_TLS_CLIENT_CERT_EXPIRED',
      'the client certificate /etc/shiplog/old.pem (elasticsearch.tls.cert): it expired on 2020-01-02T00:00:00.000Z',
    ],
    [
      'a server that says certificate_expired of a certificate our clock calls valid',
      alert(45, 'sslv3 alert certificate expired'),
      withCert,
      'SHIPLOG_ERR_SINK_ES_TLS_CLIENT_CERT_EXPIRED',
      'check both clocks',
    ],
    [
      'a client certificate within its dates from a CA the cluster does not trust',
      alert(46, 'ssl/tls alert certificate unknown'),
      withCert,
      'SHIPLOG_ERR_SINK_ES_TLS_CLIENT_CERT_REFUSED',
      'issued by CN=Bank CA',
    ],
    [
      'https:// to a plain HTTP port',
      {
        code: 'EPROTO',
        message:
          'write EPROTO 400D:error:0A00010B:SSL routines:tls_validate_record_header:wrong version number:../tlsany_meth.c:77:',
      },
      withCert,
      'SHIPLOG_ERR_SINK_ES_TLS_HANDSHAKE',
      'TLS error: wrong version number). The server does not speak TLS on that port',
    ],
  ] as const)('%s', (_, failure, given, code, says) => {
    const error = diagnoseTls(failure, given, now);
    expect(error?.code).toBe(code);
    expect(error?.message).toContain(says);
    expect(error?.permanent).toBe(false);
  });

  it('leaves failures that are not about TLS to "did not answer"', () => {
    expect(diagnoseTls({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9200' }, withCert)).toBe(
      undefined,
    );
    expect(diagnoseTls({ code: 'ETIMEDOUT', message: 'timed out' }, withCert)).toBe(undefined);
  });

  it('reads the alert number from the message, or from the code where OpenSSL gives none', () => {
    expect(tlsAlert(alert(46, 'x'))).toBe(46);
    expect(tlsAlert({ code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', message: 'x' })).toBe(116);
    expect(tlsAlert({ message: 'socket hang up' })).toBe(undefined);
  });

  it('tells expired and not-yet-valid certificates by their dates', () => {
    expect(certificateValidity(expired, now)).toBe('expired on 2020-01-02T00:00:00.000Z');
    expect(
      certificateValidity({ validFrom: 'Jan  1 00:00:00 2027 GMT', validTo: 'Jan  1 00:00:00 2028 GMT' }, now),
    ).toMatch(/^is valid only from 2027-01-01T00:00:00.000Z/);
    expect(certificateValidity(valid, now)).toBe(undefined);
  });
});

describe('refusals by the cluster', () => {
  const reason = 'security_exception: unable to authenticate user [shiplog] for REST request [/_bulk]';

  it('a wrong password names the user and the setting', () => {
    const error = diagnoseRefusal(401, reason, 'write the events', withCert);
    expect(error?.code).toBe('SHIPLOG_ERR_SINK_ES_AUTH');
    expect(error?.message).toContain('refused the password of user "shiplog"');
    expect(error?.message).toContain('elasticsearch.password (or SHIPLOG_ELASTICSEARCH_PASSWORD)');
  });

  it('a refused API key names elasticsearch.api_key', () => {
    const given = { url, config: { api_key: 'secret', dataset: 'shiplog', namespace: 'default' } };
    expect(diagnoseRefusal(401, reason, 'x', given)?.message).toContain('the API key in elasticsearch.api_key');
  });

  it('no credentials says which settings the cluster wants', () => {
    const given = { url, config: { dataset: 'shiplog', namespace: 'default' } };
    expect(diagnoseRefusal(401, reason, 'x', given)?.message).toContain(
      'set elasticsearch.username and elasticsearch.password, or elasticsearch.api_key',
    );
  });

  it('a missing privilege names the user, the action and the roles to grant', () => {
    const error = diagnoseRefusal(
      403,
      'security_exception: action [indices:data/write/bulk[s]] is unauthorized',
      'write the events',
      withCert,
    );
    expect(error?.code).toBe('SHIPLOG_ERR_SINK_ES_FORBIDDEN');
    expect(error?.message).toContain('does not allow user "shiplog" to write the events');
    expect(error?.message).toContain('create_doc and auto_configure on logs-shiplog-default*');
  });

  it('leaves other statuses alone', () => {
    expect(diagnoseRefusal(500, 'x', 'x', withCert)).toBe(undefined);
  });
});
