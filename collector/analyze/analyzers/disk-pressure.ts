// disk-pressure: a mounted file system of the host above DISK_WARNING of its
// space used (DISK_CRITICAL and up is critical), from host/host.json's
// `disks`; the same for inodes when the bundle records them (`inodes_total`
// with `inodes_used` or `inodes_free` on a disk). A full disk is behind many
// failures that look like something else: writes fail, databases stop,
// containers cannot start, and logs stop mid-sentence.
import type { AnalyzerFactory } from '../analyzer.ts';
import { asNumber, asRecord, asText } from '../bundle-view.ts';
import { type Finding, fieldAt, type Severity } from '../finding.ts';
import { bytes } from '../format.ts';

export const DISK_WARNING = 0.9;
export const DISK_CRITICAL = 0.95;
const hostFile = 'host/host.json';

export const diskPressure: AnalyzerFactory = {
  name: 'disk-pressure',
  create: () => ({
    async finish(bundle) {
      const disks = asRecord(await bundle.json(hostFile))?.disks;
      if (!Array.isArray(disks)) return [];
      const findings: Finding[] = [];
      disks.forEach((entry, index) => {
        const disk = asRecord(entry);
        const mount = asText(disk?.mount);
        if (!disk || !mount) return;
        const size = asNumber(disk.size_bytes);
        const used = asNumber(disk.used_bytes);
        if (size && size > 0 && used !== undefined && used / size > DISK_WARNING) {
          const share = used / size;
          findings.push({
            analyzer: 'disk-pressure',
            severity: severityOf(share),
            title: `disk ${mount} is ${percent(share)} full (${bytes(size - used)} free of ${bytes(size)})`,
            detail:
              `${asText(disk.type) ? `File system ${asText(disk.type)}. ` : ''}` +
              'Writes fail when it is full: databases stop, containers cannot start, logs are cut.',
            key: `disk-pressure:${mount}`,
            evidence: [
              fieldAt(hostFile, ['disks', index, 'used_bytes'], used),
              fieldAt(hostFile, ['disks', index, 'size_bytes'], size),
            ],
          });
        }
        const inodes = asNumber(disk.inodes_total);
        const inodesUsed =
          asNumber(disk.inodes_used) ??
          (inodes !== undefined && asNumber(disk.inodes_free) !== undefined
            ? inodes - (asNumber(disk.inodes_free) as number)
            : undefined);
        if (inodes && inodes > 0 && inodesUsed !== undefined && inodesUsed / inodes > DISK_WARNING) {
          const share = inodesUsed / inodes;
          findings.push({
            analyzer: 'disk-pressure',
            severity: severityOf(share),
            title: `disk ${mount} has ${percent(share)} of its inodes used (${inodes - inodesUsed} left)`,
            detail: 'With no inode left no file can be created, however much space is free: look for many small files.',
            key: `disk-pressure:inodes:${mount}`,
            evidence: [
              fieldAt(hostFile, ['disks', index, 'inodes_total'], inodes),
              ...('inodes_used' in disk
                ? [fieldAt(hostFile, ['disks', index, 'inodes_used'], disk.inodes_used)]
                : [fieldAt(hostFile, ['disks', index, 'inodes_free'], disk.inodes_free)]),
            ],
          });
        }
      });
      return findings;
    },
  }),
};

function severityOf(share: number): Severity {
  return share >= DISK_CRITICAL ? 'critical' : 'warning';
}

function percent(share: number): string {
  return `${Math.floor(share * 100)}%`;
}
