// Generates the mixed log corpus the benchmarks read: traditional and
// high-precision syslog lines, JSON application lines and, now and then, a
// Java stack trace. Deterministic for a given size, so runs compare.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

const apps = ['payments', 'ledger', 'gateway', 'sshd', 'kernel', 'systemd', 'auth-svc'];
const words = [
  'started',
  'request',
  'completed',
  'retrying',
  'connection',
  'user',
  'batch',
  'settled',
  'timeout',
  'cache',
];

function* lines(count: number): Generator<string> {
  // mulberry32: a small PRNG whose low bits are as random as its high ones
  // (an LCG's are not: r % 100 never reached the stack-trace branch).
  let seed = 42;
  const next = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  const start = Date.UTC(2026, 10, 25, 0, 0, 0);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  let emitted = 0;
  while (emitted < count) {
    const r = next();
    const time = new Date(start + emitted * 3);
    const app = apps[r % apps.length] ?? 'app';
    const pid = 1000 + (r % 5000);
    const text = `${words[r % words.length]} ${words[(r >> 4) % words.length]} id=${r % 100000} took=${r % 900}ms`;
    const kind = r % 100;
    if (kind < 45) {
      const day = String(time.getUTCDate()).padStart(2, ' ');
      const hms = time.toISOString().slice(11, 19);
      yield `${months[time.getUTCMonth()]} ${day} ${hms} app-01 ${app}[${pid}]: ${text}`;
    } else if (kind < 75) {
      yield `${time.toISOString().replace('Z', '123+00:00')} app-01 ${app}[${pid}]: ${text}`;
    } else if (kind < 98) {
      yield `${time.toISOString()} app-01 ${app}[${pid}]: ${JSON.stringify({ level: 'info', msg: text, tenant: `t${r % 40}`, latency_ms: r % 900 })}`;
    } else {
      yield `${time.toISOString()} app-01 ${app}[${pid}]: java.lang.IllegalStateException: ledger entry ${r % 1000} not balanced`;
      yield '\tat com.vendor.ledger.Posting.apply(Posting.java:214)';
      yield '\tat com.vendor.ledger.Batch.run(Batch.java:88)';
      yield '\t... 12 more';
      emitted += 3;
    }
    emitted++;
  }
}

/** Writes `count` lines to `path` and returns the byte size. */
export async function writeCorpus(path: string, count: number): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  let chunk: string[] = [];
  for (const line of lines(count)) {
    chunk.push(line);
    if (chunk.length === 10_000) {
      const text = `${chunk.join('\n')}\n`;
      bytes += Buffer.byteLength(text);
      if (!out.write(text)) await once(out, 'drain');
      chunk = [];
    }
  }
  if (chunk.length > 0) {
    const text = `${chunk.join('\n')}\n`;
    bytes += Buffer.byteLength(text);
    out.write(text);
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}
