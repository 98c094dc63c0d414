// `shiplog verify BUNDLE [--identity KEY_FILE] [--signer KEYS] [--json]`:
// checks a support bundle and says in plain words whether it can be trusted.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { printable, terminalSafe, terminalSafeJson } from '../../../bundle/printable.ts';
import type { CliIO } from '../../../core/cli.ts';
import { CodedError, isCodedError } from '../../../core/coded-error.ts';
import { trustedSigners, type VerifiedBundle, verifyBundle } from '../../bundle/verify.ts';
import { agentErrors } from '../../errors.ts';

const usage = `Usage: shiplog verify BUNDLE [--identity KEY_FILE] [--signer KEYS] [--json]

Checks that a support bundle is complete, unchanged since it was built, and
signed: every file against the signed manifest, SHA256SUMS, and the SSH
signature of manifest.json. Exits 0 only when all of it holds.

  --identity KEY_FILE  age identity file, for an encrypted bundle
  --signer KEYS        the key the bundle must be signed by: an OpenSSH public
                       key file, an allowed_signers file, or a SHA256: fingerprint
  --json               print the result as JSON
`;

export async function run(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      identity: { type: 'string', multiple: true },
      signer: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] === undefined) {
    throw new CodedError(agentErrors.USAGE, { detail: 'shiplog verify takes exactly one bundle path' });
  }
  const path = resolve(io.cwd, positionals[0]);
  const trusted = values.signer === undefined ? undefined : trustedSigners(values.signer, io.cwd);
  const identities = (values.identity ?? []).map((file) => readIdentity(resolve(io.cwd, file)));
  let result: VerifiedBundle;
  try {
    result = await verifyBundle(path, { identities, trusted });
  } catch (error) {
    if (!isCodedError(error) || !error.code.startsWith('SHIPLOG_ERR_BUNDLE_')) throw error;
    if (values.json)
      io.stdout.write(`${terminalSafeJson({ ok: false, path, code: error.code, message: error.message }, 2)}\n`);
    else io.stdout.write(`NOT OK  ${printable(path)}\n  ${terminalSafe(error.message, 2000)}\n  [${error.code}]\n`);
    return 1;
  }
  io.stdout.write(values.json ? `${terminalSafeJson(jsonResult(result), 2)}\n` : renderVerdict(result));
  return 0;
}

function readIdentity(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new CodedError(agentErrors.BUNDLE_DECRYPT, {
      path: file,
      detail: `the identity file cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    });
  }
}

/** Every value the bundle controls goes through printable(): a bundle cannot write to the terminal. */
export function renderVerdict(result: VerifiedBundle): string {
  const { manifest } = result;
  const p = (text: string) => printable(text);
  const signer = result.signer.trusted
    ? `signed by ${result.signer.fingerprint}, a trusted key`
    : `signed by ${result.signer.fingerprint}; that key was NOT checked against a trusted key (pass --signer to check it)`;
  return [
    `OK  ${p(result.path)}`,
    `  ${result.files} files, ${result.bytes} bytes, all match the signed manifest and SHA256SUMS`,
    `  ${signer}`,
    `  host ${p(manifest.host.name)}, built ${p(manifest.created_at)} by shiplog ${p(manifest.tool.version)}, window ${p(manifest.window.since)} to ${p(manifest.window.until)}`,
    `  ${result.encrypted ? 'age-encrypted, ' : ''}${result.compression}`,
    '',
  ].join('\n');
}

function jsonResult(result: VerifiedBundle) {
  return {
    ok: true,
    path: result.path,
    encrypted: result.encrypted,
    compression: result.compression,
    signer: result.signer,
    files: result.files,
    bytes: result.bytes,
    host: result.manifest.host.name,
    created_at: result.manifest.created_at,
    window: result.manifest.window,
  };
}
