// `shiplog redact`: log text on stdin, the same text redacted on stdout, line
// for line, with the rules a support bundle uses. `--scan` changes nothing and
// lists what would be redacted instead (exit 3 when anything would be).
import { createReadStream, fstatSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { CliIO } from '../../../core/cli.ts';
import { CodedError } from '../../../core/coded-error.ts';
import { resolveDataDir } from '../../../core/data-dir.ts';
import { toolVersion } from '../../../core/version.ts';
import { agentConfigSecrets, loadAgentConfig } from '../../config.ts';
import { agentErrors } from '../../errors.ts';
import { createRedactor, type Finding, type RedactionCounts } from '../../redaction/index.ts';

const usage = `Usage: shiplog redact [--config FILE] [--report FILE] [--scan] < input > output

Reads log text on standard input and writes it to standard output with
secrets masked and personal data pseudonymized: one output line for every
input line, in order, with the rules a support bundle uses.

  --config FILE  the agent configuration: its redaction section applies
                 (redaction.rules: an operator rule file; redaction.secrets and
                 redaction.personal: mask, pseudonymize or keep), and the
                 configuration's own secrets are redacted wherever they appear.
                 SHIPLOG_REDACTION_RULES etc. work without a file.
  --report FILE  write what was redacted, counted per rule and per category
                 (JSON; never the values themselves); a private key whose
                 END line never came is counted as private-key:unterminated
                 (everything after its BEGIN was masked)
  --scan         change nothing: print "LINE:COLUMN RULE CATEGORY" for every
                 finding instead of the text; exit status 3 if there is any
  -h, --help     show this help

Pseudonyms are made with this host's site key (<data dir>/keys/pseudonym.key,
created on first use); the report names its id, never the key.
`;

export async function run(args: string[], io: CliIO): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    throw new CodedError(agentErrors.USAGE, { detail: (error as Error).message.replace(/\.$/, '') });
  }
  const { values } = parsed;
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  const configFile = values.config === undefined ? undefined : resolve(io.cwd, values.config);
  const config = loadAgentConfig(configFile, io.env);
  // A rule file named in the config file is relative to that file; one from the environment, to the cwd.
  const rulesFromFile = configFile !== undefined && !io.env.SHIPLOG_REDACTION_RULES;
  const redactor = createRedactor({
    settings: config.redaction,
    baseDir: rulesFromFile ? dirname(configFile) : io.cwd,
    dataDir: resolveDataDir(io.env, config.data_dir),
    literals: agentConfigSecrets(config),
  });

  let counts: RedactionCounts;
  let totals: Record<string, number>;
  let exitCode = 0;
  try {
    if (values.scan) {
      const out: string[] = [];
      const flush = () => {
        if (out.length > 0) io.stdout.write(out.splice(0).join(''));
      };
      const report = await redactor.scanStream(input(io), {
        maxFindings: 0,
        onFinding(finding: Finding) {
          out.push(`${finding.line}:${finding.column} ${finding.rule} ${finding.category}\n`);
          if (out.length >= 1000) flush();
        },
      });
      flush();
      counts = report.counts;
      totals = { lines: report.lines, bytes_in: report.bytes };
      if (counts.total > 0) exitCode = 3;
    } else {
      // Large inputs are spread over this thread and one worker per other core (at most 3).
      const workers = Math.min(3, availableParallelism() - 1);
      const report = await redactor.redactStream(input(io), io.stdout as Writable, { workers });
      counts = report.counts;
      totals = { lines: report.lines, bytes_in: report.bytes_in, bytes_out: report.bytes_out };
    }
  } catch (error) {
    // The reader of our output went away (`| head`): stop quietly, like any filter.
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    throw error;
  }

  if (values.report !== undefined) {
    const path = resolve(io.cwd, values.report);
    const report = {
      tool: `shiplog ${toolVersion}`,
      mode: values.scan ? 'scan' : 'redact',
      rule_set: redactor.ruleSet,
      pseudonym_key_id: redactor.keyId ?? null,
      actions: redactor.actions,
      ...totals,
      counts,
    };
    try {
      writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
    } catch (error) {
      throw new CodedError(agentErrors.REDACTION_IO, {
        operation: 'write the report to',
        path,
        detail: (error as NodeJS.ErrnoException).code ?? String(error),
      });
    }
  }
  return exitCode;
}

/**
 * Standard input redirected from a file is read in 1 MiB reads (16 times
 * fewer reads, and no copying into batches). Pipes and sockets (which a
 * plain fs read cannot wait on) go through the stream handed in.
 */
function input(io: CliIO): AsyncIterable<Buffer> {
  let isFile = false;
  try {
    isFile = io.stdin === process.stdin && fstatSync(0).isFile();
  } catch {
    isFile = false;
  }
  if (!isFile) return io.stdin as AsyncIterable<Buffer>;
  return createReadStream('', { fd: 0, highWaterMark: 1024 * 1024, autoClose: false });
}

function parse(args: string[]) {
  return parseArgs({
    args,
    options: {
      config: { type: 'string' },
      report: { type: 'string' },
      scan: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
}
