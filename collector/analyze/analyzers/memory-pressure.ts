// memory-pressure: the host had less than MEMORY_WARNING of its memory
// available when the bundle was made (under MEMORY_CRITICAL is critical).
// host/meminfo.txt's MemAvailable is the kernel's own estimate of what can
// be used without swapping; without it (old kernels) MemFree + Buffers +
// Cached; without meminfo.txt, host/host.json's memory.free_bytes.
import type { AnalyzerFactory } from '../analyzer.ts';
import { asNumber, asRecord } from '../bundle-view.ts';
import { type Evidence, type Finding, fieldAt, lineAt } from '../finding.ts';
import { bytes } from '../format.ts';

export const MEMORY_WARNING = 0.1;
export const MEMORY_CRITICAL = 0.05;
const meminfoFile = 'host/meminfo.txt';
const hostFile = 'host/host.json';

interface Reading {
  readonly total: number;
  readonly available: number;
  readonly evidence: Evidence[];
  readonly source: string;
}

export const memoryPressure: AnalyzerFactory = {
  name: 'memory-pressure',
  create: () => ({
    async finish(bundle) {
      const reading = fromMeminfo(await bundle.text(meminfoFile)) ?? fromHost(await bundle.json(hostFile));
      if (!reading || reading.total <= 0) return [];
      const share = reading.available / reading.total;
      if (share >= MEMORY_WARNING) return [];
      const finding: Finding = {
        analyzer: 'memory-pressure',
        severity: share < MEMORY_CRITICAL ? 'critical' : 'warning',
        title: `the host is short of memory: ${(share * 100).toFixed(1)}% available (${bytes(reading.available)} of ${bytes(reading.total)})`,
        detail:
          `From ${reading.source}, when the bundle was made. Near zero the kernel's OOM killer ends processes; ` +
          'look for containers without a memory limit and for oom-killed findings.',
        key: 'memory-pressure:host',
        evidence: reading.evidence,
      };
      return [finding];
    },
  }),
};

function fromMeminfo(text: string | undefined): Reading | undefined {
  if (!text) return undefined;
  const values = new Map<string, { kib: number; line: number }>();
  text.split('\n').forEach((row, index) => {
    const match = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?\s*$/.exec(row);
    if (match) values.set(match[1] as string, { kib: Number(match[2]), line: index + 1 });
  });
  const total = values.get('MemTotal');
  if (!total) return undefined;
  const available = values.get('MemAvailable');
  const parts = available ? [available] : ['MemFree', 'Buffers', 'Cached'].map((name) => values.get(name));
  if (parts.some((part) => part === undefined)) return undefined;
  const present = parts as { kib: number; line: number }[];
  return {
    total: total.kib * 1024,
    available: present.reduce((sum, part) => sum + part.kib, 0) * 1024,
    evidence: [lineAt(meminfoFile, total.line), ...present.map((part) => lineAt(meminfoFile, part.line))],
    source: available ? 'MemAvailable in host/meminfo.txt' : 'MemFree + Buffers + Cached in host/meminfo.txt',
  };
}

function fromHost(document: unknown): Reading | undefined {
  const memory = asRecord(asRecord(document)?.memory);
  const total = asNumber(memory?.total_bytes);
  const free = asNumber(memory?.free_bytes);
  if (total === undefined || free === undefined) return undefined;
  return {
    total,
    available: free,
    evidence: [fieldAt(hostFile, ['memory', 'free_bytes'], free), fieldAt(hostFile, ['memory', 'total_bytes'], total)],
    source: 'memory.free_bytes in host/host.json',
  };
}
