// What `shiplog upload` and `shiplog dump --upload` share: the portal's
// address as the user gives it, the token from SHIPLOG_UPLOAD_TOKEN or a
// token file (never from the command line, never printed), the upload
// itself with its progress said on stderr, and the receipt kept beside the
// bundle and summed up in two lines.
import { readFile } from 'node:fs/promises';
import { CodedError } from '../../core/coded-error.ts';
import { formatBytes } from '../../core/units.ts';
import { agentErrors } from '../errors.ts';
import { type KeptReceipt, keepReceipt, receiptPaths, verifyCommand } from './receipt.ts';
import { type UploadEvent, type UploadResult, uploadBundle } from './upload.ts';

export const tokenVariable = 'SHIPLOG_UPLOAD_TOKEN';
const uploadsPath = '/api/v1/uploads';

/**
 * The tus endpoint for what the user typed: the portal's address
 * (https://portal.example.com, also below a path prefix) gets /api/v1/uploads
 * added; an address that already ends in it is taken as it is.
 */
export function uploadEndpoint(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usage(`"${text}" is not a URL; give the portal's address, such as https://portal.example.com`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw usage(`"${text}" is not an http:// or https:// address`);
  }
  if (url.username || url.password) {
    throw usage(`the URL holds a user name or password; the token comes from ${tokenVariable} or --token-file only`);
  }
  url.hash = '';
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith(uploadsPath) ? path : `${path}${uploadsPath}`;
  return url;
}

/** The upload token: from --token-file when given, else from SHIPLOG_UPLOAD_TOKEN. */
export async function readUploadToken(env: NodeJS.ProcessEnv, tokenFile: string | undefined): Promise<string> {
  let token: string;
  if (tokenFile !== undefined) {
    let text: string;
    try {
      text = await readFile(tokenFile, 'utf8');
    } catch (error) {
      throw noToken(`the token file ${tokenFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? error})`);
    }
    token =
      text
        .split('\n')
        .find((line) => line.trim() !== '' && !line.trimStart().startsWith('#'))
        ?.trim() ?? '';
    if (token === '') throw noToken(`the token file ${tokenFile} is empty`);
  } else {
    token = env[tokenVariable]?.trim() ?? '';
    if (token === '') throw noToken(`${tokenVariable} is not set and no --token-file was given`);
  }
  // It goes into an HTTP header: visible ASCII only (the message never shows it).
  if (!/^[\x21-\x7e]+$/.test(token)) throw noToken('the token given holds spaces or characters no token has');
  return token;
}

export interface SendOptions {
  readonly bundle: string;
  readonly endpoint: URL;
  readonly token: string;
  /** Progress and warnings. */
  readonly say: (line: string) => void;
  readonly retryDelaysMs?: readonly number[];
}

export interface Sent {
  readonly result: UploadResult;
  /** Where the receipt was kept; undefined when it could not be written (its JSON was said instead). */
  readonly kept: KeptReceipt | undefined;
  /** The summary: what the portal received, then how to check the receipt. */
  readonly lines: readonly [string, string];
}

export async function sendBundle(options: SendOptions): Promise<Sent> {
  const { bundle, endpoint, say } = options;
  if (endpoint.protocol === 'http:' && !isLoopback(endpoint.hostname)) {
    say(`warning: ${endpoint.origin} is plain http, so the token and the bundle cross the network unencrypted`);
  }
  const result = await uploadBundle({
    bundle,
    endpoint,
    token: options.token,
    ...(options.retryDelaysMs && { retryDelaysMs: options.retryDelaysMs }),
    onEvent: (event) => say(describeEvent(event)),
  });
  let kept: KeptReceipt | undefined;
  try {
    kept = await keepReceipt(bundle, result.receipt);
  } catch (error) {
    const paths = receiptPaths(bundle);
    say(
      `warning: cannot write ${paths.json} (${(error as NodeJS.ErrnoException).code ?? error}); keep this receipt:\n` +
        JSON.stringify(result.receipt),
    );
  }
  const { receipt } = result;
  const again = result.created ? '' : ' (the portal had these bytes already)';
  const first =
    `Uploaded ${bundle} (${formatBytes(result.size)}) as bundle ${receipt.id}${again}: ` +
    `SHA-256 ${receipt.sha256}, receipt signed by the portal's key ${receipt.collector_key}.`;
  const second = kept
    ? `Receipt kept in ${kept.json} and ${kept.sig}; to check it, put the portal's allowed_signers line ` +
      `(from the vendor) in portal_allowed_signers and run: ${verifyCommand(kept)}`
    : 'The receipt could not be kept beside the bundle: save the JSON printed above.';
  return { result, kept, lines: [first, second] };
}

export function describeEvent(event: UploadEvent): string {
  switch (event.kind) {
    case 'resumed': {
      if (event.offset === event.size) return 'The portal has the whole file already; asking it for the receipt.';
      const held = `${formatBytes(event.offset)} of ${formatBytes(event.size)}`;
      return event.first
        ? `Resuming the earlier upload: the portal holds ${held} already; sending the rest.`
        : `The portal holds ${held}; sending the rest.`;
    }
    case 'restarted':
      return `${capitalized(event.reason)}; starting a new upload.`;
    case 'retrying':
      return (
        `Upload interrupted (${event.reason}); trying again in ${formatDelay(event.delayMs)} ` +
        `(attempt ${event.attempt} of ${event.attempts}).`
      );
    case 'state-unwritable':
      return `warning: cannot write ${event.path} (${event.detail}), so a broken upload would start over next time.`;
  }
}

function formatDelay(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function usage(detail: string): CodedError {
  return new CodedError(agentErrors.USAGE, { detail });
}

function noToken(detail: string): CodedError {
  return new CodedError(agentErrors.UPLOAD_NO_TOKEN, { detail });
}
