// Cuts a zstd stream into chunks that never run past the end of a frame.
// Node's streaming zstd decompressor (24.x) stops at the end of a frame and
// drops the rest of the chunk it was given when its output buffer still has
// room, so a frame that ends inside a chunk loses the frames after it. Bundles
// are many frames of any size (a staging worker's frames sit between small
// ones holding tar headers), so the verifier hands the decompressor one
// frame's end at a time. Nothing is changed: the chunks are slices of the
// input. Bytes that are not a zstd frame pass on as they are, for the
// decompressor to reject.
//
// Each frame costs a round trip through the decompressor, so frames are also
// counted, as the decompressor takes them (the pieces are pulled one at a
// time, so the count runs at most a piece or two ahead of the tar reader): a
// stream of millions of tiny frames is refused once it passes `maxFrames`,
// which the reader raises as it learns how big the bundle is.
import { BundleProblem } from './problems.ts';

const frameMagic = 0xfd2fb528;
const isSkippable = (magic: number) => magic >>> 4 === 0x184d2a5;

/** How many frames went by, and how many may. */
export interface FrameCount {
  frames: number;
  maxFrames: number;
}

/** Slices of `source`, each ending at a frame's end or a chunk's end; throws BundleProblem('limit') past maxFrames. */
export async function* cutZstdFrames(source: AsyncIterable<Buffer>, count: FrameCount): AsyncGenerator<Buffer> {
  const cutter = new ZstdFrameCutter();
  for await (const chunk of source) {
    for (const piece of cutter.split(chunk)) {
      if (piece.endsFrame && ++count.frames > count.maxFrames) {
        throw new BundleProblem(
          'limit',
          `the zstd data is cut into more frames (${count.frames}) than a bundle of its size has`,
        );
      }
      yield piece.bytes;
    }
  }
}

interface Piece {
  readonly bytes: Buffer;
  readonly endsFrame: boolean;
}

/** The frame parser: remembers where it is across chunks. */
class ZstdFrameCutter {
  /** Header bytes gathered so far (a header may straddle chunks). */
  #head: number[] = [];
  /** What the bytes being gathered are. */
  #reading: 'frame' | 'block' = 'frame';
  /** Bytes of body to pass before the next header. */
  #skip = 0;
  /** The frame ends when the skip is done. */
  #endsFrame = false;
  #checksum = false;
  #unknown = false;
  /** A frame ended at the current position: what came before it goes out as one piece. */
  #cut = false;

  /** `chunk` cut after every frame end it holds. */
  split(chunk: Buffer): Piece[] {
    const pieces: Piece[] = [];
    let from = 0;
    let at = 0;
    while (at < chunk.length && !this.#unknown) {
      if (this.#skip > 0) {
        const step = Math.min(this.#skip, chunk.length - at);
        at += step;
        this.#skip -= step;
      } else {
        this.#head.push(chunk[at++] as number);
        this.#parse();
      }
      if (this.#skip === 0 && this.#endsFrame) this.#frameEnd();
      if (this.#cut) {
        this.#cut = false;
        pieces.push({ bytes: chunk.subarray(from, at), endsFrame: true });
        from = at;
      }
    }
    if (from < chunk.length) pieces.push({ bytes: chunk.subarray(from), endsFrame: false });
    return pieces;
  }

  #frameEnd(): void {
    this.#endsFrame = false;
    this.#reading = 'frame';
    this.#cut = true;
  }

  /** Reads a header once its bytes are all there. */
  #parse(): void {
    const head = this.#head;
    if (this.#reading === 'block') {
      if (head.length < 3) return;
      const value = (head[0] as number) | ((head[1] as number) << 8) | ((head[2] as number) << 16);
      this.#head = [];
      const last = (value & 1) === 1;
      const type = (value >> 1) & 3;
      const size = value >>> 3;
      if (type === 3) {
        this.#unknown = true;
        return;
      }
      // An RLE block's body is the one byte it repeats.
      this.#skip = type === 1 ? 1 : size;
      if (last) {
        this.#skip += this.#checksum ? 4 : 0;
        this.#endsFrame = true;
      }
      return;
    }
    if (head.length < 4) return;
    const magic =
      ((head[0] as number) | ((head[1] as number) << 8) | ((head[2] as number) << 16)) + (head[3] as number) * 2 ** 24;
    if (isSkippable(magic)) {
      if (head.length < 8) return;
      this.#skip = Buffer.from(head.slice(4, 8)).readUInt32LE(0);
      this.#head = [];
      this.#endsFrame = true;
      return;
    }
    if (magic !== frameMagic) {
      this.#unknown = true;
      return;
    }
    if (head.length < 5) return;
    const descriptor = head[4] as number;
    const singleSegment = (descriptor & 0x20) !== 0;
    const contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][descriptor >> 6] as number;
    const dictionaryBytes = [0, 1, 2, 4][descriptor & 3] as number;
    const length = 5 + (singleSegment ? 0 : 1) + dictionaryBytes + contentSizeBytes;
    if (head.length < length) return;
    this.#checksum = (descriptor & 0x04) !== 0;
    this.#head = [];
    this.#reading = 'block';
  }
}
