// `shiplog keys [--json] [--config FILE]`: shows this host's bundle-signing
// key (creating it on first use), so on-site IT can give the vendor its
// fingerprint and allowed_signers line before the first bundle is sent.
import { parseArgs } from 'node:util';
import type { CliIO } from '../../../core/cli.ts';
import { loadOrCreateSigningKey } from '../../bundle/seal/signing-key.ts';
import { loadAgentConfig } from '../../config.ts';
import { prepareDataDir } from '../../data-dir.ts';

const usage = `Usage: shiplog keys [--json] [--config FILE]

Shows this host's bundle-signing key: its fingerprint, its public key, and
the allowed_signers line the vendor keeps to check this host's bundles with
"ssh-keygen -Y verify". The key is created on first use in the data directory.

  --json         print the key details as JSON
  --config FILE  the agent configuration (for data_dir)
`;

export async function run(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { json: { type: 'boolean' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  const config = loadAgentConfig(values.config, io.env);
  const key = loadOrCreateSigningKey(prepareDataDir(io.env, config.data_dir));
  if (values.json) {
    const json = {
      fingerprint: key.fingerprint,
      public_key: key.publicKeyLine,
      allowed_signers: key.allowedSigners,
      path: key.path,
      created: key.created,
    };
    io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return 0;
  }
  io.stdout.write(
    [
      `${key.created ? 'Created this' : 'This'} host's bundle-signing key (Ed25519, ${key.path}):`,
      `  fingerprint  ${key.fingerprint}`,
      `  public key   ${key.publicKeyLine}`,
      '',
      'The vendor keeps this line in an allowed_signers file to check the bundles from this host:',
      `  ${key.allowedSigners}`,
      '',
    ].join('\n'),
  );
  return 0;
}
