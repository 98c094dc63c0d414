// `--signer` keyrings read the way ssh-keygen reads them. Every row of the
// table is checked twice, by shiplog and by the real
// `ssh-keygen -Y verify -f FILE -I shiplog -n shiplog-bundle`, both at the
// same fixed time (ssh-keygen's -Overify-time) and in a time zone with
// daylight saving, and the two must agree. The few rows where they do not
// are deliberate and say why: a public key file (ssh-keygen reads only
// allowed_signers), and malformed lines, which refuse the whole file here
// where ssh-keygen skips the line.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateSigningKey, type SigningKey } from '../../../agent/bundle/seal/signing-key.ts';
import { matchPatternList, parseAllowedSigners } from '../../../bundle/allowed-signers.ts';
import { isBundleProblem } from '../../../bundle/problems.ts';
import { loadTrustedSigners } from '../../../bundle/trust.ts';
import { tempDir } from '../../helpers/temp.ts';

/** The time both sides check at: midsummer, when Europe/Berlin is on daylight saving time (UTC+2). */
const now = new Date('2025-06-15T12:00:00Z');
const verifyTime = '20250615120000Z';
const zone = 'Europe/Berlin';

const manifest = Buffer.from('{"format_version":1,"host":{"name":"bank-host-01"}}\n');

interface Keys {
  /** `ssh-ed25519 BASE64` of the key that signed. */
  readonly ed: string;
  readonly base64: string;
  /** Another Ed25519 key, an ECDSA key, a CA and a certificate of the signing key by that CA. */
  readonly otherEd: string;
  readonly ecdsa: string;
  readonly ca: string;
  readonly cert: string;
}

let dir: string;
let key: SigningKey;
let keys: Keys;
let savedZone: string | undefined;

beforeAll(() => {
  savedZone = process.env.TZ;
  process.env.TZ = zone;
  dir = tempDir('shiplog-trust-');
  key = loadOrCreateSigningKey(join(dir, 'data'));
  writeFileSync(join(dir, 'manifest.json'), manifest);
  writeFileSync(join(dir, 'manifest.json.sig'), key.sign(manifest, 'shiplog-bundle'));
  const publicLine = (name: string, type: string) => {
    execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', join(dir, name)]);
    return readFileSync(join(dir, `${name}.pub`), 'utf8')
      .split(' ')
      .slice(0, 2)
      .join(' ');
  };
  const ca = publicLine('ca', 'ed25519');
  execFileSync('ssh-keygen', ['-q', '-s', join(dir, 'ca'), '-I', 'host', '-n', 'shiplog', `${key.path}.pub`]);
  const base64 = key.publicKeyLine.split(' ')[1] as string;
  keys = {
    ed: `ssh-ed25519 ${base64}`,
    base64,
    otherEd: publicLine('other', 'ed25519'),
    ecdsa: publicLine('ecdsa', 'ecdsa'),
    ca,
    cert: readFileSync(`${key.path}-cert.pub`, 'utf8').split(' ').slice(0, 2).join(' '),
  };
});

afterAll(() => {
  if (savedZone === undefined) delete process.env.TZ;
  else process.env.TZ = savedZone;
});

interface Verdict {
  readonly accepted: boolean;
  /** Our refusal reason or error; ssh-keygen's output. */
  readonly says: string;
}

let files = 0;
function writeKeyring(text: string): string {
  const path = join(dir, `allowed_signers.${++files}`);
  writeFileSync(path, text);
  return path;
}

function shiplogSays(text: string): Verdict {
  const path = writeKeyring(text);
  try {
    const refusal = loadTrustedSigners(path).refuse(key.publicRaw, now);
    return { accepted: refusal === undefined, says: refusal ?? '' };
  } catch (error) {
    if (!isBundleProblem(error)) throw error;
    return { accepted: false, says: error.detail };
  }
}

function sshKeygenSays(text: string): Verdict {
  const path = writeKeyring(text);
  const args = ['-Y', 'verify', '-f', path, '-I', 'shiplog', '-n', 'shiplog-bundle', '-s', 'manifest.json.sig'];
  const result = spawnSync('ssh-keygen', [...args, `-Overify-time=${verifyTime}`], {
    cwd: dir,
    input: manifest,
    env: { ...process.env, TZ: zone },
  });
  return { accepted: result.status === 0, says: `${result.stdout}${result.stderr}` };
}

interface Row {
  readonly line: string;
  readonly text: (k: Keys) => string;
  /** 'accept', or what our refusal (or the error refusing the file) says. */
  readonly shiplog: 'accept' | RegExp;
  /** 'accept', or what ssh-keygen prints when it refuses. */
  readonly sshKeygen: 'accept' | RegExp;
  /** Set only where the two differ on purpose: why. */
  readonly differs?: string;
}

const noPrincipal = /Could not verify signature/;
const invalidKey = /invalid key|missing key|invalid line/;
const noKey = /holds no ssh-ed25519 key/;
const stricter = 'a malformed line refuses the whole file, naming the line; ssh-keygen logs it and skips it';

const rows: Row[] = [
  // plain lines
  {
    line: 'a public key file: ssh-ed25519 BASE64 comment',
    text: (k) => `${k.ed} shiplog@bank-host-01\n`,
    shiplog: 'accept',
    sshKeygen: noPrincipal,
    differs: '--signer also reads a public key file, which ssh-keygen -Y verify -f does not',
  },
  { line: 'principal shiplog, no options', text: (k) => `shiplog ${k.ed}\n`, shiplog: 'accept', sshKeygen: 'accept' },
  {
    line: 'leading blanks, a tab, a comment',
    text: (k) => `  shiplog\t${k.ed} vendor\n`,
    shiplog: 'accept',
    sshKeygen: 'accept',
  },
  { line: 'CRLF line ends', text: (k) => `# keys\r\nshiplog ${k.ed}\r\n`, shiplog: 'accept', sshKeygen: 'accept' },
  {
    line: 'comments and blank lines around the key',
    text: (k) => `# vendor keyring\n\n   # indented comment\n\nshiplog ${k.ed}\n\n`,
    shiplog: 'accept',
    sshKeygen: 'accept',
  },
  { line: 'only comments', text: () => '# nothing here\n\n', shiplog: noKey, sshKeygen: noPrincipal },
  // principals: a pattern-list that must match "shiplog"
  { line: 'principal *', text: (k) => `* ${k.ed}\n`, shiplog: 'accept', sshKeygen: 'accept' },
  { line: 'principal ship*', text: (k) => `ship* ${k.ed}\n`, shiplog: 'accept', sshKeygen: 'accept' },
  {
    line: 'principals vendor@example.com,shiplog',
    text: (k) => `vendor@example.com,shiplog ${k.ed}\n`,
    shiplog: 'accept',
    sshKeygen: 'accept',
  },
  { line: 'principal in quotes', text: (k) => `"shiplog" ${k.ed}\n`, shiplog: 'accept', sshKeygen: 'accept' },
  {
    line: 'principal alice@example.com only',
    text: (k) => `alice@example.com ${k.ed}\n`,
    shiplog: /principals "alice@example.com" do not match shiplog/,
    sshKeygen: noPrincipal,
  },
  { line: 'principals !shiplog,*', text: (k) => `!shiplog,* ${k.ed}\n`, shiplog: noKey, sshKeygen: noPrincipal },
  { line: 'principal SHIPLOG (case counts)', text: (k) => `SHIPLOG ${k.ed}\n`, shiplog: noKey, sshKeygen: noPrincipal },
  {
    line: 'authorized_keys style, options where the principals go',
    text: (k) => `namespaces="shiplog-bundle" ${k.ed}\n`,
    shiplog: noKey,
    sshKeygen: noPrincipal,
  },
  // namespaces
  { line: 'as shiplog keys prints it', text: () => `${key.allowedSigners}\n`, shiplog: 'accept', sshKeygen: 'accept' },
  {
    line: 'namespaces="git,shiplog-bundle" (a quoted comma)',
    text: (k) => `shiplog namespaces="git,shiplog-bundle" ${k.ed}\n`,
    shiplog: 'accept',
    sshKeygen: 'accept',
  },
  {
    line: 'namespaces with a blank inside the quotes',
    text: (k) => `shiplog namespaces="my files,shiplog-bundle" ${k.ed}\n`,
    shiplog: 'accept',
    sshKeygen: 'accept',
  },
  {
    line: 'namespaces with an escaped quote inside',
    text: (k) => `shiplog namespaces="a\\"b,shiplog-bundle" ${k.ed}\n`,
    shiplog: 'accept',
    sshKeygen: 'accept',
  },
  {
    line: 'namespaces="git,file" (excludes bundles)',
    text: (k) => `shiplog namespaces="git,file" ${k.ed}\n`,
    shiplog: /namespaces "git,file" do not match shiplog-bundle/,
    sshKeygen: /not permitted for use in signature namespace/,
  },
  {
    line: 'namespaces="shiplog-*"',
    text: (k) => `shiplog namespaces="shiplog-*" ${k.ed}\n`,
    shiplog: 'accept',
    sshKeygen: 'accept',
  },
  {
    line: 'namespaces="shiplog-bund?e"',
    text: (k) => `shiplog namespaces="shiplog-bund?e" ${k.ed}\n`,
    shiplog: 'accept',
    sshKeygen: 'accept',
  },
  {
    line: 'namespaces="!shiplog-bundle,*"',
    text: (k) => `shiplog namespaces="!shiplog-bundle,*" ${k.ed}\n`,
    shiplog: noKey,
    sshKeygen: /not permitted/,
  },
  { line: 'namespaces=""', text: (k) => `shiplog namespaces="" ${k.ed}\n`, shiplog: noKey, sshKeygen: /not permitted/ },
  {
    line: 'NAMESPACES= (option names in any case)',
    text: (k) => `shiplog NAMESPACES="shiplog-bundle" ${k.ed}\n`,
    shiplog: 'accept',
    sshKeygen: 'accept',
  },
  {
    line: 'namespaces="SHIPLOG-BUNDLE" (values keep their case)',
    text: (k) => `shiplog namespaces="SHIPLOG-BUNDLE" ${k.ed}\n`,
    shiplog: noKey,
    sshKeygen: /not permitted/,
  },
  {
    line: 'namespaces=shiplog-bundle without quotes',
    text: (k) => `shiplog namespaces=shiplog-bundle ${k.ed}\n`,
    shiplog: /line 1 .*needs double quotes/,
    sshKeygen: /missing start quote/,
  },
  {
    line: 'a comma ending the options',
    text: (k) => `shiplog namespaces="shiplog-bundle", ${k.ed}\n`,
    shiplog: /a comma ends them/,
    sshKeygen: /unexpected end-of-options/,
  },
  {
    line: 'empty options between commas',
    text: (k) => `shiplog ,,namespaces="shiplog-bundle" ${k.ed}\n`,
    shiplog: 'accept',
    sshKeygen: 'accept',
  },
  {
    line: 'namespaces given twice',
    text: (k) => `shiplog namespaces="shiplog-bundle",namespaces="git" ${k.ed}\n`,
    shiplog: /namespaces is given twice/,
    sshKeygen: /multiple "namespaces" clauses/,
  },
  {
    line: 'text after a closing quote',
    text: (k) => `shiplog namespaces="shiplog-bundle"x ${k.ed}\n`,
    shiplog: /unknown option/,
    sshKeygen: /unknown key option/,
  },
  {
    line: 'an unterminated quote',
    text: (k) => `shiplog namespaces="shiplog-bundle ${k.ed}\n`,
    shiplog: /unterminated quote/,
    sshKeygen: /invalid options/,
  },
  // valid-after / valid-before, at 2025-06-15T12:00:00Z; local times are Europe/Berlin standard time (UTC+1)
  {
    line: 'valid-before a past date (local)',
    text: (k) => `shiplog valid-before="20200101" ${k.ed}\n`,
    shiplog: /expired on 2019-12-31T23:00:00Z \(valid-before on line 1 of /,
    sshKeygen: /key has expired/,
  },
  {
    line: 'valid-before a future date (Z)',
    text: (k) => `shiplog valid-before="20990101Z" ${k.ed}\n`,
    shiplog: 'accept',
    sshKeygen: 'accept',
  },
  {
    line: 'valid-after a future date (local)',
    text: (k) => `shiplog valid-after="20990101" ${k.ed}\n`,
    shiplog: /is not valid until 2098-12-31T23:00:00Z \(valid-after on line 1/,
    sshKeygen: /key is not yet valid/,
  },
  {
    line: 'valid-after a past date (Z)',
    text: (k) => `shiplog valid-after="20200101Z" ${k.ed}\n`,
    shiplog: 'accept',
    sshKeygen: 'accept',
  },
  {
    line: 'valid-after exactly now',
    text: (k) => `shiplog valid-after="20250615120000Z" ${k.ed}\n`,
    shiplog: 'accept',
    sshKeygen: 'accept',
  },
  {
    line: 'valid-after one second from now',
    text: (k) => `shiplog valid-after="20250615120001Z" ${k.ed}\n`,
    shiplog: /not valid until 2025-06-15T12:00:01Z/,
    sshKeygen: /not yet valid/,
  },
  {
    line: 'valid-before exactly now (still valid)',
    text: (k) => `shiplog valid-before="20250615120000Z" ${k.ed}\n`,
    shiplog: 'accept',
    sshKeygen: 'accept',
  },
  {
    line: 'valid-before one second ago',
    text: (k) => `shiplog valid-before="20250615115959Z" ${k.ed}\n`,
    shiplog: /expired on 2025-06-15T11:59:59Z/,
    sshKeygen: /key has expired/,
  },
  {
    line: 'valid-before 13:00 local: standard time, so 12:00Z even in summer',
    text: (k) => `shiplog valid-before="202506151300" ${k.ed}\n`,
    shiplog: 'accept',
    sshKeygen: 'accept',
  },
  {
    line: 'valid-before 12:59:59 local (11:59:59Z)',
    text: (k) => `shiplog valid-before="20250615125959" ${k.ed}\n`,
    shiplog: /expired on 2025-06-15T11:59:59Z/,
    sshKeygen: /key has expired/,
  },
  {
    line: 'valid-after 13:01 local (12:01Z, not the 11:01Z of the summer wall clock)',
    text: (k) => `shiplog valid-after="202506151301" ${k.ed}\n`,
    shiplog: /not valid until 2025-06-15T12:01:00Z/,
    sshKeygen: /not yet valid/,
  },
  {
    line: 'valid-after with a lower-case utc suffix',
    text: (k) => `shiplog valid-after="20250615120000utc" ${k.ed}\n`,
    shiplog: 'accept',
    sshKeygen: 'accept',
  },
  {
    line: 'valid-after with a lower-case z, date only',
    text: (k) => `shiplog valid-after="20250616z" ${k.ed}\n`,
    shiplog: /not valid until 2025-06-16T00:00:00Z/,
    sshKeygen: /not yet valid/,
  },
  {
    line: 'valid-before at second 60 (the next minute)',
    text: (k) => `shiplog valid-before="20250615115960Z" ${k.ed}\n`,
    shiplog: 'accept',
    sshKeygen: 'accept',
  },
  {
    line: 'valid-after 30 February (1 March)',
    text: (k) => `shiplog valid-after="20250230Z" ${k.ed}\n`,
    shiplog: 'accept',
    sshKeygen: 'accept',
  },
  {
    line: 'valid-after month 13',
    text: (k) => `shiplog valid-after="20201301" ${k.ed}\n`,
    shiplog: /"20201301" is not a time for valid-after/,
    sshKeygen: /invalid "valid-after" time/,
  },
  {
    line: 'valid-after with ten digits',
    text: (k) => `shiplog valid-after="2020010112" ${k.ed}\n`,
    shiplog: /is not a time/,
    sshKeygen: /invalid "valid-after" time/,
  },
  {
    line: 'valid-before at the epoch',
    text: (k) => `shiplog valid-before="19700101Z" ${k.ed}\n`,
    shiplog: /is not a time/,
    sshKeygen: /invalid "valid-before" time/,
  },
  {
    line: 'valid-before without quotes',
    text: (k) => `shiplog valid-before=20990101 ${k.ed}\n`,
    shiplog: /needs double quotes/,
    sshKeygen: /missing start quote/,
  },
  {
    line: 'valid-before equal to valid-after',
    text: (k) => `shiplog valid-after="20250101Z",valid-before="20250101Z" ${k.ed}\n`,
    shiplog: /valid-before is not after valid-after/,
    sshKeygen: /"valid-before" time is before "valid-after"/,
  },
  {
    line: 'valid-after, valid-before and namespaces together',
    text: (k) => `shiplog valid-after="20200101Z",valid-before="20990101Z",namespaces="shiplog-bundle" ${k.ed}\n`,
    shiplog: 'accept',
    sshKeygen: 'accept',
  },
  {
    line: 'a time with a blank in it',
    text: (k) => `shiplog valid-after="2020 101" ${k.ed}\n`,
    shiplog: /"2020 101" is not a time/,
    sshKeygen: 'accept',
    differs: `glibc's strptime skips the blank; ${stricter}`,
  },
  // cert-authority
  {
    line: 'cert-authority for the key itself',
    text: (k) => `shiplog cert-authority ${k.ed}\n`,
    shiplog: noKey,
    sshKeygen: noPrincipal,
  },
  {
    line: 'Cert-Authority in another case, with namespaces',
    text: (k) => `shiplog Cert-Authority,namespaces="shiplog-bundle" ${k.ed}\n`,
    shiplog: /cert-authority trusts certificates/,
    sshKeygen: noPrincipal,
  },
  {
    line: 'cert-authority="x"',
    text: (k) => `shiplog cert-authority="x" ${k.ed}\n`,
    shiplog: /unknown option "cert-authority="x""/,
    sshKeygen: /unknown key option/,
  },
  {
    line: 'a CA line and the plain key',
    text: (k) => `shiplog cert-authority ${k.ca}\nshiplog ${k.ed}\n`,
    shiplog: 'accept',
    sshKeygen: 'accept',
  },
  {
    line: 'a certificate of the key, signed by a CA',
    text: (k) => `shiplog ${k.cert}\n`,
    shiplog: noKey,
    sshKeygen: noPrincipal,
  },
  // options ssh-keygen does not know in allowed_signers
  {
    line: 'an unknown option',
    text: (k) => `shiplog foo ${k.ed}\n`,
    shiplog: /unknown option "foo"/,
    sshKeygen: /unknown key option/,
  },
  {
    line: 'an authorized_keys option (no-touch-required)',
    text: (k) => `shiplog no-touch-required ${k.ed}\n`,
    shiplog: /unknown option "no-touch-required"/,
    sshKeygen: /unknown key option/,
  },
  {
    line: 'an unknown option with a quoted value and commas',
    text: (k) => `shiplog namespaces="shiplog-bundle",from="a,b" ${k.ed}\n`,
    shiplog: /unknown option "from=/,
    sshKeygen: /unknown key option/,
  },
  // keys ssh-keygen cannot read
  {
    line: 'malformed base64',
    text: (k) => `shiplog ssh-ed25519 ${k.base64.slice(0, 60)}!!!!!!!!\n`,
    shiplog: /line 1: the key is not valid base64/,
    sshKeygen: invalidKey,
  },
  {
    line: 'base64 with padding it does not need',
    text: (k) => `shiplog ssh-ed25519 ${k.base64}==\n`,
    shiplog: /not valid base64/,
    sshKeygen: invalidKey,
  },
  {
    line: 'a key blob cut short',
    text: (k) => `shiplog ssh-ed25519 ${Buffer.from(k.base64, 'base64').subarray(0, 40).toString('base64')}\n`,
    shiplog: /line 1: truncated SSH data/,
    sshKeygen: invalidKey,
  },
  {
    line: 'an ECDSA blob labelled ssh-ed25519',
    text: (k) => `shiplog ssh-ed25519 ${k.ecdsa.split(' ')[1]}\n`,
    shiplog: /line 1: key type ecdsa-sha2-nistp256 is not ssh-ed25519/,
    sshKeygen: invalidKey,
  },
  {
    line: 'the short type name ED25519',
    text: (k) => `shiplog ED25519 ${k.base64}\n`,
    shiplog: /unknown option "ED25519"/,
    sshKeygen: invalidKey,
  },
  { line: 'principals and no key', text: () => 'shiplog\n', shiplog: /line 1 has no key/, sshKeygen: invalidKey },
  {
    line: 'options and no key',
    text: () => 'shiplog namespaces="shiplog-bundle"\n',
    shiplog: /line 1 has no key/,
    sshKeygen: invalidKey,
  },
  // other keys
  { line: 'an ECDSA key only', text: (k) => `shiplog ${k.ecdsa}\n`, shiplog: noKey, sshKeygen: noPrincipal },
  {
    line: 'an ECDSA key, then the key',
    text: (k) => `shiplog ${k.ecdsa}\nshiplog ${k.ed}\n`,
    shiplog: 'accept',
    sshKeygen: 'accept',
  },
  {
    line: 'another Ed25519 key',
    text: (k) => `shiplog ${k.otherEd}\n`,
    shiplog: /is not in .*allowed_signers/,
    sshKeygen: noPrincipal,
  },
  // several lines for the key
  {
    line: 'an expired line, then a valid one',
    text: (k) => `shiplog valid-before="20200101Z" ${k.ed}\nshiplog valid-after="20200101Z" ${k.ed}\n`,
    shiplog: 'accept',
    sshKeygen: 'accept',
  },
  {
    line: 'a line for git only, then one for bundles',
    text: (k) => `shiplog namespaces="git" ${k.ed}\nshiplog namespaces="shiplog-bundle" ${k.ed}\n`,
    shiplog: 'accept',
    sshKeygen: 'accept',
  },
  {
    line: 'a line with an unknown option, then a good one',
    text: (k) => `shiplog foo ${k.ed}\nshiplog ${k.ed}\n`,
    shiplog: /line 1 has an option ssh-keygen refuses: unknown option "foo"/,
    sshKeygen: 'accept',
    differs: stricter,
  },
  {
    line: "a malformed line for another principal, then a good one (ssh-keygen never reads the other principal's line)",
    text: (k) => `alice foo ${k.ed}\nshiplog ${k.ed}\n`,
    shiplog: /line 1 has an option ssh-keygen refuses/,
    sshKeygen: 'accept',
    differs: stricter,
  },
];

describe('--signer keyrings, side by side with ssh-keygen -Y verify', () => {
  it('runs the real ssh-keygen, which accepts the plain line at the pinned time', () => {
    expect(sshKeygenSays(`shiplog ${keys.ed}\n`).says).toContain('Good "shiplog-bundle" signature for shiplog');
  });

  for (const row of rows) {
    it(row.line, () => {
      const text = row.text(keys);
      const ours = shiplogSays(text);
      const theirs = sshKeygenSays(text);
      if (row.sshKeygen === 'accept') expect(theirs.accepted, theirs.says).toBe(true);
      else expect(theirs).toEqual({ accepted: false, says: expect.stringMatching(row.sshKeygen) });
      if (row.shiplog === 'accept') expect(ours).toEqual({ accepted: true, says: '' });
      else expect(ours).toEqual({ accepted: false, says: expect.stringMatching(row.shiplog) });
      if (row.differs) expect(ours.accepted).not.toBe(theirs.accepted);
      else expect(ours.accepted).toBe(theirs.accepted);
    });
  }

  it('differs from ssh-keygen only by refusing, except for a public key file', () => {
    const looser = rows.filter((row) => row.differs && row.shiplog === 'accept');
    expect(looser.map((row) => row.line)).toEqual(['a public key file: ssh-ed25519 BASE64 comment']);
  });
});

describe('loadTrustedSigners', () => {
  it('takes a SHA256: fingerprint as a fingerprint, never as a path (issue #10 item 6)', () => {
    // A fingerprint often holds "/", and the directory does not exist: no file is looked for.
    const slashed = 'SHA256:ab/cdefghijklmnopqrstuvwxyz0123456789+/ABCD';
    expect(() => loadTrustedSigners(slashed, join(dir, 'no-such-dir'))).not.toThrow();
    const trusted = loadTrustedSigners(key.fingerprint, join(dir, 'no-such-dir'));
    expect(trusted.refuse(key.publicRaw, now)).toBeUndefined();
    expect(loadTrustedSigners(slashed).refuse(key.publicRaw, now)).toBe(`is not ${slashed}`);
  });

  it('refuses a string that looks like a fingerprint but is not one', () => {
    for (const signer of ['SHA256:short', `${key.fingerprint}=`, `${key.fingerprint.slice(0, -1)}!`]) {
      expect(() => loadTrustedSigners(signer)).toThrow(
        expect.objectContaining({
          kind: 'signer-invalid',
          detail: expect.stringContaining('looks like a fingerprint'),
        }),
      );
    }
  });

  it('says which line keeps a listed key from signing bundles', () => {
    const path = writeKeyring(`shiplog ${keys.otherEd}\nshiplog namespaces="git" ${keys.ed}\n`);
    expect(loadTrustedSigners(path).refuse(key.publicRaw, now)).toMatch(
      /is in .* but not trusted for bundles there \(line 2: its namespaces "git" do not match shiplog-bundle\)/,
    );
  });

  it('names the file it cannot read', () => {
    expect(() => loadTrustedSigners('missing.pub', dir)).toThrow(
      expect.objectContaining({ kind: 'signer-invalid', detail: 'cannot read it (ENOENT)' }),
    );
  });

  it('escapes what a keyring line holds before quoting it', () => {
    const path = writeKeyring(`shiplog \x1b[2J\x07=1 ${keys.ed}\n`);
    expect(() => loadTrustedSigners(path)).toThrow(
      expect.objectContaining({ detail: expect.stringContaining('unknown option "\\x1b[2J\\x07=1"') }),
    );
  });
});

describe('parseAllowedSigners', () => {
  it('numbers lines from 1 and keeps each line of a key', () => {
    const parsed = parseAllowedSigners(
      `# keyring\nshiplog valid-before="20990101Z" ${keys.ed}\nalice ${keys.ed}\nshiplog ${keys.ecdsa}\n`,
    );
    expect(parsed).toEqual([
      { fingerprint: key.fingerprint, line: 2, validBefore: new Date('2099-01-01T00:00:00Z') },
      { fingerprint: key.fingerprint, line: 3, excluded: 'its principals "alice" do not match shiplog' },
    ]);
  });
});

describe('matchPatternList', () => {
  const cases: [string, string, -1 | 0 | 1][] = [
    ['shiplog-bundle', 'shiplog-bundle', 1],
    ['shiplog-bundle', 'git,shiplog-bundle', 1],
    ['shiplog-bundle', '*', 1],
    ['shiplog-bundle', '*-bundle', 1],
    ['shiplog-bundle', 'shiplog-?undle', 1],
    ['shiplog-bundle', '*a*', 0],
    ['shiplog-bundle', 'shiplog', 0],
    ['shiplog-bundle', '', 0],
    ['shiplog-bundle', '*,!shiplog-*', -1],
    ['a*b', '*b', 1],
    ['shiplog', 'x'.repeat(2000), 0],
    ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab', `${'*a'.repeat(30)}*c`, 0],
  ];
  it.each(cases)('%s against %s', (value, list, expected) => {
    expect(matchPatternList(value, list)).toBe(expected);
  });
});
