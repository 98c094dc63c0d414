// Where an unfinished upload can be found again: BUNDLE.upload.json beside
// the bundle (mode 0600), written as soon as the portal has made the upload
// and removed once the receipt is in. Running `shiplog upload` again after a
// broken connection or a killed process reads it, asks the portal for the
// upload's offset and sends only the rest. It holds the upload's address and
// what it is an upload of, never the token. A state for another portal, or
// for other bytes (the file was rebuilt under the same name), is ignored.
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';

export interface UploadState {
  readonly version: 1;
  /** The tus endpoint the upload was created at. */
  readonly endpoint: string;
  /** The upload's own address (the portal's Location). */
  readonly upload_url: string;
  readonly size: number;
  readonly sha256: string;
  readonly created_at: string;
}

export function statePath(bundle: string): string {
  return `${bundle}.upload.json`;
}

/** The upload to resume for these bytes at this endpoint, if a usable state says so. */
export async function readState(
  bundle: string,
  expect: { readonly endpoint: URL; readonly size: number; readonly sha256: string },
): Promise<URL | undefined> {
  let state: Partial<UploadState>;
  try {
    state = JSON.parse(await readFile(statePath(bundle), 'utf8')) as Partial<UploadState>;
  } catch {
    return undefined;
  }
  if (
    state?.version !== 1 ||
    state.endpoint !== expect.endpoint.href ||
    state.size !== expect.size ||
    state.sha256 !== expect.sha256 ||
    typeof state.upload_url !== 'string'
  ) {
    return undefined;
  }
  try {
    const url = new URL(state.upload_url);
    return url.origin === expect.endpoint.origin ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the state whole or not at all (a temporary file renamed into place). */
export async function writeState(bundle: string, state: Omit<UploadState, 'version' | 'created_at'>): Promise<void> {
  const path = statePath(bundle);
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const body: UploadState = { version: 1, ...state, created_at: new Date().toISOString() };
  try {
    await writeFile(temp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export async function removeState(bundle: string): Promise<void> {
  await rm(statePath(bundle), { force: true });
}
