// Certificates for the Elasticsearch TLS tests, made with openssl as an
// operator would: a CA the cluster does not know, a client certificate that
// CA signed, and an expired client certificate signed by the cluster's own CA
// (`openssl ca` sets any start and end date; `openssl x509 -days` cannot go
// back in time).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCa, makeRequest, makeSigned, openssl } from './pki.ts';
import { tempDir } from './temp.ts';

export interface ExtraCertificates {
  /** A CA that signed neither the cluster nor its trusted clients. */
  otherCa: string;
  /** A client certificate and key signed by otherCa: the cluster does not trust it. */
  strangerCert: string;
  strangerKey: string;
  /** A client certificate and key signed by the cluster's CA that expired on 2020-01-02. */
  expiredCert: string;
  expiredKey: string;
}

export function makeExtraCertificates(clusterCa: string, clusterCaKey: string): ExtraCertificates {
  const dir = tempDir('shiplog-es-certs-');
  const path = (name: string) => join(dir, name);
  writeFileSync(path('client.ext'), 'extendedKeyUsage=clientAuth\n');
  makeCa(dir, 'other-ca', '/CN=some other CA');
  makeSigned(dir, 'stranger', 'other-ca', { extensions: 'extendedKeyUsage=clientAuth' });

  makeRequest(dir, 'expired', '/CN=expired client');
  writeFileSync(
    path('ca.cnf'),
    [
      '[ca]',
      'default_ca = test',
      '[test]',
      `database = ${path('index.txt')}`,
      `new_certs_dir = ${dir}`,
      `serial = ${path('serial')}`,
      'default_md = sha256',
      'policy = any',
      '[any]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  writeFileSync(path('index.txt'), '');
  writeFileSync(path('serial'), '01\n');
  openssl(
    'ca',
    '-batch',
    '-config',
    path('ca.cnf'),
    '-cert',
    clusterCa,
    '-keyfile',
    clusterCaKey,
    '-in',
    path('expired.csr'),
    '-out',
    path('expired.crt'),
    '-startdate',
    '20200101000000Z',
    '-enddate',
    '20200102000000Z',
    '-notext',
    '-extfile',
    path('client.ext'),
  );
  return {
    otherCa: path('other-ca.crt'),
    strangerCert: path('stranger.crt'),
    strangerKey: path('stranger.key'),
    expiredCert: path('expired.crt'),
    expiredKey: path('expired.key'),
  };
}
