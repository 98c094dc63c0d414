// The portal's receipt for a finished upload: the bundle id, the SHA-256 and
// size of the bytes it holds, when and for which tenant, signed by the
// portal's own key. It arrives base64-encoded in the Shiplog-Receipt header of
// the last PATCH (or of HEAD on a finished upload), is checked against the
// file that was sent, and is kept beside the bundle: BUNDLE.receipt.json (the
// whole receipt) and BUNDLE.receipt.sig (its SSH signature), so that the site
// can later prove what it handed over with ssh-keygen alone.
import { writeFile } from 'node:fs/promises';
import type { UploadAnswer } from '../../schemas/collector-api.ts';

export type Receipt = UploadAnswer['receipt'];

/** What the portal says when it signs receipts (collector/receipts.ts). */
export const receiptNamespace = 'shiplog-receipt';
export const receiptPrincipal = 'shiplog-collector';

const textFields = ['id', 'sha256', 'received_at', 'tenant', 'collector_key', 'signed', 'signature'] as const;

/** The receipt in a Shiplog-Receipt header, or undefined when it is not one. */
export function decodeReceipt(value: string | undefined): Receipt | undefined {
  if (!value) return undefined;
  let receipt: Record<string, unknown>;
  try {
    receipt = JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof receipt !== 'object' || receipt === null) return undefined;
  if (!textFields.every((field) => typeof receipt[field] === 'string') || !Number.isSafeInteger(receipt.size)) {
    return undefined;
  }
  // The signature covers `signed` only: the fields beside it must say the same.
  let signed: Record<string, unknown>;
  try {
    signed = JSON.parse(receipt.signed as string) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  for (const field of ['id', 'sha256', 'size', 'tenant', 'collector_key'] as const) {
    if (signed?.[field] !== receipt[field]) return undefined;
  }
  return receipt as unknown as Receipt;
}

export interface KeptReceipt {
  readonly json: string;
  readonly sig: string;
}

export function receiptPaths(bundle: string): KeptReceipt {
  return { json: `${bundle}.receipt.json`, sig: `${bundle}.receipt.sig` };
}

/** Writes BUNDLE.receipt.json and BUNDLE.receipt.sig, replacing those of an earlier upload. */
export async function keepReceipt(bundle: string, receipt: Receipt): Promise<KeptReceipt> {
  const paths = receiptPaths(bundle);
  await writeFile(paths.json, `${JSON.stringify(receipt, null, 2)}\n`, { mode: 0o644 });
  const signature = receipt.signature.endsWith('\n') ? receipt.signature : `${receipt.signature}\n`;
  await writeFile(paths.sig, signature, { mode: 0o644 });
  return paths;
}

/** The shell line that checks a kept receipt with the portal's allowed_signers line in SIGNERS. */
export function verifyCommand(paths: KeptReceipt, signers = 'portal_allowed_signers'): string {
  return (
    `jq -j .signed ${quote(paths.json)} | ssh-keygen -Y verify -f ${signers} -I ${receiptPrincipal} ` +
    `-n ${receiptNamespace} -s ${quote(paths.sig)}`
  );
}

function quote(path: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
