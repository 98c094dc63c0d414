// `shiplog-collector`: the vendor side.

import type { CliIO, CommandEntry, CommandModule, Program } from '../../core/cli.ts';
import { runProgram } from '../../core/cli.ts';
import { CodedError } from '../../core/coded-error.ts';
import { toolVersion } from '../../core/version.ts';
import { collectorErrors } from '../errors.ts';

function notBuilt(command: string): () => Promise<CommandModule> {
  return async () => ({
    run: async () => {
      throw new CodedError(collectorErrors.NOT_IMPLEMENTED, { command });
    },
  });
}

const commands: Record<string, CommandEntry> = {
  serve: { summary: 'run the upload portal, API and search UI', load: notBuilt('serve') },
  ingest: { summary: 'verify, unpack and index a bundle file from disk', load: notBuilt('ingest') },
  token: { summary: 'create or revoke an upload or API token', load: notBuilt('token') },
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
