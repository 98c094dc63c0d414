// What `--signer` names: an OpenSSH public key file, an allowed_signers file
// (the vendor's usual keyring), or a bare `SHA256:` fingerprint.
import { readFileSync } from 'node:fs';
import { CodedError } from '../../../core/coded-error.ts';
import { agentErrors } from '../../errors.ts';
import { fingerprint, parseTrustedKeys } from '../seal/ssh-public-key.ts';

export interface TrustedSigners {
  /** As given on the command line, for messages. */
  readonly label: string;
  readonly fingerprints: ReadonlySet<string>;
}

export function loadTrustedSigners(signer: string): TrustedSigners {
  if (/^SHA256:[A-Za-z0-9+/]{43}$/.test(signer)) return { label: signer, fingerprints: new Set([signer]) };
  let text: string;
  try {
    text = readFileSync(signer, 'utf8');
  } catch (error) {
    throw new CodedError(agentErrors.BUNDLE_SIGNER_INVALID, {
      signer,
      detail: `cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    });
  }
  let keys: Buffer[];
  try {
    keys = parseTrustedKeys(text);
  } catch (error) {
    throw new CodedError(agentErrors.BUNDLE_SIGNER_INVALID, { signer, detail: (error as Error).message });
  }
  if (keys.length === 0) {
    throw new CodedError(agentErrors.BUNDLE_SIGNER_INVALID, {
      signer,
      detail: 'it holds no ssh-ed25519 key allowed for the shiplog-bundle namespace',
    });
  }
  return { label: signer, fingerprints: new Set(keys.map((key) => fingerprint(key))) };
}
