// Host facts: OS release, kernel, uptime, CPU, memory, disk use per mount,
// clock and time zone, NTP state where `timedatectl` can tell. Every part is
// best effort: a missing file or tool leaves that part out, never fails.
// With `host_root` (the agent in a container, the host's / mounted there),
// the host's files are read under that prefix, so the bundle describes the
// host and not the container: its name, OS release, time zone and disks.
import { execFile } from 'node:child_process';
import { readFile, readlink, statfs } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { agentHostName } from '../../host-name.ts';
import type { ClockFact, Collector, DiskFact } from './types.ts';

// Filesystems that hold data; proc, sysfs, cgroup, overlay (container roots), tmpfs... do not fill a disk.
const DISK_TYPES = /^(ext[234]|xfs|btrfs|zfs|vfat|exfat|ntfs3?|f2fs|jfs|reiserfs|nfs4?|cifs|smb3|fuseblk)$/;

export const host: Collector = {
  name: 'host',
  timeoutMs: 30_000,
  async collect(ctx) {
    const root = ctx.config.host_root || undefined;
    const release = await osRelease(root);
    const osName = release ? /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(release)?.[1] : undefined;
    const name = agentHostName(ctx.config);
    ctx.facts.host = { name, os: osName, kernel: os.release(), uptimeSeconds: Math.round(os.uptime()) };
    const disks = await diskUse(root);
    ctx.facts.disks = disks;
    // timedatectl asks this machine's systemd: the host's only when not in a container.
    const timedate = root ? undefined : await command('timedatectl', ['show'], ctx.signal);
    const fields = Object.fromEntries(
      (timedate ?? '').split('\n').flatMap((line) => {
        const at = line.indexOf('=');
        return at > 0 ? [[line.slice(0, at), line.slice(at + 1)]] : [];
      }),
    );
    const clock: ClockFact = {
      timezone:
        fields.Timezone || (root && (await hostTimezone(root))) || Intl.DateTimeFormat().resolvedOptions().timeZone,
      ntpSynchronized: fields.NTPSynchronized === undefined ? undefined : fields.NTPSynchronized === 'yes',
      engineSkewMs: undefined,
    };
    ctx.facts.clock = clock;
    const cpus = os.cpus();
    await ctx.emit('host/host.json', {
      json: {
        hostname: name,
        os_release: release ? Object.fromEntries(parseOsRelease(release)) : null,
        kernel: os.release(),
        arch: os.arch(),
        uptime_seconds: Math.round(os.uptime()),
        load_average: os.loadavg(),
        cpu: { count: cpus.length, model: cpus[0]?.model ?? null },
        memory: { total_bytes: os.totalmem(), free_bytes: os.freemem() },
        clock: {
          now: new Date().toISOString(),
          timezone: clock.timezone,
          utc_offset_minutes: -new Date().getTimezoneOffset(),
          ntp_synchronized: clock.ntpSynchronized ?? null,
          timedatectl: timedate === undefined ? 'not available' : fields,
        },
        disks: disks.map((d) => ({ mount: d.mount, type: d.fsType, size_bytes: d.sizeBytes, used_bytes: d.usedBytes })),
      },
    });
    const meminfo = await readFile(join(root ?? '/', 'proc/meminfo'), 'utf8').catch(() => undefined);
    if (meminfo) await ctx.emit('host/meminfo.txt', meminfo);
  },
};

function parseOsRelease(text: string): [string, string][] {
  return text.split('\n').flatMap((line) => {
    const match = /^([A-Z_0-9]+)=(.*)$/.exec(line.trim());
    return match ? [[match[1] as string, (match[2] as string).replace(/^"(.*)"$/, '$1')]] : [];
  });
}

/**
 * /etc/os-release, else /usr/lib/os-release. Under a host root an absolute
 * symbolic link (/etc/os-release -> /usr/lib/os-release) would lead into the
 * container, so the fallback is read by its own path.
 */
async function osRelease(root: string | undefined): Promise<string | undefined> {
  for (const path of ['etc/os-release', 'usr/lib/os-release']) {
    const text = await readFile(join(root ?? '/', path), 'utf8').catch(() => undefined);
    if (text !== undefined) return text;
  }
  return undefined;
}

/** The host's zone from /etc/timezone or the /etc/localtime link, under the host root. */
async function hostTimezone(root: string): Promise<string | undefined> {
  const text = await readFile(join(root, 'etc/timezone'), 'utf8').catch(() => '');
  if (text.trim()) return text.trim();
  const link = await readlink(join(root, 'etc/localtime')).catch(() => '');
  return /zoneinfo\/(.+)$/.exec(link)?.[1];
}

/**
 * Mounted file systems and their use. Under a host root the mount table is
 * the host's init's (proc/1/mounts, as node_exporter reads it), and each
 * mount point is measured under the prefix but reported by its host path.
 */
async function diskUse(root: string | undefined): Promise<DiskFact[]> {
  let mounts = await readFile(root ? join(root, 'proc/1/mounts') : '/proc/mounts', 'utf8').catch(() => '');
  if (root && !mounts) {
    // The host's init is not ours to read: the host's file systems as this machine sees them under the prefix.
    const own = await readFile('/proc/mounts', 'utf8').catch(() => '');
    const prefix = root.replace(/\/+$/, '');
    mounts = own
      .split('\n')
      .flatMap((line) => {
        const [device, mount, ...rest] = line.split(' ');
        if (!mount || (mount !== prefix && !mount.startsWith(`${prefix}/`))) return [];
        return [[device, mount.slice(prefix.length) || '/', ...rest].join(' ')];
      })
      .join('\n');
  }
  const seen = new Set<string>();
  const disks: DiskFact[] = [];
  for (const line of mounts.split('\n')) {
    const [device, rawMount, fsType] = line.split(' ');
    if (!device || !rawMount || !fsType || !DISK_TYPES.test(fsType)) continue;
    // /proc/mounts escapes spaces and friends as octal.
    const mount = rawMount.replace(/\\([0-7]{3})/g, (_, octal: string) =>
      String.fromCharCode(Number.parseInt(octal, 8)),
    );
    // Bind mounts of one device repeat it: report each device once.
    if (seen.has(device)) continue;
    try {
      const fs = await statfs(root ? join(root, mount) : mount);
      seen.add(device);
      const size = fs.blocks * fs.bsize;
      disks.push({ mount, fsType, sizeBytes: size, usedBytes: size - fs.bfree * fs.bsize });
    } catch {
      // Not ours to read (permissions) or gone: left out.
    }
  }
  return disks;
}

/** stdout of a tool, or undefined when it is absent or fails. */
function command(file: string, args: string[], signal: AbortSignal): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 10_000, signal, encoding: 'utf8' }, (error, stdout) =>
      resolve(error ? undefined : stdout),
    );
  });
}
