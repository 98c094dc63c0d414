import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readState, removeState, statePath, writeState } from '../../../../agent/upload/state.ts';
import { tempDir } from '../../../helpers/temp.ts';

const endpoint = new URL('https://portal.example.com/api/v1/uploads');
const bytes = { size: 1234, sha256: 'ab'.repeat(32) };
const uploadUrl = 'https://portal.example.com/api/v1/uploads/0123456789abcdef0123456789abcdef';

describe('the resume state beside the bundle', () => {
  it('is written readable by its owner only, and read back for the same bytes and portal', async () => {
    const bundle = join(tempDir('shiplog-upload-state-'), 'b.tar.gz');
    await writeState(bundle, { endpoint: endpoint.href, upload_url: uploadUrl, ...bytes });
    expect(statSync(statePath(bundle)).mode & 0o777).toBe(0o600);
    expect(statePath(bundle)).toBe(`${bundle}.upload.json`);
    expect((await readState(bundle, { endpoint, ...bytes }))?.href).toBe(uploadUrl);
    // Only the state itself is left: the temporary file was renamed into place.
    expect(readdirSync(join(bundle, '..'))).toEqual(['b.tar.gz.upload.json']);
  });

  it('is ignored for another portal, other bytes, or an address on another server', async () => {
    const bundle = join(tempDir('shiplog-upload-state-'), 'b.tar.gz');
    await writeState(bundle, { endpoint: endpoint.href, upload_url: uploadUrl, ...bytes });
    const other = new URL('https://other.example.com/api/v1/uploads');
    expect(await readState(bundle, { endpoint: other, ...bytes })).toBeUndefined();
    expect(await readState(bundle, { endpoint, ...bytes, size: 1235 })).toBeUndefined();
    expect(await readState(bundle, { endpoint, ...bytes, sha256: 'cd'.repeat(32) })).toBeUndefined();
    await writeState(bundle, { endpoint: endpoint.href, upload_url: 'https://elsewhere.example.com/u/1', ...bytes });
    expect(await readState(bundle, { endpoint, ...bytes })).toBeUndefined();
  });

  it('reads a damaged or missing state as none, and removing it twice is fine', async () => {
    const bundle = join(tempDir('shiplog-upload-state-'), 'b.tar.gz');
    expect(await readState(bundle, { endpoint, ...bytes })).toBeUndefined();
    writeFileSync(statePath(bundle), '{"version": 1, "endp');
    expect(await readState(bundle, { endpoint, ...bytes })).toBeUndefined();
    await removeState(bundle);
    await removeState(bundle);
    expect(readdirSync(join(bundle, '..'))).toEqual([]);
  });
});
