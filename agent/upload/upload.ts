// Sends one bundle file to the vendor's portal with tus 1.0 and returns the
// portal's receipt. The upload survives what breaks it on the way: its
// address is kept beside the bundle (state.ts) the moment the portal makes
// it, every retry and every later run first asks the portal how much it holds
// and sends only the rest, and transient failures (no answer, 5xx, 423, 429)
// are retried after growing pauses, a bounded number of times in a row;
// bytes that reached the portal in between start the count again. A refusal
// that no retry changes (token, size, not a bundle) ends the run at once.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CodedError } from '../../core/coded-error.ts';
import { formatBytes } from '../../core/units.ts';
import { agentErrors } from '../errors.ts';
import { decodeReceipt, type Receipt } from './receipt.ts';
import { defaultRetryDelaysMs, header, judgeAnswer, type Phase } from './retry.ts';
import { readState, removeState, statePath, writeState } from './state.ts';
import { createUpload, headUpload, patchUpload, TransportError, type TusAnswer, type TusConnection } from './tus.ts';

export interface UploadOptions {
  /** The bundle file. */
  readonly bundle: string;
  /** The tus endpoint (…/api/v1/uploads). */
  readonly endpoint: URL;
  readonly token: string;
  readonly retryDelaysMs?: readonly number[];
  readonly timeoutMs?: number;
  readonly onEvent?: (event: UploadEvent) => void;
}

export type UploadEvent =
  /** The portal holds `offset` bytes already; `first` when that is where an earlier run stopped. */
  | { readonly kind: 'resumed'; readonly offset: number; readonly size: number; readonly first: boolean }
  | { readonly kind: 'restarted'; readonly reason: string }
  | {
      readonly kind: 'retrying';
      readonly reason: string;
      readonly delayMs: number;
      readonly attempt: number;
      readonly attempts: number;
    }
  | { readonly kind: 'state-unwritable'; readonly path: string; readonly detail: string };

export interface UploadResult {
  readonly receipt: Receipt;
  readonly bundleId: string;
  /** False when the portal had these bytes already (the same bundle is answered). */
  readonly created: boolean;
  readonly size: number;
  readonly sha256: string;
  /** Bytes the portal held already when this run started (a resumed upload), else 0. */
  readonly resumedAt: number;
}

/** What one pass of create-or-HEAD then PATCH came to. */
type Step = { readonly kind: 'finished'; readonly answer: TusAnswer } | { readonly kind: 'again' } | Transient;
type Transient =
  | { readonly kind: 'retry'; readonly reason: string; readonly afterMs?: number }
  | { readonly kind: 'gone' };
/** A portal that loses a fresh upload this many times in one run is not believed any more. */
const maxRestarts = 3;

export function uploadBundle(options: UploadOptions): Promise<UploadResult> {
  return new UploadRun(options).run();
}

class UploadRun {
  readonly #options: UploadOptions;
  readonly #connection: TusConnection;
  readonly #say: (event: UploadEvent) => void;
  #file: LocalFile = { size: 0, sha256: '' };
  /** The upload's address, once made or read from the state. */
  #upload: URL | undefined;
  /** Bytes the portal is known to hold. */
  #offset = 0;
  #resumedAt = 0;
  /** The upload came from an earlier run's state, so the first HEAD tells where that run stopped. */
  #fromState = false;
  #heads = 0;

  constructor(options: UploadOptions) {
    this.#options = options;
    this.#connection = { token: options.token, timeoutMs: options.timeoutMs ?? 60_000 };
    this.#say = options.onEvent ?? (() => {});
  }

  async run(): Promise<UploadResult> {
    const { bundle, endpoint } = this.#options;
    const delays = this.#options.retryDelaysMs ?? defaultRetryDelaysMs;
    this.#file = await inspect(bundle);
    this.#upload = await readState(bundle, { endpoint, size: this.#file.size, sha256: this.#file.sha256 });
    this.#fromState = this.#upload !== undefined;
    let failures = 0;
    let restarts = 0;
    for (;;) {
      const before = this.#offset;
      let step: Step;
      try {
        step = await this.#step();
      } catch (error) {
        step = transient(error, bundle);
      }
      if (this.#offset > before) failures = 0;
      if (step.kind === 'finished') {
        const result = this.#outcome(step.answer);
        await removeState(bundle).catch(() => {});
        return result;
      }
      if (step.kind === 'again') {
        if (this.#offset > before) continue;
        step = { kind: 'retry', reason: 'the portal took none of the bytes sent' };
      }
      if (step.kind === 'gone') {
        restarts += 1;
        if (restarts > maxRestarts) throw this.#refused('it keeps losing the upload it has just made');
        this.#say({ kind: 'restarted', reason: 'the portal no longer has the earlier upload' });
        this.#upload = undefined;
        this.#offset = 0;
        await removeState(bundle).catch(() => {});
        continue;
      }
      if (failures >= delays.length) {
        throw new CodedError(agentErrors.UPLOAD_UNREACHABLE, {
          url: endpoint.href,
          bundle,
          detail: step.reason,
          attempts: failures + 1,
          sent: formatBytes(this.#offset),
          size: formatBytes(this.#file.size),
        });
      }
      const delayMs = step.afterMs ?? delays[failures] ?? 0;
      failures += 1;
      this.#say({ kind: 'retrying', reason: step.reason, delayMs, attempt: failures + 1, attempts: delays.length + 1 });
      await sleep(delayMs);
    }
  }

  /** Makes the upload or asks where it stands, then sends the rest; throws CodedError on a refusal. */
  async #step(): Promise<Step> {
    const { bundle, endpoint } = this.#options;
    const file = this.#file;
    if (this.#upload === undefined) {
      const created = await createUpload(endpoint, this.#connection, file.size, basename(bundle));
      const verdict = this.#judge(created, 'create');
      if (verdict) return verdict;
      this.#upload = uploadAddress(endpoint, header(created, 'location'));
      this.#offset = 0;
      await writeState(bundle, { endpoint: endpoint.href, upload_url: this.#upload.href, ...file }).catch(
        (error: NodeJS.ErrnoException) =>
          this.#say({ kind: 'state-unwritable', path: statePath(bundle), detail: error.code ?? error.message }),
      );
    } else {
      const head = await headUpload(this.#upload, this.#connection);
      const verdict = this.#judge(head, 'head');
      if (verdict) return verdict;
      const held = offsetOf(head, file.size);
      if (held === undefined) return unusableOffset(head);
      this.#heads += 1;
      const first = this.#heads === 1 && this.#fromState;
      if (first) this.#resumedAt = held;
      if (held > 0) this.#say({ kind: 'resumed', offset: held, size: file.size, first });
      this.#offset = held;
      if (held === file.size) return { kind: 'finished', answer: head };
    }
    const patched = await patchUpload(this.#upload, this.#connection, bundle, this.#offset, file.size);
    const verdict = this.#judge(patched, 'patch');
    if (verdict) return verdict;
    const offset = offsetOf(patched, file.size);
    if (offset === undefined) return unusableOffset(patched);
    this.#offset = offset;
    // Less than all without a reason: ask where it stands and go on.
    return offset === file.size ? { kind: 'finished', answer: patched } : { kind: 'again' };
  }

  /** undefined when the answer is what `phase` wants; a transient verdict; or throws the refusal. */
  #judge(answer: TusAnswer, phase: Phase): Transient | undefined {
    const verdict = judgeAnswer(answer, phase);
    const { bundle, endpoint } = this.#options;
    const where = { url: endpoint.href, bundle };
    switch (verdict.kind) {
      case 'ok':
        return undefined;
      case 'retry':
      case 'gone':
        return verdict;
      case 'resync':
        return { kind: 'retry', reason: verdict.reason };
      case 'token':
        throw new CodedError(agentErrors.UPLOAD_TOKEN_REFUSED, { ...where, detail: verdict.detail });
      case 'too-large':
        throw new CodedError(agentErrors.UPLOAD_TOO_LARGE, {
          ...where,
          size: formatBytes(this.#file.size),
          detail: verdict.detail,
        });
      case 'not-a-bundle':
        throw new CodedError(agentErrors.UPLOAD_NOT_A_BUNDLE, { bundle, detail: `the portal says ${verdict.detail}` });
      default:
        throw this.#refused(verdict.detail);
    }
  }

  #refused(detail: string): CodedError {
    return new CodedError(agentErrors.UPLOAD_REFUSED, { url: this.#options.endpoint.href, detail });
  }

  #outcome(answer: TusAnswer): UploadResult {
    const { bundle, endpoint } = this.#options;
    const file = this.#file;
    const receipt = decodeReceipt(header(answer, 'shiplog-receipt'));
    if (!receipt) {
      throw this.#refused(
        'it took the whole file but sent no readable receipt (Shiplog-Receipt): is it a shiplog portal?',
      );
    }
    if (receipt.sha256 !== file.sha256 || receipt.size !== file.size) {
      void removeState(bundle).catch(() => {});
      throw new CodedError(agentErrors.UPLOAD_MISMATCH, {
        url: endpoint.href,
        bundle,
        received: `${receipt.sha256.slice(0, 16)}... (${receipt.size} bytes)`,
        expected: `${file.sha256.slice(0, 16)}... (${file.size} bytes)`,
      });
    }
    return {
      receipt,
      bundleId: receipt.id,
      created: header(answer, 'shiplog-bundle-created') !== 'false',
      size: file.size,
      sha256: file.sha256,
      resumedAt: this.#resumedAt,
    };
  }
}

/** No answer is transient; a failure to read the file is the bundle's; anything else passes on as it is. */
function transient(error: unknown, bundle: string): Transient {
  if (error instanceof TransportError) return { kind: 'retry', reason: `${error.code}: ${error.message}` };
  if (error instanceof CodedError || typeof (error as NodeJS.ErrnoException)?.syscall !== 'string') throw error;
  throw new CodedError(
    agentErrors.UPLOAD_UNREADABLE,
    { bundle, detail: (error as NodeJS.ErrnoException)?.code ?? String(error) },
    { cause: error },
  );
}

/** Not a tus answer (a proxy's, perhaps, answering in the portal's place): worth another try. */
function unusableOffset(answer: TusAnswer): Transient {
  return { kind: 'retry', reason: `the answer had no usable Upload-Offset (HTTP ${answer.status})` };
}

/** The upload's own address from Location: on the endpoint's origin, or refused (the token goes there). */
function uploadAddress(endpoint: URL, location: string | undefined): URL {
  let address: URL | undefined;
  try {
    address = location ? new URL(location, endpoint) : undefined;
  } catch {
    address = undefined;
  }
  if (!address || address.origin !== endpoint.origin) {
    throw new CodedError(agentErrors.UPLOAD_REFUSED, {
      url: endpoint.href,
      detail: location
        ? `it named the upload's address on another server (${location})`
        : 'it made an upload without saying where (no Location)',
    });
  }
  return address;
}

function offsetOf(answer: TusAnswer, size: number): number | undefined {
  const offset = Number(header(answer, 'upload-offset'));
  return Number.isSafeInteger(offset) && offset >= 0 && offset <= size ? offset : undefined;
}

interface LocalFile {
  readonly size: number;
  readonly sha256: string;
}

/** Size and SHA-256 of the bundle, read once; a file that is no bundle stops here, before any byte is sent. */
async function inspect(bundle: string): Promise<LocalFile> {
  const unreadable = (error: unknown) =>
    new CodedError(agentErrors.UPLOAD_UNREADABLE, {
      bundle,
      detail: (error as NodeJS.ErrnoException).code ?? String(error),
    });
  let head: Buffer;
  try {
    const handle = await open(bundle, 'r');
    try {
      const info = await handle.stat();
      if (!info.isFile())
        throw new CodedError(agentErrors.UPLOAD_UNREADABLE, { bundle, detail: 'it is not a regular file' });
      head = Buffer.alloc(Math.min(info.size, 32));
      await handle.read(head, 0, head.length, 0);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw error instanceof CodedError ? error : unreadable(error);
  }
  const kind = bundleKind(head);
  if (!kind) {
    throw new CodedError(agentErrors.UPLOAD_NOT_A_BUNDLE, {
      bundle,
      detail: head.length === 0 ? 'it is empty' : 'it is not a gzip, zstd or age file',
    });
  }
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(bundle, { highWaterMark: 1024 * 1024 })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (error) {
    throw unreadable(error);
  }
  return { size, sha256: hash.digest('hex') };
}

/** gzip, zstd or binary age, by the first bytes: what `shiplog dump` writes. */
export function bundleKind(head: Buffer): 'gzip' | 'zstd' | 'age' | undefined {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.subarray(0, 22).toString('latin1') === 'age-encryption.org/v1\n') return 'age';
  return undefined;
}
