import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeReceipt, keepReceipt, verifyCommand } from '../../../../agent/upload/receipt.ts';
import { ReceiptSigner } from '../../../../collector/receipts.ts';
import { tempDir } from '../../../helpers/temp.ts';

const fields = {
  id: 'b0123456789abcdef01234567',
  sha256: 'ab'.repeat(32),
  size: 4096,
  received_at: '2026-11-25T03:12:45.000Z',
  tenant: 'acme-bank',
};

function signed() {
  const dir = tempDir('shiplog-receipt-');
  const signer = new ReceiptSigner(join(dir, 'collector'));
  return { dir, signer, receipt: signer.sign(fields) };
}

const asHeader = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

describe("the portal's receipt", () => {
  it('is read from its header, kept beside the bundle, and checks with the printed ssh-keygen line', async () => {
    const { dir, signer, receipt } = signed();
    const decoded = decodeReceipt(asHeader(receipt));
    expect(decoded).toEqual(receipt);
    const bundle = join(dir, 'site a.tar.gz');
    const kept = await keepReceipt(bundle, decoded as NonNullable<typeof decoded>);
    expect(kept).toEqual({ json: `${bundle}.receipt.json`, sig: `${bundle}.receipt.sig` });
    expect(JSON.parse(readFileSync(kept.json, 'utf8'))).toEqual(receipt);
    expect(readFileSync(kept.sig, 'utf8')).toMatch(
      /^-----BEGIN SSH SIGNATURE-----\n[\s\S]+-----END SSH SIGNATURE-----\n$/,
    );

    writeFileSync(join(dir, 'portal_allowed_signers'), `${signer.allowedSigners}\n`);
    const check = spawnSync('sh', ['-c', verifyCommand(kept)], { cwd: dir, encoding: 'utf8' });
    expect(check.stdout + check.stderr).toContain('Good "shiplog-receipt" signature for shiplog-collector');
    expect(check.status).toBe(0);

    // The same line refuses a receipt whose signed text was changed.
    const forged = { ...receipt, signed: receipt.signed.replace('"size":4096', '"size":4097') };
    writeFileSync(kept.json, JSON.stringify(forged));
    expect(spawnSync('sh', ['-c', verifyCommand(kept)], { cwd: dir }).status).not.toBe(0);
  });

  it('is not believed when its fields say other than its signed text, or when it is no receipt', () => {
    const { receipt } = signed();
    expect(decodeReceipt(asHeader({ ...receipt, sha256: 'cd'.repeat(32) }))).toBeUndefined();
    expect(decodeReceipt(asHeader({ ...receipt, id: 'b-other' }))).toBeUndefined();
    expect(decodeReceipt(asHeader({ ...receipt, signature: undefined }))).toBeUndefined();
    expect(decodeReceipt(asHeader({ ...receipt, signed: 'not json' }))).toBeUndefined();
    expect(decodeReceipt(asHeader('a string'))).toBeUndefined();
    expect(decodeReceipt('%%%')).toBeUndefined();
    expect(decodeReceipt(undefined)).toBeUndefined();
  });
});
