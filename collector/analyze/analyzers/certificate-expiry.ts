// certificate-expiry: X.509 certificates in PEM form anywhere in the bundle's
// text — a container printing its certificate, a config file collected
// whole, an inspect document with one in a label — that had expired when the
// bundle was made, or expire within EXPIRY_WARNING_DAYS of it. Lines are
// looked at as they are indexed (a PEM block spans lines: its body is
// gathered until END, in the same file); JSON documents, which are not
// indexed as lines, are searched at the end, with their escaped "\n".
// node:crypto parses each block; what does not parse (cut, redacted) is
// skipped. The same certificate seen in several places is one finding.
import { X509Certificate } from 'node:crypto';
import type { AnalyzerFactory, ObservedLine } from '../analyzer.ts';
import { type Evidence, type Finding, lineAt } from '../finding.ts';
import { counted } from '../format.ts';

export const EXPIRY_WARNING_DAYS = 30;
const dayMs = 86_400_000;
const maxBlockLines = 200;
/** Characters a PEM block may gather: far above any certificate, far below what long lines could pile up. */
const maxBlockChars = 64 * 1024;
const maxCertificates = 500;
const maxPlaces = 5;
const begin = '-----BEGIN CERTIFICATE-----';
const end = '-----END CERTIFICATE-----';
const inline = /-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----/g;

interface Seen {
  readonly certificate: X509Certificate;
  readonly places: Evidence[];
}

interface Open {
  readonly file: string;
  readonly line: number;
  readonly body: string[];
  chars: number;
}

export const certificateExpiry: AnalyzerFactory = {
  name: 'certificate-expiry',
  create() {
    const seen = new Map<string, Seen>();
    let open: Open | undefined;
    const add = (base64: string, file: string, line: number) => {
      const certificate = parseCertificate(base64);
      if (!certificate) return;
      const known = seen.get(certificate.fingerprint256);
      if (known) {
        if (known.places.length < maxPlaces) known.places.push(lineAt(file, line));
      } else if (seen.size < maxCertificates) {
        seen.set(certificate.fingerprint256, { certificate, places: [lineAt(file, line)] });
      }
    };
    return {
      observe({ event }: ObservedLine) {
        const message = event.message;
        const file = event.shiplog.file;
        if (open && open.file !== file) open = undefined;
        if (open) {
          if (message.includes(end)) {
            open.body.push(message.slice(0, message.indexOf(end)));
            add(base64Of(open.body), open.file, open.line);
            open = undefined;
          } else if (open.body.length >= maxBlockLines || open.chars + message.length > maxBlockChars) {
            open = undefined;
          } else {
            open.body.push(message);
            open.chars += message.length;
          }
          return;
        }
        const at = message.indexOf(begin);
        if (at < 0) return;
        const rest = message.slice(at + begin.length);
        if (rest.includes(end)) {
          for (const match of message.matchAll(inline)) add(base64Of([match[1] as string]), file, event.shiplog.line);
        } else {
          open = { file, line: event.shiplog.line, body: [rest], chars: rest.length };
        }
      },
      async finish(bundle) {
        for (const { path } of bundle.manifest.files) {
          if (!path.endsWith('.json') || path === 'manifest.json') continue;
          const text = await bundle.text(path);
          if (!text?.includes(begin)) continue;
          for (const match of text.matchAll(inline)) {
            const line = countLines(text, match.index);
            add(base64Of([match[1] as string]), path, line);
          }
        }
        const at = Number.isFinite(bundle.createdAtMs) ? bundle.createdAtMs : Date.now();
        const findings: Finding[] = [];
        for (const { certificate, places } of seen.values()) {
          const expires = Date.parse(certificate.validTo);
          if (!Number.isFinite(expires) || expires - at > EXPIRY_WARNING_DAYS * dayMs) continue;
          const expired = expires <= at;
          const days = Math.floor(Math.abs(expires - at) / dayMs);
          const name = subjectName(certificate);
          const when = new Date(expires).toISOString().slice(0, 10);
          findings.push({
            analyzer: 'certificate-expiry',
            severity: expired ? 'critical' : 'warning',
            title: expired
              ? `certificate ${name} had expired ${days === 0 ? 'on the day' : `${counted(days, 'day')} before`} the bundle was made (${when})`
              : `certificate ${name} expires ${days === 0 ? 'within a day' : `in ${counted(days, 'day')}`} of the bundle (${when})`,
            detail:
              `Subject: ${oneLine(certificate.subject)}. Issuer: ${oneLine(certificate.issuer)}. ` +
              `Valid from ${certificate.validFrom} to ${certificate.validTo}. SHA-256 fingerprint ${certificate.fingerprint256}.`,
            key: `certificate-expiry:${certificate.fingerprint256.replace(/:/g, '').slice(0, 16).toLowerCase()}`,
            evidence: places,
          });
        }
        return findings;
      },
    };
  },
};

/** The base64 characters of a PEM body whatever surrounds them: quotes, escaped newlines, indentation. */
function base64Of(lines: readonly string[]): string {
  let out = '';
  for (const line of lines) out += line.replace(/\\[nr]/g, ' ').replace(/[^A-Za-z0-9+/=]/g, '');
  return out;
}

function parseCertificate(base64: string): X509Certificate | undefined {
  if (base64.length < 100) return undefined;
  try {
    return new X509Certificate(Buffer.from(base64, 'base64'));
  } catch {
    return undefined;
  }
}

function subjectName(certificate: X509Certificate): string {
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(certificate.subject)?.[1];
  return cn ? `CN=${cn}` : oneLine(certificate.subject) || certificate.serialNumber;
}

function oneLine(name: string): string {
  return name.split('\n').join(', ');
}

function countLines(text: string, index: number): number {
  let line = 1;
  for (let at = text.indexOf('\n'); at >= 0 && at < index; at = text.indexOf('\n', at + 1)) line++;
  return line;
}
