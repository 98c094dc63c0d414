// What `--signer` names: a bare `SHA256:` fingerprint, an OpenSSH public key
// file, or an allowed_signers file (the vendor's usual keyring, as
// `ssh-keygen -Y verify -f` reads it). A key is trusted for bundles exactly
// when ssh-keygen would trust it: lines whose `namespaces=` leaves out
// shiplog-bundle grant nothing, `valid-after=` and `valid-before=` bound when
// the key may sign, and a `cert-authority` line trusts certificates that CA
// signs, never the CA's own key (bundles carry plain keys, so such a line
// grants nothing here). An option ssh-keygen does not know is an error, as
// it is for ssh-keygen, rather than a line half understood.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { printable } from './printable.ts';
import { BundleProblem } from './problems.ts';
import { fingerprint, keyType, rawFromBlob, signatureNamespace } from './ssh-public-key.ts';

export interface TrustedSigners {
  /** As given on the command line, for messages. */
  readonly label: string;
  /** Why `key` may not sign bundles at `now`, or undefined when it may. */
  refuse(key: Buffer, now: Date): string | undefined;
}

interface TrustedKey {
  readonly fingerprint: string;
  readonly validAfter?: Date;
  readonly validBefore?: Date;
}

const fingerprintPattern = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** `signer` is a fingerprint, or a path resolved against `cwd`. Throws BundleProblem('signer-invalid'). */
export function loadTrustedSigners(signer: string, cwd = process.cwd()): TrustedSigners {
  if (fingerprintPattern.test(signer)) return trustedFrom(signer, [{ fingerprint: signer }]);
  const invalid = (detail: string) => new BundleProblem('signer-invalid', detail, { signer });
  if (signer.startsWith('SHA256:')) {
    throw invalid(
      'it looks like a fingerprint but is not one (SHA256: and 43 base64 characters, as ssh-keygen -l prints)',
    );
  }
  let text: string;
  try {
    text = readFileSync(resolve(cwd, signer), 'utf8');
  } catch (error) {
    throw invalid(`cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let keys: TrustedKey[];
  try {
    keys = parseAllowedSigners(text);
  } catch (error) {
    throw invalid((error as Error).message);
  }
  if (keys.length === 0) {
    throw invalid(`it holds no ${keyType} key allowed to sign for the ${signatureNamespace} namespace`);
  }
  return trustedFrom(signer, keys);
}

function trustedFrom(label: string, keys: readonly TrustedKey[]): TrustedSigners {
  return {
    label,
    refuse(key, now) {
      const signedBy = fingerprint(key);
      const lines = keys.filter((k) => k.fingerprint === signedBy);
      if (lines.length === 0) return `is not a trusted key in ${printable(label)}`;
      if (lines.some((k) => within(k, now))) return undefined;
      const line = lines[0] as TrustedKey;
      if (line.validBefore && now >= line.validBefore) {
        return `expired on ${line.validBefore.toISOString()} (valid-before in ${printable(label)})`;
      }
      return `is not valid before ${line.validAfter?.toISOString()} (valid-after in ${printable(label)})`;
    },
  };
}

function within(key: TrustedKey, now: Date): boolean {
  return (!key.validAfter || now >= key.validAfter) && (!key.validBefore || now < key.validBefore);
}

/**
 * Ed25519 keys trusted for bundle signatures in a public key file or an
 * allowed_signers file. Other key types are skipped; malformed lines and
 * unknown options throw, naming the line.
 */
export function parseAllowedSigners(text: string): TrustedKey[] {
  const keys: TrustedKey[] = [];
  for (const [index, rawLine] of text.split('\n').entries()) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `line ${index + 1}`;
    const fields = splitFields(line, where);
    // A public key file line starts with the key type; an allowed_signers line with principals, then options.
    let at = fields.findIndex((field) => /^(ssh-|ecdsa-|sk-)/.test(field));
    if (at < 0) throw new Error(`${where} holds no public key`);
    if (at > 2) throw new Error(`${where} has more than principals and options before its key`);
    const options = at === 2 ? parseOptions(fields[1] as string, where) : new Map<string, string | true>();
    if (at === 1 && fields[0]?.includes('=')) {
      // `namespaces="x" ssh-ed25519 ...` with no principal: the options stand where principals go.
      throw new Error(`${where} has options but no principals`);
    }
    const type = fields[at] as string;
    const encoded = fields[++at];
    if (type !== keyType) continue;
    if (encoded === undefined) throw new Error(`${where} has no key after ${keyType}`);
    let raw: Buffer;
    try {
      raw = rawFromBlob(Buffer.from(encoded, 'base64'));
    } catch (error) {
      throw new Error(`${where}: ${(error as Error).message}`);
    }
    if (options.has('cert-authority')) continue;
    const namespaces = options.get('namespaces');
    if (typeof namespaces === 'string' && !namespaces.split(',').includes(signatureNamespace)) continue;
    const validAfter = options.get('valid-after');
    const validBefore = options.get('valid-before');
    keys.push({
      fingerprint: fingerprint(raw),
      ...(typeof validAfter === 'string' && { validAfter: parseSshTime(validAfter, where) }),
      ...(typeof validBefore === 'string' && { validBefore: parseSshTime(validBefore, where) }),
    });
  }
  return keys;
}

/** Whitespace-separated fields, where double quotes keep spaces inside one field. */
function splitFields(line: string, where: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (const char of line) {
    if (char === '"') quoted = !quoted;
    if (!quoted && (char === ' ' || char === '\t')) {
      if (field) fields.push(field);
      field = '';
      continue;
    }
    field += char;
  }
  if (quoted) throw new Error(`${where} has an unterminated quote`);
  if (field) fields.push(field);
  return fields;
}

const knownOptions = new Set(['cert-authority', 'namespaces', 'valid-after', 'valid-before']);

/** `name[="value"]` options separated by commas outside quotes. */
function parseOptions(text: string, where: string): Map<string, string | true> {
  const options = new Map<string, string | true>();
  for (const option of text.match(/(?:[^,"]|"[^"]*")+/g) ?? []) {
    const equals = option.indexOf('=');
    const name = (equals < 0 ? option : option.slice(0, equals)).toLowerCase();
    if (!knownOptions.has(name))
      throw new Error(`${where} has the option "${printable(name, 40)}", which ssh-keygen does not know`);
    if (options.has(name)) throw new Error(`${where} gives ${name} twice`);
    if (name === 'cert-authority') {
      if (equals >= 0) throw new Error(`${where}: cert-authority takes no value`);
      options.set(name, true);
      continue;
    }
    const value = equals < 0 ? '' : option.slice(equals + 1);
    const unquoted = /^"([^"]*)"$/.exec(value)?.[1] ?? value;
    if (unquoted === '' || unquoted.includes('"')) throw new Error(`${where}: ${name} needs a value`);
    options.set(name, unquoted);
  }
  return options;
}

/** ssh-keygen's YYYYMMDD[HHMM[SS]] times: UTC with a trailing Z, else the local time zone. */
function parseSshTime(text: string, where: string): Date {
  const match = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?(Z?)$/i.exec(text);
  if (!match)
    throw new Error(`${where}: "${printable(text, 40)}" is not a time ssh-keygen reads (YYYYMMDD[HHMM[SS]][Z])`);
  const [, y, mo, d, h = '0', mi = '0', s = '0', z] = match;
  const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
  const date = z ? new Date(Date.UTC(...parts)) : new Date(...parts);
  if (Number.isNaN(date.getTime()) || date.getUTCMonth() !== (z ? parts[1] : date.getUTCMonth())) {
    throw new Error(`${where}: "${printable(text, 40)}" is not a valid date`);
  }
  return date;
}
