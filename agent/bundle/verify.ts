// The agent's side of reading a bundle: the shared reader (bundle/verify.ts)
// does the work; this maps each kind of problem to the agent's error codes.
import { type BundleProblem, type BundleProblemKind, isBundleProblem } from '../../bundle/problems.ts';
import { loadTrustedSigners, type TrustedSigners } from '../../bundle/trust.ts';
import { type ReadOptions, readBundle, type VerifiedBundle } from '../../bundle/verify.ts';
import { CodedError, type ErrorSpec } from '../../core/coded-error.ts';
import { agentErrors } from '../errors.ts';

export type { VerifiedBundle };

const codes: Record<BundleProblemKind, ErrorSpec> = {
  unreadable: agentErrors.BUNDLE_UNREADABLE,
  'not-a-bundle': agentErrors.BUNDLE_NOT_A_BUNDLE,
  decrypt: agentErrors.BUNDLE_DECRYPT,
  truncated: agentErrors.BUNDLE_TRUNCATED,
  'unsafe-entry': agentErrors.BUNDLE_UNSAFE_ENTRY,
  'manifest-invalid': agentErrors.BUNDLE_MANIFEST_INVALID,
  unsigned: agentErrors.BUNDLE_UNSIGNED,
  'bad-signature': agentErrors.BUNDLE_BAD_SIGNATURE,
  'wrong-signer': agentErrors.BUNDLE_WRONG_SIGNER,
  'signer-invalid': agentErrors.BUNDLE_SIGNER_INVALID,
  tampered: agentErrors.BUNDLE_TAMPERED,
  limit: agentErrors.BUNDLE_LIMIT,
};

/** A BundleProblem as the agent's CodedError (messages name `path`). */
export function bundleError(problem: BundleProblem, path: string): CodedError {
  return new CodedError(
    codes[problem.kind],
    { path, detail: problem.detail, entry: '(unknown)', ...problem.facts },
    { cause: problem },
  );
}

/** Checks a bundle; throws the agent's BUNDLE_* CodedError on the first problem. */
export async function verifyBundle(path: string, options: ReadOptions = {}): Promise<VerifiedBundle> {
  try {
    return await readBundle(path, options);
  } catch (error) {
    throw isBundleProblem(error) ? bundleError(error, path) : error;
  }
}

/** `--signer`: a fingerprint, or a key or allowed_signers file relative to `cwd`. */
export function trustedSigners(signer: string, cwd: string): TrustedSigners {
  try {
    return loadTrustedSigners(signer, cwd);
  } catch (error) {
    throw isBundleProblem(error) ? bundleError(error, signer) : error;
  }
}
