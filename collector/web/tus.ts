// Resumable upload from the browser (tus 1.0, the protocol `shiplog upload`
// speaks to the same endpoint). Where an upload of this file stands is kept
// in localStorage under its name, size and modification time, so a page
// reloaded after a dropped connection, or the next day within the 24 hours
// the portal keeps unfinished uploads, sends only what is missing. Each
// chunk goes by XMLHttpRequest, which reports upload progress.

export interface Receipt {
  readonly id: string;
  readonly sha256: string;
  readonly size: number;
  readonly received_at: string;
  readonly tenant: string;
  readonly collector_key: string;
  readonly signed: string;
  readonly signature: string;
}

export interface Outcome {
  readonly bundle: string;
  readonly created: boolean;
  readonly receipt: Receipt;
}

export class UploadError extends Error {
  readonly code: string;
  readonly permanent: boolean;
  constructor(code: string, message: string, permanent: boolean) {
    super(message);
    this.code = code;
    this.permanent = permanent;
  }
}

export interface UploadOptions {
  readonly tenant?: string;
  readonly csrf: string;
  readonly progress: (sent: number, total: number) => void;
  readonly notice: (text: string) => void;
}

const endpoint = '/api/v1/uploads';
const chunkBytes = 8 * 1024 * 1024;
const waitsMs = [500, 1000, 2000, 4000, 8000, 8000, 8000, 8000];

export async function upload(file: File, options: UploadOptions): Promise<Outcome> {
  const key = `shiplog-upload:${options.tenant ?? ''}:${file.name}:${file.size}:${file.lastModified}`;
  let location = localStorage.getItem(key);
  let offset = 0;
  let failures = 0;
  for (;;) {
    try {
      if (location) {
        const state = await head(location, options.csrf);
        if (state === 'gone') {
          localStorage.removeItem(key);
          location = null;
          continue;
        }
        if ('outcome' in state) {
          localStorage.removeItem(key);
          options.progress(file.size, file.size);
          return state.outcome;
        }
        offset = state.offset;
        if (offset > 0) options.notice(`Resuming at ${Math.round((offset / file.size) * 100)}%.`);
      } else {
        location = await create(file, options);
        localStorage.setItem(key, location);
        offset = 0;
      }
      while (offset < file.size || file.size === 0) {
        const end = Math.min(file.size, offset + chunkBytes);
        const answer = await patch(location, file.slice(offset, end), offset, file.size, options);
        if (answer.offset > offset) failures = 0;
        offset = answer.offset;
        if (answer.outcome) {
          localStorage.removeItem(key);
          return answer.outcome;
        }
        if (file.size === 0) break;
      }
    } catch (error) {
      if (error instanceof UploadError && error.permanent) throw error;
      const wait = waitsMs[failures++];
      if (wait === undefined) {
        throw new UploadError(
          'UPLOAD_STALLED',
          'The portal did not take the upload after several tries. Press Upload again to resume from where it stopped.',
          true,
        );
      }
      options.notice(`Connection trouble (${(error as Error).message}); trying again in ${wait / 1000} s.`);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

async function create(file: File, options: UploadOptions): Promise<string> {
  const name = btoa(String.fromCharCode(...new TextEncoder().encode(file.name.slice(0, 200))));
  const query = options.tenant ? `?tenant=${encodeURIComponent(options.tenant)}` : '';
  const response = await fetch(`${endpoint}${query}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: {
      'tus-resumable': '1.0.0',
      'upload-length': String(file.size),
      'upload-metadata': `filename ${name}`,
      'x-csrf-token': options.csrf,
    },
  });
  if (response.status !== 201) throw await failure(response);
  const location = response.headers.get('location');
  if (!location) throw new UploadError('UPLOAD_PROTOCOL', 'the portal did not say where to send the upload', true);
  const path = new URL(location, window.location.href);
  if (path.origin !== window.location.origin) {
    throw new UploadError('UPLOAD_PROTOCOL', 'the portal pointed the upload at another site', true);
  }
  return path.pathname;
}

type HeadState = 'gone' | { readonly offset: number } | { readonly outcome: Outcome };

async function head(location: string, csrf: string): Promise<HeadState> {
  const response = await fetch(location, {
    method: 'HEAD',
    credentials: 'same-origin',
    headers: { 'tus-resumable': '1.0.0', 'x-csrf-token': csrf },
  });
  if (response.status === 404 || response.status === 410) return 'gone';
  if (!response.ok) throw await failure(response);
  const outcome = outcomeOf(response.headers);
  return outcome ? { outcome } : { offset: Number(response.headers.get('upload-offset') ?? 0) };
}

function patch(
  location: string,
  chunk: Blob,
  offset: number,
  total: number,
  options: UploadOptions,
): Promise<{ offset: number; outcome?: Outcome }> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('PATCH', location);
    request.setRequestHeader('tus-resumable', '1.0.0');
    request.setRequestHeader('upload-offset', String(offset));
    request.setRequestHeader('content-type', 'application/offset+octet-stream');
    request.setRequestHeader('x-csrf-token', options.csrf);
    request.upload.onprogress = (event) => options.progress(offset + event.loaded, total);
    request.onerror = () => reject(new UploadError('NETWORK', 'the connection failed', false));
    request.ontimeout = () => reject(new UploadError('NETWORK', 'the portal stopped answering', false));
    request.timeout = 120_000;
    request.onload = () => {
      const headers = new Headers();
      for (const line of request
        .getAllResponseHeaders()
        .trim()
        .split(/[\r\n]+/)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      }
      if (request.status === 204) {
        const outcome = outcomeOf(headers);
        resolve({ offset: Number(headers.get('upload-offset') ?? offset), ...(outcome && { outcome }) });
        return;
      }
      reject(errorOf(request.status, request.responseText));
    };
    request.send(chunk);
  });
}

function outcomeOf(headers: Headers): Outcome | undefined {
  const bundle = headers.get('shiplog-bundle-id');
  const receipt = headers.get('shiplog-receipt');
  if (!bundle || !receipt) return undefined;
  const bytes = Uint8Array.from(atob(receipt), (char) => char.charCodeAt(0));
  return {
    bundle,
    created: headers.get('shiplog-bundle-created') !== 'false',
    receipt: JSON.parse(new TextDecoder().decode(bytes)) as Receipt,
  };
}

async function failure(response: Response): Promise<UploadError> {
  return errorOf(response.status, await response.text().catch(() => ''));
}

function errorOf(status: number, body: string): UploadError {
  let code = `HTTP_${status}`;
  let message = `the portal answered ${status}`;
  try {
    const answer = JSON.parse(body) as { error?: { code?: string; message?: string } };
    if (answer.error?.code) code = answer.error.code;
    if (answer.error?.message) message = answer.error.message;
  } catch {
    // Not JSON (a proxy's page): keep the status.
  }
  // Worth another try: the server or a proxy failing, a lock, a rate limit, or an offset to re-read.
  const permanent = !(status >= 500 || status === 423 || status === 429 || status === 409);
  return new UploadError(code, message, permanent);
}
