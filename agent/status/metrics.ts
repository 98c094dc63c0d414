// Prometheus text exposition of the agent's counters, for /metrics.
import type { ComponentCounters } from '../pipeline/counters.ts';

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function metricName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

export function renderMetrics(
  components: Record<string, ComponentCounters>,
  extra: Record<string, number> = {},
): string {
  const lines: string[] = [];
  const family = (name: string, type: 'counter' | 'gauge', help: string, samples: Array<[string, number]>) => {
    if (samples.length === 0) return;
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  const entries = Object.entries(components);
  const label = (component: string, more = '') => `{component="${escapeLabel(component)}"${more}}`;
  family(
    'shiplog_events_received_total',
    'counter',
    'Events a component took in.',
    entries.map(([c, v]) => [label(c), v.received]),
  );
  family(
    'shiplog_bytes_received_total',
    'counter',
    'Bytes a component took in.',
    entries.map(([c, v]) => [label(c), v.receivedBytes]),
  );
  family(
    'shiplog_events_sent_total',
    'counter',
    'Events a component delivered onward.',
    entries.map(([c, v]) => [label(c), v.sent]),
  );
  family(
    'shiplog_events_dropped_total',
    'counter',
    'Events dropped, by component and reason.',
    entries.flatMap(([c, v]) =>
      Object.entries(v.dropped).map(([reason, n]): [string, number] => [
        label(c, `,reason="${escapeLabel(reason)}"`),
        n ?? 0,
      ]),
    ),
  );
  family(
    'shiplog_bytes_dropped_total',
    'counter',
    'Bytes lost with dropped events where the source knows them (a file rotated away unread: at least these), by component and reason.',
    entries.flatMap(([c, v]) =>
      Object.entries(v.droppedBytes ?? {}).map(([reason, n]): [string, number] => [
        label(c, `,reason="${escapeLabel(reason)}"`),
        n ?? 0,
      ]),
    ),
  );
  const gauges = new Map<string, Array<[string, number]>>();
  for (const [component, value] of entries) {
    for (const [name, n] of Object.entries(value.gauges)) {
      const metric = `shiplog_${metricName(name)}`;
      gauges.set(metric, [...(gauges.get(metric) ?? []), [label(component), n]]);
    }
  }
  for (const [metric, samples] of gauges) family(metric, 'gauge', `Gauge ${metric}.`, samples);
  for (const [name, value] of Object.entries(extra))
    family(`shiplog_${metricName(name)}`, 'gauge', `Gauge ${name}.`, [['', value]]);
  return `${lines.join('\n')}\n`;
}
