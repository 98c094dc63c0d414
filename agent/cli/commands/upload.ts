// `shiplog upload BUNDLE URL [--token-file FILE]`: sends a bundle to the
// vendor's portal with resumable uploads (tus), and keeps the portal's signed
// receipt beside it. Progress and retries go to stderr; the two summary lines
// (what the portal received, how to check the receipt) to stdout.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliIO } from '../../../core/cli.ts';
import { CodedError } from '../../../core/coded-error.ts';
import { agentErrors } from '../../errors.ts';
import { readUploadToken, sendBundle, tokenVariable, uploadEndpoint } from '../../upload/send.ts';

const usage = `Usage: shiplog upload BUNDLE URL [--token-file FILE]

Sends a support bundle to the vendor's portal. If the connection breaks or
the command is stopped, running it again sends only what the portal does not
have yet. Ends with the portal's signed receipt, kept beside the bundle as
BUNDLE.receipt.json and BUNDLE.receipt.sig.

  BUNDLE             the file "shiplog dump" wrote
  URL                the portal's address, such as https://portal.example.com
  --token-file FILE  read the upload token from FILE
                     (default: the ${tokenVariable} variable)

The token comes from the vendor. It is never taken on the command line and
never printed.
`;

export async function run(args: string[], io: CliIO): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    throw new CodedError(agentErrors.USAGE, { detail: (error as Error).message.replace(/\.$/, '') });
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  if (positionals.length !== 2) {
    throw new CodedError(agentErrors.USAGE, {
      detail: `"shiplog upload" takes the bundle file and the portal's URL (got ${positionals.length} argument${positionals.length === 1 ? '' : 's'})`,
    });
  }
  const [file, url] = positionals as [string, string];
  const endpoint = uploadEndpoint(url);
  const token = await readUploadToken(
    io.env,
    values['token-file'] === undefined ? undefined : resolve(io.cwd, values['token-file']),
  );
  const sent = await sendBundle({
    bundle: resolve(io.cwd, file),
    endpoint,
    token,
    say: (line) => io.stderr.write(`${line}\n`),
  });
  io.stdout.write(`${sent.lines.join('\n')}\n`);
  return 0;
}

function parse(args: string[]) {
  return parseArgs({
    args,
    options: {
      'token-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
}
