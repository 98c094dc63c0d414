// What can be wrong with a bundle, by kind. The shared bundle code throws
// BundleProblem and nothing else for a problem of the bundle itself; each
// side maps the kind to its own error registry (agent/bundle/verify.ts,
// the collector's ingest). Details may quote what the bundle holds, so every
// such quote goes through printable() first.

export type BundleProblemKind =
  /** The file cannot be read at all (missing, permissions, not a regular file). */
  | 'unreadable'
  /** Not gzip, zstd or age: not a bundle. */
  | 'not-a-bundle'
  /** Encrypted, and no identity opens it (or the identity is unusable). */
  | 'decrypt'
  /** Cut short: the compressed data or the tar ends too early. */
  | 'truncated'
  /** An entry a shiplog bundle never has (type, name, header dialect). */
  | 'unsafe-entry'
  /** manifest.json missing, not JSON, or not the manifest schema. */
  | 'manifest-invalid'
  /** manifest.json.sig or signing-key.pub missing. */
  | 'unsigned'
  /** The signature does not hold over manifest.json. */
  | 'bad-signature'
  /** Signed, but not by a trusted key. */
  | 'wrong-signer'
  /** The trusted-key list itself is unusable. */
  | 'signer-invalid'
  /** Content differs from what the manifest and SHA256SUMS say. */
  | 'tampered'
  /** Reading it would cost more than any real bundle does (sizes, ratios, counts). */
  | 'limit';

export interface BundleProblemFacts {
  /** The entry concerned, already made printable. */
  readonly entry?: string;
  /** The signer's key fingerprint (wrong-signer). */
  readonly fingerprint?: string;
  /** The trusted-key source as given (wrong-signer, signer-invalid). */
  readonly signer?: string;
}

export class BundleProblem extends Error {
  readonly kind: BundleProblemKind;
  readonly detail: string;
  readonly facts: BundleProblemFacts;
  constructor(kind: BundleProblemKind, detail: string, facts: BundleProblemFacts = {}, options?: { cause?: unknown }) {
    super(detail, options);
    this.name = 'BundleProblem';
    this.kind = kind;
    this.detail = detail;
    this.facts = facts;
  }
}

export function isBundleProblem(value: unknown): value is BundleProblem {
  return value instanceof BundleProblem;
}
