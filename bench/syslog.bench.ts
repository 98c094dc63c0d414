// `npm run bench -- syslog`: the syslog listener beside rsyslog, in the same
// run on the same machine, each receiving the same generated RFC 5424
// messages (about 150 bytes) into its local store:
//   TCP, octet counting, as fast as the receiver reads   shiplog agent -> spool  vs  imtcp -> omfile
//   UDP, paced at the goal rate, drops counted          shiplog agent -> spool  vs  imudp -> omfile
// Goals: TCP >= 200,000 msg/s; UDP >= 100,000 msg/s with no drop; CPU per
// message no more than 1.5x rsyslog's.
// And the forward to a SIEM: the agent's spool holds the messages while the
// SIEM (rsyslog imtcp -> omfile) is away; from the first line that reaches it
// to the last, how fast the syslog_forward sink drains the spool over TCP.
//
// Both receivers are daemons, measured whole under /usr/bin/time (CPU
// seconds and peak RSS include start-up and idle time); the rate is counted
// from the sender's first byte until the last message is stored (shiplog:
// its status endpoint says every message was read and spooled; rsyslog: its
// output file holds every line). The sender is its own process
// (bench/syslog-sender.ts), so its CPU is counted for neither.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { asUser, type BenchRow, type BenchSuite, cpuSeconds, ensureService, freePort, memoryMb } from './harness.ts';
import { measureDaemon } from './ship.bench.ts';

const ROOT = join(import.meta.dirname, '..');
const SHIPLOG = join(ROOT, 'bin', 'shiplog.js');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const SENDER = join(import.meta.dirname, 'syslog-sender.ts');
const SUITE = 'syslog';
const TCP_GOAL = 200_000;
const UDP_GOAL = 100_000;

interface Sender {
  child: ChildProcess;
  startedAt: number;
  done: boolean;
  sendSeconds: number | undefined;
}

function startSender(transport: 'tcp' | 'udp', port: number, count: number, rate = 0): Sender {
  const child = spawn(NODE, [SENDER, transport, String(port), String(count), String(rate)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const sender: Sender = { child, startedAt: performance.now(), done: false, sendSeconds: undefined };
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.on('close', () => {
    sender.done = true;
    sender.sendSeconds = Number(out.trim()) || undefined;
  });
  return sender;
}

/** What a receiver has taken in so far. */
interface Progress {
  ready: boolean;
  received: number;
  /** Everything received is stored (shiplog: nothing pending before the spool). */
  settled: boolean;
  /** Drops the receiver itself counted (shiplog: ours and the kernel's). */
  counted_drops: number;
}

interface Run {
  /** From the sender's start until the last message was stored (or the count stopped changing). */
  window_s: number;
  received: number;
  cpu_s: number;
  peak_rss_mb: number;
  counted_drops: number;
  send_s: number | undefined;
}

/**
 * Starts the receiver under /usr/bin/time, waits until it is ready, starts
 * the sender, and waits until every message is stored or, after the sender
 * finished, the count has not changed for two seconds (UDP drops).
 */
async function receive(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  progress: () => Promise<Progress>,
  transport: 'tcp' | 'udp',
  port: number,
  count: number,
  rate?: number,
): Promise<Run> {
  let sender: Sender | undefined;
  let finishedAt = 0;
  let last: Progress = { ready: false, received: 0, settled: false, counted_drops: 0 };
  let stableSince = 0;
  const run = await measureDaemon(command, args, {
    env,
    cwd: ROOT,
    pollMs: 50,
    timeoutMs: 600_000,
    until: async () => {
      const now = await progress().catch(() => last);
      if (!sender) {
        if (now.ready) sender = startSender(transport, port, count, rate);
        last = now;
        return { done: false, result: 0 };
      }
      if (now.received !== last.received) stableSince = performance.now();
      last = now;
      const complete = now.received >= count && now.settled;
      const gaveUp = sender.done && now.settled && performance.now() - stableSince > 2000;
      if (complete || gaveUp) {
        finishedAt = complete ? performance.now() : stableSince;
        return { done: true, result: 0 };
      }
      return { done: false, result: 0 };
    },
  });
  sender?.child.kill();
  return {
    window_s: sender ? (finishedAt - sender.startedAt) / 1000 : Number.NaN,
    received: last.received,
    cpu_s: run.measure.cpu_s,
    peak_rss_mb: Math.round(run.measure.peak_rss_mb * 10) / 10,
    counted_drops: last.counted_drops,
    send_s: sender?.sendSeconds,
  };
}

// --------------------------------------------------------------- shiplog

interface ListenerJson {
  transport: string;
  messages: number;
  dropped_backlog?: number;
  dropped_kernel?: number;
}

async function shiplog(workDir: string, transport: 'tcp' | 'udp', count: number, rate?: number): Promise<Run> {
  const port = await freePort();
  const statusPort = await freePort();
  const env = asUser({
    ...process.env,
    SHIPLOG_DATA_DIR: join(workDir, `shiplog-${transport}-${Date.now()}`),
    SHIPLOG_SOURCES_DOCKER_ENABLED: 'false',
    SHIPLOG_SOURCES_FILES_ENABLED: 'false',
    SHIPLOG_SOURCES_SYSLOG_TIMEZONE: 'UTC',
    [`SHIPLOG_SOURCES_SYSLOG_${transport.toUpperCase()}_LISTEN`]: `127.0.0.1:${port}`,
    SHIPLOG_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
    SHIPLOG_LOG_LEVEL: 'warn',
  });
  const progress = async (): Promise<Progress> => {
    const response = await fetch(`http://127.0.0.1:${statusPort}/status`);
    const status = (await response.json()) as {
      sources: { syslog?: { listeners: ListenerJson[]; pending_bytes: number } };
    };
    const syslog = status.sources.syslog;
    const listener = syslog?.listeners[0];
    return {
      ready: listener !== undefined,
      received: listener?.messages ?? 0,
      settled: syslog?.pending_bytes === 0,
      counted_drops: (listener?.dropped_backlog ?? 0) + (listener?.dropped_kernel ?? 0),
    };
  };
  return receive(SHIPLOG, ['agent'], env, progress, transport, port, count, rate);
}

// --------------------------------------------------------------- rsyslog

/** Counts the lines rsyslog has written so far, reading only what is new. */
function lineCounter(file: string): () => number {
  let offset = 0;
  let lines = 0;
  const buffer = Buffer.allocUnsafe(1 << 20);
  return () => {
    let size = 0;
    try {
      size = statSync(file).size;
    } catch {
      return 0;
    }
    if (size <= offset) return lines;
    const fd = openSync(file, 'r');
    try {
      while (offset < size) {
        const read = readSync(fd, buffer, 0, buffer.length, offset);
        if (read === 0) break;
        for (let i = buffer.indexOf(0x0a); i >= 0 && i < read; i = buffer.indexOf(0x0a, i + 1)) lines++;
        offset += read;
      }
    } finally {
      closeSync(fd);
    }
    return lines;
  };
}

async function udpBound(port: number): Promise<boolean> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return (await readFile('/proc/net/udp', 'utf8')).includes(`0100007F:${hexPort} `);
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function rsyslog(workDir: string, transport: 'tcp' | 'udp', count: number, rate?: number): Promise<Run> {
  const port = await freePort();
  const dir = join(workDir, `rsyslog-${transport}-${Date.now()}`);
  const out = join(dir, 'received.log');
  await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
  const input =
    transport === 'tcp'
      ? `module(load="imtcp")\ninput(type="imtcp" address="127.0.0.1" port="${port}" ruleset="bench")`
      : `module(load="imudp")\ninput(type="imudp" address="127.0.0.1" port="${port}" ruleset="bench" rcvbufSize="4m")`;
  const conf = join(dir, 'rsyslog.conf');
  await writeFile(
    conf,
    `global(workDirectory="${dir}" maxMessageSize="64k" processInternalMessages="on")
main_queue(queue.type="FixedArray" queue.size="100000" queue.dequeueBatchSize="2048")
${input}
ruleset(name="bench" queue.type="FixedArray" queue.size="100000" queue.dequeueBatchSize="2048") {
  action(type="omfile" file="${out}")
}
`,
  );
  const lines = lineCounter(out);
  const progress = async (): Promise<Progress> => {
    const ready = transport === 'tcp' ? await tcpAccepts(port) : await udpBound(port);
    // A readiness probe over TCP is a connection, not a message: it writes nothing.
    return { ready, received: lines(), settled: true, counted_drops: 0 };
  };
  return receive(
    '/usr/sbin/rsyslogd',
    ['-n', '-f', conf, '-i', join(dir, 'pid')],
    process.env,
    progress,
    transport,
    port,
    count,
    rate,
  );
}

// --------------------------------------------------------------- forward

interface ForwardStatus {
  sources: { syslog?: { listeners: ListenerJson[]; pending_bytes: number } };
  spool?: { readers?: Record<string, { lagRecords: number }> };
}

async function waitFor(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function forward(workDir: string, count: number): Promise<BenchRow> {
  const [listen, siemPort, statusPort] = [await freePort(), await freePort(), await freePort()];
  const dir = join(workDir, `forward-${Date.now()}`);
  await mkdir(dir, { recursive: true });
  const out = join(dir, 'siem.log');
  const agent = spawn(NODE, [SHIPLOG, 'agent'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: asUser({
      ...process.env,
      SHIPLOG_DATA_DIR: join(dir, 'data'),
      SHIPLOG_SOURCES_DOCKER_ENABLED: 'false',
      SHIPLOG_SOURCES_FILES_ENABLED: 'false',
      SHIPLOG_SOURCES_SYSLOG_TIMEZONE: 'UTC',
      SHIPLOG_SOURCES_SYSLOG_TCP_LISTEN: `127.0.0.1:${listen}`,
      SHIPLOG_SYSLOG_FORWARD_ADDRESS: `127.0.0.1:${siemPort}`,
      SHIPLOG_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
      SHIPLOG_LOG_LEVEL: 'error',
    }),
  });
  let siem: ChildProcess | undefined;
  try {
    const status = async (): Promise<ForwardStatus | undefined> =>
      fetch(`http://127.0.0.1:${statusPort}/status`)
        .then((r) => r.json() as Promise<ForwardStatus>)
        .catch(() => undefined);
    await waitFor('the agent to listen', async () => ((await status())?.sources.syslog?.listeners.length ?? 0) > 0);
    startSender('tcp', listen, count);
    await waitFor(
      'every message in the spool',
      async () => (await status())?.spool?.readers?.syslog_forward?.lagRecords === count,
    );
    const conf = join(dir, 'rsyslog.conf');
    await writeFile(
      conf,
      `global(workDirectory="${dir}" maxMessageSize="64k" processInternalMessages="on")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="${siemPort}" ruleset="siem")
ruleset(name="siem" queue.type="FixedArray" queue.size="100000" queue.dequeueBatchSize="2048") {
  action(type="omfile" file="${out}")
}
`,
    );
    siem = spawn('/usr/sbin/rsyslogd', ['-n', '-f', conf, '-i', join(dir, 'pid')], { stdio: 'ignore' });
    const lines = lineCounter(out);
    let firstAt = 0;
    let atFirst = 0;
    let cpuAtFirst = 0;
    await waitFor('the SIEM to hold every message', () => {
      const n = lines();
      if (n > 0 && firstAt === 0) {
        firstAt = performance.now();
        atFirst = n;
        cpuAtFirst = cpuSeconds(agent.pid) ?? 0;
      }
      return n >= count;
    });
    const window_s = (performance.now() - firstAt) / 1000;
    const cpu_s = (cpuSeconds(agent.pid) ?? 0) - cpuAtFirst;
    const moved = count - atFirst;
    return {
      suite: SUITE,
      subject: 'shiplog syslog_forward (TCP, octet counting, RFC 5424) -> rsyslog imtcp',
      work: moved,
      unit: 'msg',
      wall_s: Math.round(window_s * 100) / 100,
      cpu_s: Math.round(cpu_s * 100) / 100,
      peak_rss_mb: Math.round((memoryMb(agent.pid, 'VmHWM') ?? 0) * 10) / 10,
      rate: Math.round(moved / window_s),
      note: `drained from the spool; ${((cpu_s / Math.max(moved, 1)) * 1e6).toFixed(2)} CPU s per 1M msg (the agent's, while forwarding)`,
    };
  } finally {
    // Waited for: the suite's directory is removed next, and a stopping agent still writes into it.
    const exited = (child: ChildProcess) =>
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const stopping = [agent, ...(siem ? [siem] : [])].map((child) => {
      const done = exited(child);
      child.kill('SIGTERM');
      return done;
    });
    await Promise.all(stopping);
  }
}

// --------------------------------------------------------------- rows

function rows(transport: 'tcp' | 'udp', count: number, ours: Run, peer: Run, rate?: number): BenchRow[] {
  const perMillion = (run: Run) => (run.cpu_s / Math.max(run.received, 1)) * 1e6;
  const make = (subject: string, run: Run, goal: number | undefined, note: string): BenchRow => {
    const lost = count - run.received;
    const measured = transport === 'tcp' ? run.received / run.window_s : lost === 0 ? (rate ?? 0) : 0;
    return {
      suite: SUITE,
      subject,
      work: run.received,
      unit: 'msg',
      wall_s: Math.round(run.window_s * 100) / 100,
      cpu_s: run.cpu_s,
      peak_rss_mb: run.peak_rss_mb,
      rate: Math.round(measured),
      ...(goal === undefined ? {} : { goal }),
      note: `${note}; ${perMillion(run).toFixed(2)} CPU s per 1M msg${transport === 'udp' ? `; lost ${lost} of ${count}` : ''}`,
    };
  };
  const cpuRatio = perMillion(ours) / perMillion(peer);
  const label = transport === 'tcp' ? 'TCP octet counting' : `UDP paced at ${rate} msg/s`;
  const oursRow = make(
    `shiplog agent (${label})`,
    ours,
    transport === 'tcp' ? TCP_GOAL : UDP_GOAL,
    `CPU per msg ${cpuRatio.toFixed(2)}x rsyslog (goal <= 1.5x)` +
      (transport === 'udp' ? `, drops counted by shiplog ${ours.counted_drops}` : '') +
      (transport === 'tcp'
        ? `, ${(ours.received / ours.window_s / (peer.received / peer.window_s)).toFixed(2)}x rsyslog's rate`
        : ''),
  );
  const peerRow = make(`rsyslog im${transport} -> omfile`, peer, undefined, 'peer');
  return [oursRow, peerRow];
}

const suite: BenchSuite = {
  name: 'syslog listener (TCP, UDP) beside rsyslog',
  async run(ctx) {
    ensureService('rsyslog');
    const tcpCount = ctx.quick ? 200_000 : 2_000_000;
    const udpCount = ctx.quick ? 200_000 : 1_000_000;
    const out: BenchRow[] = [];
    const tcpOurs = await shiplog(ctx.workDir, 'tcp', tcpCount);
    const tcpPeer = await rsyslog(ctx.workDir, 'tcp', tcpCount);
    out.push(...rows('tcp', tcpCount, tcpOurs, tcpPeer));
    const udpOurs = await shiplog(ctx.workDir, 'udp', udpCount, UDP_GOAL);
    const udpPeer = await rsyslog(ctx.workDir, 'udp', udpCount, UDP_GOAL);
    out.push(...rows('udp', udpCount, udpOurs, udpPeer, UDP_GOAL));
    out.push(await forward(ctx.workDir, ctx.quick ? 100_000 : 500_000));
    return out;
  },
};

export default suite;
