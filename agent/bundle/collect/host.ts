// Host facts: OS release, kernel, uptime, CPU, memory, disk use per mount,
// clock and time zone, NTP state where `timedatectl` can tell. Every part is
// best effort: a missing file or tool leaves that part out, never fails.
import { execFile } from 'node:child_process';
import { readFile, statfs } from 'node:fs/promises';
import os from 'node:os';
import type { ClockFact, Collector, DiskFact } from './types.ts';

// Filesystems that hold data; proc, sysfs, cgroup, overlay (container roots), tmpfs... do not fill a disk.
const DISK_TYPES = /^(ext[234]|xfs|btrfs|zfs|vfat|exfat|ntfs3?|f2fs|jfs|reiserfs|nfs4?|cifs|smb3|fuseblk)$/;

export const host: Collector = {
  name: 'host',
  timeoutMs: 30_000,
  async collect(ctx) {
    const release = await readFile('/etc/os-release', 'utf8').catch(() => undefined);
    const osName = release ? /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(release)?.[1] : undefined;
    ctx.facts.host = { name: os.hostname(), os: osName, kernel: os.release(), uptimeSeconds: Math.round(os.uptime()) };
    const disks = await diskUse();
    ctx.facts.disks = disks;
    const timedate = await command('timedatectl', ['show'], ctx.signal);
    const fields = Object.fromEntries(
      (timedate ?? '').split('\n').flatMap((line) => {
        const at = line.indexOf('=');
        return at > 0 ? [[line.slice(0, at), line.slice(at + 1)]] : [];
      }),
    );
    const clock: ClockFact = {
      timezone: fields.Timezone || Intl.DateTimeFormat().resolvedOptions().timeZone,
      ntpSynchronized: fields.NTPSynchronized === undefined ? undefined : fields.NTPSynchronized === 'yes',
      engineSkewMs: undefined,
    };
    ctx.facts.clock = clock;
    const cpus = os.cpus();
    await ctx.emit('host/host.json', {
      json: {
        hostname: os.hostname(),
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
    const meminfo = await readFile('/proc/meminfo', 'utf8').catch(() => undefined);
    if (meminfo) await ctx.emit('host/meminfo.txt', meminfo);
  },
};

function parseOsRelease(text: string): [string, string][] {
  return text.split('\n').flatMap((line) => {
    const match = /^([A-Z_0-9]+)=(.*)$/.exec(line.trim());
    return match ? [[match[1] as string, (match[2] as string).replace(/^"(.*)"$/, '$1')]] : [];
  });
}

async function diskUse(): Promise<DiskFact[]> {
  const mounts = await readFile('/proc/mounts', 'utf8').catch(() => '');
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
      const fs = await statfs(mount);
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
