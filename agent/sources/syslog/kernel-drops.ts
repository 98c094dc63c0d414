// The kernel's count of datagrams it dropped for one UDP socket (its receive
// buffer was full): the `drops` column of /proc/net/udp and /proc/net/udp6,
// found by the socket's local address and port.
import { readFile } from 'node:fs/promises';
import { isIPv6 } from 'node:net';

/** The drops of the socket bound to `address`:`port`, or undefined when the table does not show it. */
export async function kernelUdpDrops(address: string, port: number): Promise<number | undefined> {
  const v6 = isIPv6(address);
  let table: string;
  try {
    table = await readFile(v6 ? '/proc/net/udp6' : '/proc/net/udp', 'utf8');
  } catch {
    return undefined;
  }
  return dropsIn(table, port, v6 ? undefined : hexIpv4(address));
}

/** Pure part, for tests: the drops column of the row with this local port (and IPv4 address). */
export function dropsIn(table: string, port: number, hexAddress?: string): number | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    if (!local) continue;
    const [addr, p] = local.split(':');
    if (p !== hexPort) continue;
    if (hexAddress !== undefined && addr !== hexAddress && addr !== '00000000') continue;
    const drops = Number(fields.at(-1));
    return Number.isFinite(drops) ? drops : undefined;
  }
  return undefined;
}

/** /proc/net/udp writes an IPv4 address as the hex of its bytes in host (little-endian) order. */
export function hexIpv4(address: string): string {
  const octets = address.split('.').map(Number);
  return octets
    .reverse()
    .map((o) => o.toString(16).toUpperCase().padStart(2, '0'))
    .join('');
}
