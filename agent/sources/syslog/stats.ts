// What each listener counts, for `shiplog status` and /metrics.

export type Transport = 'udp' | 'tcp' | 'tls';

export interface ListenerStats {
  transport: Transport;
  /** The address actually bound (port 0 in the config becomes the kernel's choice). */
  address: string;
  messages: number;
  bytes: number;
  /** Cut at max_message_bytes and flagged. */
  truncated: number;
  /** Kept whole and flagged parse_failure. */
  malformed: number;
  /** TCP and TLS: open now, accepted in all, refused at max_connections, closed for idleness. */
  connections?: number;
  accepted?: number;
  refused?: number;
  idle_closed?: number;
  /** TLS: handshakes that failed (no or an untrusted client certificate, wrong protocol). */
  handshake_failed?: number;
  last_handshake_error?: string;
  /** TCP and TLS: reading is paused because the spool is full or behind. */
  paused?: boolean;
  /** UDP: datagrams we dropped because the spool was full or behind. */
  dropped_backlog?: number;
  /** UDP: datagrams the kernel dropped because the receive buffer was full (/proc/net/udp). */
  dropped_kernel?: number;
  /** UDP: the receive buffer the kernel granted. */
  receive_buffer?: number;
}
