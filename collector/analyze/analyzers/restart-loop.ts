// restart-loop: a container the engine keeps restarting — restarted at least
// RESTART_LOOP times, or caught in the `restarting` state — with the exit
// code it last died with, what that code usually means, and its restart
// policy. The same threshold as SUMMARY.txt, so both name the same containers.
import type { AnalyzerFactory } from '../analyzer.ts';
import { asNumber, asText, describeExit, presentFields } from '../bundle-view.ts';
import type { Finding } from '../finding.ts';

export const RESTART_LOOP = 3;

export const restartLoop: AnalyzerFactory = {
  name: 'restart-loop',
  create: () => ({
    async finish(bundle) {
      const findings: Finding[] = [];
      for (const { name, file, inspect } of await bundle.containers()) {
        const restarts = asNumber(inspect.RestartCount) ?? 0;
        const state = asText(inspect.State?.Status);
        const restarting = state === 'restarting' || inspect.State?.Restarting === true;
        if (!restarting && restarts < RESTART_LOOP) continue;
        const exit = asNumber(inspect.State?.ExitCode);
        const policy = asText(inspect.HostConfig?.RestartPolicy?.Name);
        const error = asText(inspect.State?.Error);
        const facts = [
          `restarted ${restarts} time${restarts === 1 ? '' : 's'}`,
          ...(exit !== undefined ? [`last ${describeExit(exit)}`] : []),
        ];
        findings.push({
          analyzer: 'restart-loop',
          severity: 'critical',
          title: `container ${name} is restarting in a loop (${facts.join(', ')})`,
          detail: [
            `State: ${state ?? 'unknown'}${restarting ? ' (the engine is about to start it again)' : ''}.`,
            ...(policy ? [`Restart policy: ${policy}.`] : []),
            ...(error ? [`Engine error: ${error}`] : []),
            'Its last lines before each exit are in its container.log.',
          ].join(' '),
          key: `restart-loop:${name}`,
          evidence: presentFields(file, inspect, [
            ['RestartCount'],
            ['State', 'Status'],
            ['State', 'ExitCode'],
            ['State', 'Error'],
            ['HostConfig', 'RestartPolicy', 'Name'],
          ]).filter((field) => field.path !== '/State/Error' || field.value !== ''),
        });
      }
      return findings;
    },
  }),
};
