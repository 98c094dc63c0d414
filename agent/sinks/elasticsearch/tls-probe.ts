// One HTTPS request to the cluster, outside the Elasticsearch client, to
// learn what the TLS layer says. The client reports every handshake failure
// after the fact as "other side closed" or a bare message; Node's own error
// carries the code (SELF_SIGNED_CERT_IN_CHAIN, ERR_TLS_CERT_ALTNAME_INVALID)
// or the server's alert (certificate_required, certificate_unknown), which
// is what tells an operator which setting to fix. With TLS 1.3 the server
// judges the client certificate only after the client thinks the handshake
// is done, so the probe sends a request and waits for an answer: any HTTP
// status means TLS is fine. It also returns the certificates the server
// presented, for `tls.ca_fingerprint`.
import { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';

export interface ProbeOptions {
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface TransportFailure {
  code?: string;
  message: string;
}

export type ProbeResult = { ok: true; chain: X509Certificate[] } | { ok: false; error: TransportFailure };

export function probeTls(url: string, options: ProbeOptions): Promise<ProbeResult> {
  const signals = [AbortSignal.timeout(options.timeoutMs ?? 10_000), ...(options.signal ? [options.signal] : [])];
  return new Promise((resolve) => {
    let chain: X509Certificate[] = [];
    const req = request(
      new URL('/', url),
      {
        method: 'GET',
        agent: false,
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        rejectUnauthorized: options.rejectUnauthorized,
        signal: AbortSignal.any(signals),
      },
      (res) => {
        res.resume();
        resolve({ ok: true, chain });
      },
    );
    req.on('socket', (socket) => {
      socket.once('secureConnect', () => {
        chain = peerChain(socket as TLSSocket);
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      resolve({ ok: false, error: { code: error.code, message: error.message } });
    });
    req.end();
  });
}

/** The server's certificates, leaf first, as it presented them (and as far as they link up). */
function peerChain(socket: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<string>();
  while (cert?.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(new X509Certificate(cert.raw));
    cert = cert.issuerCertificate;
  }
  return chain;
}

/** Fingerprints compare as hex, with or without colons, in any case. */
export function sameFingerprint(a: string, b: string): boolean {
  const norm = (value: string) => value.replaceAll(':', '').toLowerCase();
  return norm(a) === norm(b);
}
