// The receipt an upload gets: what was handed over (bundle id, SHA-256 and
// size of the exact bytes), when, and to which tenant, signed with the
// collector's own Ed25519 key as an SSH signature (namespace
// shiplog-receipt). The customer keeps it and can later prove what was
// handed over and when with `ssh-keygen -Y verify` alone:
//   printf '%s' "$SIGNED" > receipt.json        # the `signed` text, byte for byte
//   ssh-keygen -Y verify -f collector_allowed_signers -I shiplog-collector \
//     -n shiplog-receipt -s receipt.sig < receipt.json
import { loadOrCreateSigningKey, type SigningKey } from '../agent/bundle/seal/signing-key.ts';

export const receiptNamespace = 'shiplog-receipt';
export const receiptPrincipal = 'shiplog-collector';

export interface ReceiptFields {
  readonly id: string;
  readonly sha256: string;
  readonly size: number;
  readonly received_at: string;
  readonly tenant: string;
}

export interface Receipt extends ReceiptFields {
  /** Fingerprint of the collector key that signed. */
  readonly collector_key: string;
  /** The exact JSON text that was signed. */
  readonly signed: string;
  /** Armored SSH signature over `signed`. */
  readonly signature: string;
}

export class ReceiptSigner {
  readonly #key: SigningKey;

  /** The key lives in <data dir>/keys/bundle-signing (created 0600 on first use). */
  constructor(dataDir: string) {
    this.#key = loadOrCreateSigningKey(dataDir);
  }

  get fingerprint(): string {
    return this.#key.fingerprint;
  }

  /** The allowed_signers line a customer keeps to check receipts. */
  get allowedSigners(): string {
    return `${receiptPrincipal} namespaces="${receiptNamespace}" ${this.#key.publicKeyLine}`;
  }

  sign(fields: ReceiptFields): Receipt {
    const body = {
      type: 'shiplog-receipt',
      version: 1,
      id: fields.id,
      sha256: fields.sha256,
      size: fields.size,
      received_at: fields.received_at,
      tenant: fields.tenant,
      collector_key: this.#key.fingerprint,
    };
    const signed = `${JSON.stringify(body)}\n`;
    const signature = this.#key.sign(Buffer.from(signed), receiptNamespace);
    return { ...fields, collector_key: this.#key.fingerprint, signed, signature };
  }
}
