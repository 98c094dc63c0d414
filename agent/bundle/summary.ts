// SUMMARY.txt: the page a person reads first, on-site IT before sending and
// the vendor before opening anything else. Plain text, 80 columns, one
// GREEN/AMBER/RED line per finding, then the containers and the collectors.
// It is rendered from facts only and still goes through redaction when staged.
import type { CollectorRun } from '../../schemas/bundle-manifest.ts';
import type { ContainerFact, Facts, TimeWindow } from './collect/types.ts';

export type Level = 'GREEN' | 'AMBER' | 'RED';

export interface SummaryFinding {
  level: Level;
  text: string;
}

export interface SummaryInput {
  hostName: string;
  window: TimeWindow;
  createdAt: Date;
  facts: Facts;
  collectors: readonly CollectorRun[];
  /** How many files the size budget cut. */
  truncations?: number;
}

export const RESTART_LOOP = 3;
export const DISK_AMBER = 0.9;
export const DISK_RED = 0.95;
/** More than this between the engine's clock and ours is worth a look (logs will not line up). */
export const SKEW_AMBER_MS = 5_000;
const WIDTH = 80;

export function summaryFindings(input: SummaryInput): SummaryFinding[] {
  const findings: SummaryFinding[] = [];
  const { containers, disks, clock } = input.facts;
  if (containers) {
    let bad = 0;
    for (const c of containers) {
      const before = findings.length;
      if (c.oomKilled) findings.push(red(`container ${c.name} was killed for lack of memory (OOM-killed)`));
      if (c.state === 'restarting' || c.restartCount >= RESTART_LOOP) {
        findings.push(red(`container ${c.name} is restarting in a loop (restarted ${c.restartCount} times)`));
      }
      if ((c.state === 'exited' || c.state === 'dead') && c.exitCode !== undefined && c.exitCode !== 0) {
        findings.push(red(`container ${c.name} exited with code ${c.exitCode}${exitHint(c.exitCode)}`));
      }
      if (c.health === 'unhealthy') findings.push(red(`container ${c.name} is unhealthy (its health check fails)`));
      if (findings.length > before) bad++;
    }
    if (bad === 0) findings.push(green(`all ${containers.length} containers are running or exited cleanly`));
  } else {
    findings.push(amber('containers unknown: Docker could not be asked (see Collectors below)'));
  }
  if (disks) {
    let full = 0;
    for (const d of disks) {
      const used = d.sizeBytes > 0 ? d.usedBytes / d.sizeBytes : 0;
      if (used <= DISK_AMBER) continue;
      full++;
      const text = `disk ${d.mount} is ${Math.floor(used * 100)}% full (${gib(d.sizeBytes - d.usedBytes)} free)`;
      findings.push(used >= DISK_RED ? red(text) : amber(text));
    }
    if (full === 0) findings.push(green(`all ${disks.length} disks are below ${DISK_AMBER * 100}% full`));
  }
  if (clock?.ntpSynchronized === false) {
    findings.push(amber('the clock is not synchronised (NTP): log times may not match other systems'));
  }
  if (clock?.engineSkewMs !== undefined && Math.abs(clock.engineSkewMs) > SKEW_AMBER_MS) {
    findings.push(amber(`the Docker engine's clock is ${Math.round(clock.engineSkewMs / 1000)} s off this host's`));
  }
  if (clock?.ntpSynchronized === true) findings.push(green('the clock is synchronised (NTP)'));
  const incomplete = input.collectors.filter((run) => run.status === 'failed' || run.status === 'timeout');
  for (const run of incomplete) {
    const what = run.status === 'timeout' ? 'did not finish in time' : 'failed';
    findings.push(amber(`collector ${run.name} ${what}: this part of the bundle is missing or partial`));
  }
  if (incomplete.length === 0) findings.push(green('every collector finished'));
  if (input.truncations) {
    findings.push(
      amber(`${input.truncations} log file(s) were cut to fit --max-size: their oldest middle part is left out`),
    );
  }
  // Worst first, so the first lines say what matters.
  const order: Record<Level, number> = { RED: 0, AMBER: 1, GREEN: 2 };
  return findings.sort((a, b) => order[a.level] - order[b.level]);
}

export function renderSummary(input: SummaryInput): string {
  const lines: string[] = [];
  const host = input.facts.host;
  lines.push('shiplog support bundle: summary', '');
  const about = host ? [host.os, host.kernel && `kernel ${host.kernel}`].filter(Boolean).join(', ') : '';
  lines.push(...wrap(`Host:     ${input.hostName}${about ? ` (${about})` : ''}`, 10));
  lines.push(`Window:   ${iso(input.window.since)} to ${iso(input.window.until)}`);
  lines.push(`Created:  ${iso(input.createdAt)}`, '');
  lines.push('Findings');
  for (const finding of summaryFindings(input)) lines.push(...wrap(`${finding.level.padEnd(6)} ${finding.text}`, 7));
  lines.push('');
  const containers = input.facts.containers ?? [];
  lines.push(`Containers (${containers.length})`);
  if (containers.length > 0) {
    lines.push(row(['NAME', 'STATE', 'EXIT', 'RESTARTS', 'OOM', 'HEALTH', 'IMAGE']));
    for (const c of containers) lines.push(containerRow(c));
  }
  lines.push('', 'Collectors');
  for (const run of input.collectors) {
    const head = `${run.status.padEnd(8)} ${run.name.padEnd(18)} ${(run.duration_ms / 1000).toFixed(1).padStart(6)} s`;
    lines.push(head);
    if (run.error) lines.push(...wrap(`         ${run.error.message}`, 9));
  }
  return `${lines.join('\n')}\n`;
}

// 73 characters of cells and 6 separators: 79 columns.
const COLUMNS = [22, 11, 5, 9, 4, 10, 12];

function row(cells: string[]): string {
  return cells
    .map((cell, index) => padCell(cell, COLUMNS[index] ?? 10))
    .join(' ')
    .trimEnd();
}

function containerRow(c: ContainerFact): string {
  return row([
    c.name,
    c.state,
    c.exitCode === undefined ? '-' : String(c.exitCode),
    String(c.restartCount),
    c.oomKilled ? 'yes' : 'no',
    c.health ?? '-',
    c.image,
  ]);
}

function padCell(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}~` : text.padEnd(width);
}

/** Wraps at word boundaries to WIDTH, continuation lines indented by `indent`. */
export function wrap(text: string, indent: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (candidate.length <= WIDTH || line.trim() === '') {
      line = candidate;
      continue;
    }
    out.push(line);
    line = `${' '.repeat(indent)}${word}`;
  }
  out.push(line);
  // A single word longer than the width (a path) is cut, not allowed past column 80.
  return out.map((l) => (l.length > WIDTH ? `${l.slice(0, WIDTH - 1)}~` : l));
}

function exitHint(code: number): string {
  if (code === 137) return ' (killed: SIGKILL, often memory or "docker kill")';
  if (code === 143) return ' (stopped: SIGTERM)';
  return '';
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

function iso(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const red = (text: string): SummaryFinding => ({ level: 'RED', text });
const amber = (text: string): SummaryFinding => ({ level: 'AMBER', text });
const green = (text: string): SummaryFinding => ({ level: 'GREEN', text });
