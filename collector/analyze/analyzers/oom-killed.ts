// oom-killed: memory ran out. Two witnesses: the engine's State.OOMKilled of
// a container (its last exit was an OOM kill), and the kernel's own lines in
// the bundle's syslog files — "invoked oom-killer", "oom-kill:" (which names
// the victim's memory cgroup, and so its container's id) and "Out of memory:
// Killed process PID (NAME)" (also the cgroup-limit form "Memory cgroup out
// of memory"). Kernel lines are tied to a container through that id, or
// through the pid the two lines share; a kill outside any container is named
// by its process. One finding per container or process.
import type { AnalyzerFactory, ObservedLine } from '../analyzer.ts';
import { asNumber, asText, presentFields } from '../bundle-view.ts';
import { detached, type Evidence, type Finding, lineAt } from '../finding.ts';
import { bytes } from '../format.ts';

const maxKernelLines = 2000;
const maxLinesShown = 6;

const killedProcess = /out of memory: kill(?:ed)? process (\d+) \(([^)]*)\)/i;
const oomKill = /oom-kill:(\S+)/;
const invoked = /(\S+) invoked oom-killer/;
const containerId = /(?:^|[/-])([0-9a-f]{64})(?:\.scope)?(?:$|[/,])/;

interface KernelLine {
  readonly file: string;
  readonly line: number;
  readonly kind: 'killed' | 'oom-kill' | 'invoked';
  readonly pid?: string;
  readonly process?: string;
  readonly container?: string;
}

export const oomKilled: AnalyzerFactory = {
  name: 'oom-killed',
  create() {
    const kernel: KernelLine[] = [];
    let seen = 0;
    return {
      observe({ event }: ObservedLine) {
        if (event.shiplog.source !== 'syslog') return;
        const message = event.message;
        // Every kernel OOM line says one or the other: two native searches spare most lines the regexes.
        if (!message.includes('oom-kill') && !message.includes('of memory')) return;
        const parsed = parseKernelLine(message);
        if (!parsed) return;
        seen++;
        if (kernel.length >= maxKernelLines) return;
        kernel.push({
          file: event.shiplog.file,
          line: event.shiplog.line,
          kind: parsed.kind,
          ...(parsed.pid && { pid: detached(parsed.pid) }),
          ...(parsed.process && { process: detached(parsed.process) }),
          ...(parsed.container && { container: detached(parsed.container) }),
        });
      },
      async finish(bundle) {
        const documents = await bundle.containers();
        const names = new Map<string, string>();
        for (const { name, inspect } of documents) {
          const id = asText(inspect.Id);
          if (id) names.set(id, name);
        }
        const groups = groupKernelLines(kernel, names);
        const findings: Finding[] = [];
        for (const { name, file, inspect } of documents) {
          const group = groups.get(name);
          groups.delete(name);
          if (inspect.State?.OOMKilled !== true && !group) continue;
          const limit = asNumber(inspect.HostConfig?.Memory);
          const kills = group ? killCount(group.lines) : 0;
          findings.push({
            analyzer: 'oom-killed',
            severity: 'critical',
            title:
              `container ${name} was killed for lack of memory (OOM)` +
              (kills > 0 ? `: the kernel killed ${describeVictims(group?.lines ?? [])}` : ''),
            detail: [
              ...(limit
                ? [`Its memory limit is ${bytes(limit)}.`]
                : ['It has no memory limit of its own: the host ran out.']),
              ...(kills > 0 ? [`${kills} kill${kills === 1 ? '' : 's'} in the kernel log.`] : []),
              'Raise its memory limit, or find what grows in its container.log.',
            ].join(' '),
            key: `oom-killed:${name}`,
            evidence: [
              ...(inspect.State?.OOMKilled === true
                ? presentFields(file, inspect, [
                    ['State', 'OOMKilled'],
                    ['State', 'ExitCode'],
                  ])
                : []),
              ...(limit ? presentFields(file, inspect, [['HostConfig', 'Memory']]) : []),
              ...shown(group?.lines ?? []),
            ],
          });
        }
        for (const [subject, group] of groups) {
          const kills = killCount(group.lines);
          findings.push({
            analyzer: 'oom-killed',
            severity: 'critical',
            title: `the kernel's OOM killer killed ${describeVictims(group.lines)}${kills > 1 ? ` (${kills} times)` : ''}`,
            detail:
              `The host ran out of memory${group.container ? ` in container ${group.container}` : ''}. ` +
              'See the kernel lines around the evidence for the memory each process held.',
            key: `oom-killed:${subject}`,
            evidence: shown(group.lines),
          });
        }
        if (seen > kernel.length) {
          findings.push({
            analyzer: 'oom-killed',
            severity: 'info',
            title: `${seen} kernel OOM lines; only the first ${kernel.length} were attributed`,
            key: 'oom-killed:overflow',
            evidence: [],
          });
        }
        return findings;
      },
    };
  },
};

export function parseKernelLine(message: string): Omit<KernelLine, 'file' | 'line'> | undefined {
  const killed = killedProcess.exec(message);
  if (killed) return { kind: 'killed', pid: killed[1] as string, process: killed[2] as string };
  const kill = oomKill.exec(message);
  if (kill) {
    const fields = new Map<string, string>();
    for (const part of (kill[1] as string).split(',')) {
      const at = part.indexOf('=');
      if (at > 0) fields.set(part.slice(0, at), part.slice(at + 1));
    }
    const memcg = fields.get('task_memcg') ?? fields.get('oom_memcg') ?? '';
    const id = containerId.exec(memcg)?.[1];
    return {
      kind: 'oom-kill',
      ...(fields.get('pid') && { pid: fields.get('pid') }),
      ...(fields.get('task') && { process: fields.get('task') }),
      ...(id && { container: id }),
    };
  }
  const invoker = invoked.exec(message);
  if (invoker) return { kind: 'invoked', process: invoker[1] as string };
  return undefined;
}

interface Group {
  readonly lines: KernelLine[];
  readonly container?: string;
}

/** Kernel lines by container name (when their cgroup or pid tells) or `process:<name>`. */
function groupKernelLines(lines: readonly KernelLine[], names: ReadonlyMap<string, string>): Map<string, Group> {
  const byPid = new Map<string, string>();
  for (const line of lines) {
    if (line.kind !== 'oom-kill' || !line.pid || !line.container) continue;
    byPid.set(line.pid, names.get(line.container) ?? `container:${line.container.slice(0, 12)}`);
  }
  const groups = new Map<string, Group>();
  const waiting = new Map<string, KernelLine[]>();
  for (const line of lines) {
    if (line.kind === 'invoked') {
      const list = waiting.get(line.file) ?? [];
      list.push(line);
      waiting.set(line.file, list);
      continue;
    }
    const container =
      (line.container && (names.get(line.container) ?? `container:${line.container.slice(0, 12)}`)) ||
      (line.pid ? byPid.get(line.pid) : undefined);
    const subject = container ?? `process:${line.process ?? 'unknown'}`;
    let group = groups.get(subject);
    if (!group) {
      group = { lines: [], ...(container && { container }) };
      groups.set(subject, group);
    }
    // The "invoked oom-killer" lines just before a kill belong to it.
    group.lines.push(...(waiting.get(line.file) ?? []), line);
    waiting.delete(line.file);
  }
  return groups;
}

function killCount(lines: readonly KernelLine[]): number {
  const pids = new Set<string>();
  for (const line of lines) if (line.kind !== 'invoked') pids.add(line.pid ?? `${line.file}:${line.line}`);
  return pids.size;
}

function describeVictims(lines: readonly KernelLine[]): string {
  const victims = new Map<string, string>();
  for (const line of lines) {
    if (line.kind === 'invoked' || !line.process) continue;
    if (!victims.has(line.process)) victims.set(line.process, line.pid ?? '?');
  }
  const named = [...victims].slice(0, 3).map(([process, pid]) => `${process} (pid ${pid})`);
  return named.length > 0 ? `process ${named.join(', ')}${victims.size > 3 ? ' and others' : ''}` : 'a process';
}

function shown(lines: readonly KernelLine[]): Evidence[] {
  return lines.slice(0, maxLinesShown).map((line) => lineAt(line.file, line.line));
}
