// The SSH wire encoding (RFC 4251 §5) that OpenSSH keys and SSHSIG blobs use:
// big-endian uint32 lengths in front of every string.

export function sshString(value: string | Uint8Array): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

export function sshUint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

/** Reads SSH wire values in order; every read checks bounds, since the input may be hostile. */
export class SshReader {
  #buffer: Buffer;
  #offset = 0;

  constructor(buffer: Buffer) {
    this.#buffer = buffer;
  }

  bytes(length: number): Buffer {
    if (length < 0 || this.#offset + length > this.#buffer.length) throw new Error('truncated SSH data');
    const out = this.#buffer.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return out;
  }

  uint32(): number {
    return this.bytes(4).readUInt32BE(0);
  }

  string(): Buffer {
    return this.bytes(this.uint32());
  }

  text(): string {
    return this.string().toString('utf8');
  }

  get done(): boolean {
    return this.#offset === this.#buffer.length;
  }
}
