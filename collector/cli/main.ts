// `shiplog-collector`: the vendor side.

import type { CliIO, CommandEntry, Program } from '../../core/cli.ts';
import { runProgram } from '../../core/cli.ts';
import { CodedError } from '../../core/coded-error.ts';
import { toolVersion } from '../../core/version.ts';
import { collectorErrors } from '../errors.ts';

const commands: Record<string, CommandEntry> = {
  serve: { summary: 'run the upload portal, API and search UI', load: () => import('./commands/serve.ts') },
  ingest: { summary: 'verify, unpack and index bundle files from disk', load: () => import('./commands/ingest.ts') },
  token: {
    summary: 'create, list or revoke upload, API and staff tokens',
    load: () => import('./commands/token.ts'),
  },
  tenant: { summary: 'create or list tenants (customers)', load: () => import('./commands/tenant.ts') },
  bundles: { summary: 'list, show or delete stored bundles', load: () => import('./commands/bundles.ts') },
  reindex: {
    summary: 'write stored bundles into the configured index again (e.g. after moving to Elasticsearch)',
    load: () => import('./commands/reindex.ts'),
  },
};

export const program: Program = {
  name: 'shiplog-collector',
  description: "the vendor's portal for shiplog support bundles",
  version: toolVersion,
  commands,
  usageError: (detail) => new CodedError(collectorErrors.USAGE, { detail }),
};

export function main(argv: string[], io: CliIO): Promise<number> {
  return runProgram(program, argv, io);
}
