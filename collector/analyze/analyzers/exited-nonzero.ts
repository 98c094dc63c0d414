// exited-nonzero: a container that stopped with a non-zero exit code and that
// nothing is bringing back (not restarting, not in a restart loop, which
// restart-loop reports instead), and not killed for lack of memory (which
// oom-killed reports). The exit code comes with its usual meaning.
import type { AnalyzerFactory } from '../analyzer.ts';
import { asNumber, asText, describeExit, presentFields } from '../bundle-view.ts';
import type { Finding } from '../finding.ts';
import { RESTART_LOOP } from './restart-loop.ts';

export const exitedNonzero: AnalyzerFactory = {
  name: 'exited-nonzero',
  create: () => ({
    async finish(bundle) {
      const findings: Finding[] = [];
      for (const { name, file, inspect } of await bundle.containers()) {
        const state = asText(inspect.State?.Status);
        const exit = asNumber(inspect.State?.ExitCode);
        if ((state !== 'exited' && state !== 'dead') || exit === undefined || exit === 0) continue;
        if (inspect.State?.Restarting === true || (asNumber(inspect.RestartCount) ?? 0) >= RESTART_LOOP) continue;
        // Killed for lack of memory: oom-killed names that, with more to say.
        if (inspect.State?.OOMKilled === true) continue;
        const finished = asText(inspect.State?.FinishedAt);
        const error = asText(inspect.State?.Error);
        findings.push({
          analyzer: 'exited-nonzero',
          severity: 'warning',
          title: `container ${name} exited with ${describeExit(exit)}`,
          detail: [
            ...(finished && !finished.startsWith('0001-') ? [`Stopped at ${finished}.`] : []),
            ...(error ? [`Engine error: ${error}`] : []),
            'Its last lines are at the end of its container.log.',
          ].join(' '),
          key: `exited-nonzero:${name}`,
          evidence: presentFields(file, inspect, [
            ['State', 'Status'],
            ['State', 'ExitCode'],
            ['State', 'FinishedAt'],
          ]),
        });
      }
      return findings;
    },
  }),
};
