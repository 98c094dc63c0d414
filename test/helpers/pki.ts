// Certificates for TLS tests, made with openssl as an operator would: a
// self-signed CA, and certificates it signs with the extensions asked for.
// Files are written as DIR/NAME.crt and DIR/NAME.key.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const openssl = (...args: string[]): Buffer => execFileSync('openssl', args, { stdio: 'pipe' });

/** A CA valid for two days, subject CN=`name`. */
export function makeCa(dir: string, name: string, subject = `/CN=${name}`): void {
  const path = (file: string) => join(dir, file);
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    subject,
    '-keyout',
    path(`${name}.key`),
    '-out',
    path(`${name}.crt`),
  );
}

/** A key and certificate signing request for `name` (DIR/NAME.key, DIR/NAME.csr). */
export function makeRequest(dir: string, name: string, subject = `/CN=${name}`): void {
  const path = (file: string) => join(dir, file);
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    subject,
    '-keyout',
    path(`${name}.key`),
    '-out',
    path(`${name}.csr`),
  );
}

/** A certificate for `name` signed by the CA `signer` in the same directory, valid for two days. */
export function makeSigned(
  dir: string,
  name: string,
  signer: string,
  options: { extensions: string; subject?: string },
): void {
  const path = (file: string) => join(dir, file);
  makeRequest(dir, name, options.subject);
  writeFileSync(path(`${name}.ext`), `${options.extensions}\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    path(`${name}.csr`),
    '-CA',
    path(`${signer}.crt`),
    '-CAkey',
    path(`${signer}.key`),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    path(`${name}.ext`),
    '-out',
    path(`${name}.crt`),
  );
}
