// `shiplog`: the host side. Commands load lazily so `--help` stays instant.

import { type CliIO, type CommandEntry, type Program, runProgram } from '../../core/cli.ts';
import { CodedError } from '../../core/coded-error.ts';
import { toolVersion } from '../../core/version.ts';
import { agentErrors } from '../errors.ts';

const commands: Record<string, CommandEntry> = {
  agent: {
    summary: 'run the host agent: tail containers and syslog, ship or spool',
    load: () => import('./commands/agent.ts'),
  },
  dump: { summary: 'build a redacted, signed support bundle for the vendor', load: () => import('./commands/dump.ts') },
  upload: {
    summary: "send a support bundle to the vendor's portal, resumably",
    load: () => import('./commands/upload.ts'),
  },
  verify: {
    summary: "check a support bundle's checksums and signature",
    load: () => import('./commands/verify.ts'),
  },
  redact: {
    summary: 'redact log text from stdin to stdout with the bundle rules',
    load: () => import('./commands/redact.ts'),
  },
  status: {
    summary: "show a running agent's sources, spool and sink health",
    load: () => import('./commands/status.ts'),
  },
  ship: {
    summary: 'read log files to their end into the configured sink, then exit',
    load: () => import('./commands/ship.ts'),
  },
  keys: {
    summary: "show this host's bundle-signing key fingerprint",
    load: () => import('./commands/keys.ts'),
  },
};

export const program: Program = {
  name: 'shiplog',
  description: 'logs and support bundles for on-premises container hosts',
  version: toolVersion,
  commands,
  usageError: (detail) => new CodedError(agentErrors.USAGE, { detail }),
};

export function main(argv: string[], io: CliIO): Promise<number> {
  return runProgram(program, argv, io);
}
