import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { certificateExpiry } from '../../../../collector/analyze/analyzers/certificate-expiry.ts';
import { analyze, containerLog, craftBundle, inspect } from './crafted-bundle.ts';

const day = 86_400_000;

/** A self-signed certificate valid from now for `days`, as `openssl req -x509` writes it. */
function certificate(cn: string, days: number): string {
  return execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      '/dev/null',
      '-subj',
      `/CN=${cn}`,
      '-days',
      String(days),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
}

describe('certificate-expiry', () => {
  // The bundle is made five days from now: a one-day certificate had expired by then, a ten-day one nearly.
  const made = new Date(Date.now() + 5 * day).toISOString();
  const expired = certificate('expired.acme.test', 1);
  const soon = certificate('soon.acme.test', 10);
  const fine = certificate('fine.acme.test', 400);

  it('finds PEM certificates in logs, text files and JSON documents, and names the expired and the expiring', async () => {
    const lines = expired.trimEnd().split('\n');
    const crafted = craftBundle(
      {
        // Printed by a container at start-up, one PEM line per log line, after two other lines.
        'containers/api/container.log': containerLog(['starting', 'serving with certificate:', ...lines, 'ready']),
        'containers/api/inspect.json': inspect('api', {}),
        // A file collected whole: the same expired certificate again, and a good one.
        'NOTES.txt': `trust store\n${fine}\nold one:\n${expired}`,
        // A JSON document (not indexed as lines) holding one with escaped newlines.
        'containers/gateway/inspect.json': {
          ...inspect('gateway', {}),
          Config: { Image: 'acme/gateway:2.0', Labels: { 'acme.tls.cert': soon } },
        },
      },
      { created_at: made },
    );
    const findings = await analyze(crafted, { analyzers: [certificateExpiry] });
    expect(findings.map((f) => f.severity)).toEqual(['critical', 'warning']);
    const [gone, expiring] = findings;
    expect(gone?.title).toMatch(
      /^certificate CN=expired\.acme\.test had expired [34] days before the bundle was made \(\d{4}-\d\d-\d\d\)$/,
    );
    expect(gone?.evidence).toEqual([
      { kind: 'line', file: 'containers/api/container.log', line: 3 },
      { kind: 'line', file: 'NOTES.txt', line: fine.split('\n').length + 3 },
    ]);
    expect(gone?.key).toMatch(/^certificate-expiry:[0-9a-f]{16}$/);
    expect(expiring?.title).toMatch(/^certificate CN=soon\.acme\.test expires in [45] days of the bundle/);
    expect(expiring?.evidence).toHaveLength(1);
    const at = expiring?.evidence[0];
    expect(at).toMatchObject({ kind: 'line', file: 'containers/gateway/inspect.json' });
    // The line it names is the one with the BEGIN in it.
    const text = readFileSync(join(crafted.dir, 'containers/gateway/inspect.json'), 'utf8').split('\n');
    expect(text[(at?.kind === 'line' ? at.line : 0) - 1]).toContain('"acme.tls.cert": "-----BEGIN CERTIFICATE-----');
  });

  it('finds a certificate written on one line with escaped newlines, as JSON logs hold it', async () => {
    const oneLine = JSON.stringify({ level: 'info', msg: 'tls loaded', cert: expired });
    const crafted = craftBundle(
      {
        'containers/api/container.log': containerLog(['boot', oneLine]),
        'containers/api/inspect.json': inspect('api', {}),
      },
      { created_at: made },
    );
    const [finding, ...more] = await analyze(crafted, { analyzers: [certificateExpiry] });
    expect(more).toEqual([]);
    expect(finding?.evidence).toEqual([{ kind: 'line', file: 'containers/api/container.log', line: 2 }]);
  });

  it('skips a block that does not parse (cut or redacted) and says nothing about valid certificates', async () => {
    const cut = expired.split('\n').slice(0, 4).join('\n');
    const crafted = craftBundle(
      {
        'NOTES.txt': `${cut}\n-----END CERTIFICATE-----\n${fine}\n-----BEGIN CERTIFICATE-----\n[REDACTED]\n-----END CERTIFICATE-----\n`,
      },
      { created_at: made },
    );
    expect(await analyze(crafted, { analyzers: [certificateExpiry] })).toEqual([]);
  });
});
