// What `--signer` names: a bare `SHA256:` fingerprint, an OpenSSH public key
// file, or an allowed_signers file (the vendor's usual keyring). A line of an
// allowed_signers file trusts its key for bundles exactly when
// `ssh-keygen -Y verify -f FILE -I shiplog -n shiplog-bundle` would: its
// principals must match `shiplog` and its `namespaces=` must match
// shiplog-bundle (both pattern-lists, as ssh-keygen matches them),
// `valid-after=` and `valid-before=` bound when the key may sign (ssh-keygen's
// times: YYYYMMDD[HHMM[SS]], UTC with a Z or UTC suffix, else local standard
// time), and a `cert-authority` line trusts certificates that CA signs, never
// the CA's own key (bundles carry plain keys, so such a line grants nothing
// here). Where ssh-keygen skips a malformed line (an unknown option, a bad
// time, an unquoted value), the whole file is refused here, naming the line,
// rather than a line half understood. A line that starts with the key type
// is a public key file's line and trusts its key without conditions.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllowedSigners, type TrustedKey } from './allowed-signers.ts';
import { printable } from './printable.ts';
import { BundleProblem } from './problems.ts';
import { fingerprint, keyType, signatureNamespace, signerPrincipal } from './ssh-public-key.ts';

export interface TrustedSigners {
  /** As given on the command line, for messages. */
  readonly label: string;
  /** Why `key` may not sign bundles at `now`, or undefined when it may. */
  refuse(key: Buffer, now: Date): string | undefined;
}

const fingerprintPattern = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** `signer` is a fingerprint, or a path resolved against `cwd`. Throws BundleProblem('signer-invalid'). */
export function loadTrustedSigners(signer: string, cwd = process.cwd()): TrustedSigners {
  if (fingerprintPattern.test(signer)) return trustedFrom(signer, [{ fingerprint: signer, line: 0 }]);
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
  if (!keys.some((key) => key.excluded === undefined)) {
    const why = keys[0] ? ` (line ${keys[0].line}: ${keys[0].excluded})` : '';
    throw invalid(
      `it holds no ${keyType} key allowed to sign for principal ${signerPrincipal} in the ${signatureNamespace} namespace${why}`,
    );
  }
  return trustedFrom(signer, keys);
}

function trustedFrom(label: string, keys: readonly TrustedKey[]): TrustedSigners {
  const source = printable(label);
  return {
    label,
    refuse(key, now) {
      const signedBy = fingerprint(key);
      const lines = keys.filter((k) => k.fingerprint === signedBy);
      if (lines.length === 0) return fingerprintPattern.test(label) ? `is not ${source}` : `is not in ${source}`;
      const usable = lines.filter((k) => k.excluded === undefined);
      const first = usable[0];
      if (!first) {
        const { line, excluded } = lines[0] as TrustedKey;
        return `is in ${source} but not trusted for bundles there (line ${line}: ${excluded})`;
      }
      // ssh-keygen checks validity in whole seconds, and a key is still valid at its valid-before time.
      const at = Math.floor(now.getTime() / 1000) * 1000;
      if (usable.some((k) => within(k, at))) return undefined;
      if (first.validBefore && at > first.validBefore.getTime()) {
        return `expired on ${isoSeconds(first.validBefore)} (valid-before on line ${first.line} of ${source})`;
      }
      return `is not valid until ${isoSeconds(first.validAfter as Date)} (valid-after on line ${first.line} of ${source})`;
    },
  };
}

function within(key: TrustedKey, at: number): boolean {
  return (!key.validAfter || at >= key.validAfter.getTime()) && (!key.validBefore || at <= key.validBefore.getTime());
}

const isoSeconds = (date: Date) => date.toISOString().replace('.000Z', 'Z');
