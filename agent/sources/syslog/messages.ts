// A received message's bytes as the line stage takes them, and the sender
// as the stream its events belong to. UTF-8 is decoded as it is; bytes that
// are not UTF-8 become U+FFFD in the message, and the exact bytes are kept
// in event.original (base64), so nothing a device sent is lost.
import { isAscii, isUtf8 } from 'node:buffer';
import { sourceJson } from '../../pipeline/event-json.ts';
import type { LineInput, StreamParts } from '../../pipeline/line-stage.ts';

/** Where messages come from: a TCP or TLS connection, or a UDP sender. Ids are unique per stream. */
export interface Peer {
  /** Unique per connection (or UDP sender and socket): the origin key of its events. */
  readonly key: string;
  readonly ip: string;
  readonly port: number;
}

export function messageInput(bytes: Buffer, start: number, truncated: boolean): LineInput {
  if (isAscii(bytes)) return { start, text: bytes.toString('latin1'), truncated, invalidUtf8: false };
  if (isUtf8(bytes)) return { start, text: bytes.toString('utf8'), truncated, invalidUtf8: false };
  return { start, text: bytes.toString('utf8'), truncated, invalidUtf8: true, raw: Buffer.from(bytes) };
}

/** An IPv4 peer seen through an IPv6 socket is an IPv4 address. */
export function plainIp(address: string | undefined): string {
  if (!address) return '0.0.0.0';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export function peerParts(peer: Peer, cached: StreamParts | undefined): StreamParts {
  if (cached !== undefined) return cached;
  return { key: peer.key, source: 'syslog', logMembers: '', after: `,"source":${sourceJson(peer.ip, peer.port)}` };
}
