// The load generator of the syslog benchmark, run as its own process so its
// CPU is not the receiver's: `node bench/syslog-sender.ts tcp|udp PORT COUNT [RATE]`.
// TCP: octet-counted RFC 5424 frames, built in blocks ahead of time and
// written as fast as the receiver reads them. UDP: one message a datagram,
// paced at RATE messages per second (the rate at which drops are judged).
// Prints the seconds it spent sending.
import dgram from 'node:dgram';
import net from 'node:net';

const [transport, portText, countText, rateText] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const rate = Number(rateText ?? 0);

/**
 * A realistic RFC 5424 line of about 150 bytes; `i` makes every one
 * different. The second changes every 100,000 messages, as it does for a
 * sender at that rate.
 */
function benchMessage(i: number): string {
  const sec = String(Math.floor(i / 100_000) % 60).padStart(2, '0');
  const micros = String(i % 1_000_000).padStart(6, '0');
  return `<134>1 2026-12-05T03:12:${sec}.${micros}Z core-bank-07 payments ${1000 + (i % 50)} TXN - transfer ${i} booked for account ${(i * 7919) % 100000} amount ${(i % 997) + 0.5} EUR`;
}

async function sendTcp(): Promise<void> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const block = 2000;
  for (let i = 0; i < count; i += block) {
    const parts: string[] = [];
    for (let j = i; j < Math.min(count, i + block); j++) {
      const message = benchMessage(j);
      parts.push(`${Buffer.byteLength(message)} ${message}`);
    }
    if (!socket.write(parts.join(''))) await new Promise((resolve) => socket.once('drain', resolve));
  }
  await new Promise<void>((resolve) => socket.end(resolve));
}

async function sendUdp(): Promise<void> {
  const socket = dgram.createSocket('udp4');
  socket.connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const started = performance.now();
  let sent = 0;
  let pending = 0;
  let drained: (() => void) | undefined;
  const done = () => {
    pending--;
    if (pending < 256 && drained) {
      const wake = drained;
      drained = undefined;
      wake();
    }
  };
  while (sent < count) {
    // Paced: never ahead of RATE messages per second since the start.
    const due = Math.min(count, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    while (sent < due) {
      pending++;
      socket.send(benchMessage(sent++), done);
      if (pending >= 1024) await new Promise<void>((resolve) => (drained = resolve));
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  while (pending > 0) await new Promise((resolve) => setImmediate(resolve));
  socket.close();
}

const started = performance.now();
if (transport === 'tcp') await sendTcp();
else if (transport === 'udp') await sendUdp();
else throw new Error('usage: syslog-sender.ts tcp|udp PORT COUNT [RATE]');
process.stdout.write(`${((performance.now() - started) / 1000).toFixed(3)}\n`);
