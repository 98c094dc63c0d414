// clock-skew: times that cannot all be right. Logs from hosts whose clocks
// disagree do not line up, and a clock that jumps breaks TLS, tokens and
// schedules. Checked:
//   - NTP: host/host.json says the clock is not synchronised;
//   - the host's clock against the bundle's: host.json's clock.now is read
//     during collection and manifest.created_at at its end, so clock.now must
//     lie before created_at, by no more than the collection took;
//   - the Docker engine's clock (docker/info.json SystemTime, read during
//     collection too) against the host's, with the same allowance;
//   - the bundle against the collector: a bundle made more than FUTURE_MS
//     after it was received was made by a clock that runs ahead;
//   - log lines stamped more than FUTURE_MS after the bundle was made: the
//     engine's clock ran ahead, the host's clock was set back, or a syslog
//     file is read in the wrong time zone (a whole number of hours off).
import type { AnalyzerFactory, ObservedLine } from '../analyzer.ts';
import { asRecord, asText } from '../bundle-view.ts';
import { type Evidence, type Finding, fieldAt, lineAt } from '../finding.ts';
import { span as seconds } from '../format.ts';

/** Lines and bundles may be this far ahead of the time they were collected or received. */
export const FUTURE_MS = 5 * 60_000;
/** Beyond the time the collectors took, what two clocks read during collection may differ by this. */
export const SKEW_SLACK_MS = 60_000;
const examplesPerFile = 5;
const maxFiles = 200;
const hostFile = 'host/host.json';
const infoFile = 'docker/info.json';

interface FutureFile {
  readonly subject: string;
  count: number;
  maxMs: number;
  readonly lines: Evidence[];
}

export const clockSkew: AnalyzerFactory = {
  name: 'clock-skew',
  create(context) {
    const createdMs = context.createdAt ? Date.parse(context.createdAt) : Number.NaN;
    const limitMs = createdMs + FUTURE_MS;
    const limit = Number.isFinite(limitMs) ? new Date(limitMs).toISOString() : undefined;
    // No offset in the world is more than 14 h from UTC: a local time string below this is never past the limit.
    const rough = Number.isFinite(limitMs) ? new Date(limitMs - 15 * 3600_000).toISOString() : undefined;
    const future = new Map<string, FutureFile>();
    return {
      observe({ event }: ObservedLine) {
        if (limit === undefined || rough === undefined) return;
        const stamp = event['@timestamp'];
        if (stamp < rough) return;
        const source = event.shiplog.source;
        if (source === 'host') return;
        const zulu = stamp.charCodeAt(stamp.length - 1) === 90;
        if (zulu ? stamp <= limit : !(Date.parse(stamp) > limitMs)) return;
        const file = event.shiplog.file;
        let entry = future.get(file);
        if (!entry) {
          if (future.size >= maxFiles) return;
          const subject = event.container?.name ? `container ${event.container.name}` : file;
          entry = { subject, count: 0, maxMs: 0, lines: [] };
          future.set(file, entry);
        }
        entry.count++;
        const ms = Date.parse(stamp);
        if (ms > entry.maxMs) entry.maxMs = ms;
        if (entry.lines.length < examplesPerFile) entry.lines.push(lineAt(file, event.shiplog.line));
      },
      async finish(bundle) {
        const findings: Finding[] = [];
        const host = asRecord(await bundle.json(hostFile));
        const clock = asRecord(host?.clock);
        const created = bundle.createdAtMs;
        const collection = bundle.manifest.collectors.reduce((sum, run) => sum + run.duration_ms, 0);
        if (clock?.ntp_synchronized === false) {
          findings.push({
            analyzer: 'clock-skew',
            severity: 'warning',
            title: "the host's clock is not synchronised (NTP)",
            detail: 'Its log times may drift from other systems. Check chronyd or systemd-timesyncd on the host.',
            key: 'clock-skew:ntp',
            evidence: [fieldAt(hostFile, ['clock', 'ntp_synchronized'], false)],
          });
        }
        const hostNow = Date.parse(asText(clock?.now) ?? '');
        if (Number.isFinite(hostNow) && Number.isFinite(created)) {
          const ahead = hostNow - created;
          const behind = created - hostNow - collection;
          if (ahead > SKEW_SLACK_MS || behind > SKEW_SLACK_MS) {
            findings.push({
              analyzer: 'clock-skew',
              severity: 'warning',
              title: `the host's clock jumped during collection: it read ${asText(clock?.now)}, the bundle was sealed at ${bundle.manifest.created_at}`,
              detail:
                `The collectors took ${seconds(collection)} in all, so the two should be at most that far apart; ` +
                `they are ${seconds(Math.abs(hostNow - created))} apart. Something set the clock while the bundle was made.`,
              key: 'clock-skew:host',
              evidence: [
                fieldAt(hostFile, ['clock', 'now'], clock?.now),
                fieldAt('manifest.json', ['created_at'], bundle.manifest.created_at),
              ],
            });
          }
        }
        const engineTime = asText(asRecord(await bundle.json(infoFile))?.SystemTime);
        const engineMs = Date.parse(engineTime ?? '');
        if (Number.isFinite(engineMs) && Number.isFinite(hostNow)) {
          const apart = Math.abs(engineMs - hostNow);
          if (apart > collection + SKEW_SLACK_MS) {
            findings.push({
              analyzer: 'clock-skew',
              severity: 'warning',
              title: `the Docker engine's clock is ${seconds(apart)} ${engineMs > hostNow ? 'ahead of' : 'behind'} the host's`,
              detail: "Container log times come from the engine's clock; they will not line up with the host's syslog.",
              key: 'clock-skew:engine',
              evidence: [
                fieldAt(infoFile, ['SystemTime'], engineTime),
                fieldAt(hostFile, ['clock', 'now'], clock?.now),
              ],
            });
          }
        }
        const received = context.receivedAt ? Date.parse(context.receivedAt) : Number.NaN;
        if (Number.isFinite(received) && Number.isFinite(created) && created - received > FUTURE_MS) {
          findings.push({
            analyzer: 'clock-skew',
            severity: 'warning',
            title: `the host's clock runs at least ${seconds(created - received)} ahead: the bundle says it was made after it arrived here`,
            detail: `Made at ${bundle.manifest.created_at} by its own account, received at ${context.receivedAt}.`,
            key: 'clock-skew:ahead',
            evidence: [fieldAt('manifest.json', ['created_at'], bundle.manifest.created_at)],
          });
        }
        for (const entry of future.values()) {
          const ahead = entry.maxMs - created;
          const hours = ahead / 3600_000;
          const zone = hours >= 0.9 && Math.abs(hours * 2 - Math.round(hours * 2)) * 30 < 3;
          findings.push({
            analyzer: 'clock-skew',
            severity: 'warning',
            title: `${entry.count} line${entry.count === 1 ? '' : 's'} of ${entry.subject} are stamped after the bundle was made (up to ${seconds(ahead)} ahead)`,
            detail: zone
              ? 'About a whole number of hours: most likely a time zone mismatch (a syslog file written in local time read as another zone).'
              : "The clock that stamped them (the engine's, or the host's before it was set back) ran ahead.",
            key: `clock-skew:future:${entry.subject.replace(/^container /, '')}`,
            evidence: entry.lines,
          });
        }
        return findings;
      },
    };
  },
};
