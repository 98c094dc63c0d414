// age encryption of the compressed archive, as one stage of the write
// pipeline: the `age` CLI decrypts the result with the vendor's identity.
import { Duplex } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Encrypter } from 'age-encryption';
import { CodedError } from '../../../core/coded-error.ts';
import { agentErrors } from '../../errors.ts';

/** Throws BUNDLE_RECIPIENT unless `recipient` is an age public key the library accepts. */
export function checkRecipient(recipient: string): void {
  try {
    new Encrypter().addRecipient(recipient);
  } catch (error) {
    throw new CodedError(
      agentErrors.BUNDLE_RECIPIENT,
      { recipient, detail: (error as Error).message },
      { cause: error },
    );
  }
}

/** A Duplex that takes plaintext and gives the age ciphertext for `recipient`. */
export async function ageEncryptStream(recipient: string): Promise<Duplex> {
  checkRecipient(recipient);
  const encrypter = new Encrypter();
  encrypter.addRecipient(recipient);
  const plain = new TransformStream<Uint8Array, Uint8Array>();
  const cipher = await encrypter.encrypt(plain.readable);
  return Duplex.fromWeb({ writable: plain.writable, readable: cipher as unknown as WebReadableStream<Uint8Array> });
}
