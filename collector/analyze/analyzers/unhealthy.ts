// unhealthy: a container whose health check fails, with what the last probe
// printed (docker inspect keeps the last few probes in State.Health.Log),
// its exit code and how many probes in a row failed.
import type { AnalyzerFactory } from '../analyzer.ts';
import { asNumber, asRecord, asText, presentFields } from '../bundle-view.ts';
import { clip, type Finding, fieldAt } from '../finding.ts';

export const unhealthy: AnalyzerFactory = {
  name: 'unhealthy',
  create: () => ({
    async finish(bundle) {
      const findings: Finding[] = [];
      for (const { name, file, inspect } of await bundle.containers()) {
        const health = inspect.State?.Health;
        if (asText(health?.Status) !== 'unhealthy') continue;
        const streak = asNumber(health?.FailingStreak);
        const probes = Array.isArray(health?.Log) ? (health.Log as unknown[]) : [];
        const index = probes.length - 1;
        const last = asRecord(probes[index]);
        const output = asText(last?.Output)?.trim();
        const code = asNumber(last?.ExitCode);
        const said = output ? `: ${clip(output, 120, true)}` : code !== undefined ? ` (exit code ${code})` : '';
        findings.push({
          analyzer: 'unhealthy',
          severity: 'critical',
          title: `container ${name} is unhealthy: its health check fails${said}`,
          detail: [
            ...(streak !== undefined ? [`${streak} probe${streak === 1 ? '' : 's'} in a row failed.`] : []),
            ...(last
              ? [
                  `Last probe${asText(last.Start) ? ` at ${asText(last.Start)}` : ''}` +
                    `${code !== undefined ? ` exited with ${code}` : ''}` +
                    `${output ? ` and printed:\n${clip(output, 2000)}` : ' and printed nothing.'}`,
                ]
              : ['No probe output was kept.']),
          ].join(' '),
          key: `unhealthy:${name}`,
          evidence: [
            ...presentFields(file, inspect, [
              ['State', 'Health', 'Status'],
              ['State', 'Health', 'FailingStreak'],
            ]),
            ...(last && output !== undefined
              ? [fieldAt(file, ['State', 'Health', 'Log', index, 'Output'], last.Output)]
              : []),
            ...(last && code !== undefined ? [fieldAt(file, ['State', 'Health', 'Log', index, 'ExitCode'], code)] : []),
          ],
        });
      }
      return findings;
    },
  }),
};
