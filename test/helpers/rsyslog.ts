// A private rsyslogd per test: its own config, ports, pidfile and work
// directory, so it never meets the machine's syslog or another test's daemon.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RsyslogOptions {
  udpPort?: number;
  tcpPort?: number;
  /** Every message received over UDP or TCP is appended here, one per line. */
  outFile: string;
  /**
   * rsyslog template for outFile lines (a plain string: end it with a real '\n').
   * Default: the message's own timestamp as RFC 3339, a space, the raw message as received.
   */
  template?: string;
  /** RainerScript appended to the config (e.g. imfile + omfwd to make rsyslog a sender). */
  extraConfig?: string;
}

export interface Rsyslog {
  udpPort: number;
  tcpPort: number;
  /** The daemon's own messages and anything not from the network inputs. */
  internalLog: string;
  /** SIGHUP: rsyslogd closes its output files and reopens them by name on the next write, as logrotate's postrotate makes it do. */
  reopenFiles(): void;
  stop(): Promise<void>;
}

const DEFAULT_TEMPLATE = '%timereported:::date-rfc3339% %rawmsg%\n';

/** A RainerScript string literal. */
function quote(s: string): string {
  return `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`;
}

/** A port that was free a moment ago; the kernel picks, so parallel tests do not collide. */
export async function freePort(kind: 'tcp' | 'udp'): Promise<number> {
  if (kind === 'udp') {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', resolve);
    });
    const { port } = socket.address();
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    return port;
  }
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

// A UDP bind cannot be probed from outside without sending a message that
// would land in outFile, so ask the kernel's socket table instead.
async function udpBound(port: number): Promise<boolean> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const table = await readFile('/proc/net/udp', 'utf8');
  return table.includes(`0100007F:${hexPort} `);
}

function rsyslogdPath(): string {
  return existsSync('/usr/sbin/rsyslogd') ? '/usr/sbin/rsyslogd' : 'rsyslogd';
}

export async function startRsyslog(options: RsyslogOptions): Promise<Rsyslog> {
  const udpPort = options.udpPort ?? (await freePort('udp'));
  const tcpPort = options.tcpPort ?? (await freePort('tcp'));
  const dir = await mkdtemp(join(tmpdir(), 'shiplog-rsyslog-'));
  const conf = join(dir, 'rsyslog.conf');
  const pidFile = join(dir, 'rsyslogd.pid');
  const internalLog = join(dir, 'internal.log');
  const template = options.template ?? DEFAULT_TEMPLATE;

  await writeFile(
    conf,
    // processInternalMessages keeps rsyslogd's own messages here rather than
    // handing them to the machine's syslog socket.
    `global(workDirectory=${quote(dir)} processInternalMessages="on")
module(load="imudp")
module(load="imtcp")
input(type="imudp" address="127.0.0.1" port="${udpPort}")
input(type="imtcp" address="127.0.0.1" port="${tcpPort}")
template(name="shiplogTest" type="string" string=${quote(template)})
if $inputname == "imudp" or $inputname == "imtcp" then {
  action(type="omfile" file=${quote(options.outFile)} template="shiplogTest")
} else {
  action(type="omfile" file=${quote(internalLog)})
}
${options.extraConfig ?? ''}
`,
  );

  const child = spawn(rsyslogdPath(), ['-n', '-f', conf, '-i', pidFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (output += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (output += s));
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', (err) => {
      output += String(err);
      exited = true;
      resolve();
    });
  });

  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const killed = await Promise.race([exit.then(() => true), sleep(10_000).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exit;
      }
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 20_000;
  while (!((await tcpAccepts(tcpPort)) && (await udpBound(udpPort)))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`rsyslogd did not start listening on udp/${udpPort} and tcp/${tcpPort}:\n${output}`);
    }
    await sleep(100);
  }
  const reopenFiles = (): void => {
    if (!exited) child.kill('SIGHUP');
  };
  return { udpPort, tcpPort, internalLog, reopenFiles, stop };
}
