// `npm run bench -- redact`: `shiplog redact` over >= 200 MB of mixed log
// lines (JSON app logs, logfmt, syslog, access logs, Java stack traces; about
// 3% carry a secret and access logs carry client IPs), beside a plain
// `sed -E` with a dozen secret regexes over the same file: the floor a user
// would otherwise reach for. Goal: 100 MB/s with flat memory.
//
// Then the same over a dense mix, where a third of the lines hold something
// to replace (secrets of many formats, passwords in prose and on command
// lines, IPv6 and IPv4 addresses, e-mail addresses), beside sed on that file.
import { createWriteStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchRow, type BenchSuite, measureProcess, row } from './harness.ts';

/** Deterministic generator (mulberry32), so every run measures the same bytes. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `dense`: a third of the lines are sensitive (the default mix: about 3%
 * secrets, plus the client IPs of the access-log lines), drawn from a wider
 * set of formats. The default mix draws exactly what it always drew.
 */
export function logLineGenerator(seed = 42, dense = false): () => string {
  const rnd = random(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const chars = (alphabet: string, n: number) => {
    let out = '';
    for (let i = 0; i < n; i++) out += alphabet[int(alphabet.length)];
    return out;
  };
  const hex = (n: number) => chars('0123456789abcdef', n);
  const b62 = (n: number) => chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', n);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const ts = () => `2024-03-${pad(1 + int(28))}T${pad(int(24))}:${pad(int(60))}:${pad(int(60))}.${pad(int(1000), 3)}Z`;
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  const ip = () => `10.${int(4)}.${int(256)}.${1 + int(254)}`;
  const svc = () => pick(['ledger-api', 'payments', 'auth-gateway', 'reporting', 'batch-worker']);
  const clean: (() => string)[] = [
    () =>
      `{"@timestamp":"${ts()}","log.level":"info","message":"request completed","http.request.method":"GET","url.path":"/api/v2/accounts/${int(99999)}/statements","http.response.status_code":200,"event.duration":${int(900000)},"trace.id":"${hex(32)}","service.name":"${svc()}"}`,
    () =>
      `time=${ts()} level=info msg="processed batch" batch_id=${uuid()} items=${int(500)} duration=${(rnd() * 3).toFixed(3)}s worker=worker-${int(16)} queue=settlements`,
    () =>
      `Mar 14 10:${pad(int(60))}:${pad(int(60))} node0${int(9)}.dc2.bank.internal dockerd[1123]: time="${ts()}" level=info msg="Container ${hex(64)} health status changed to healthy"`,
    () =>
      `${ts()} INFO  [http-nio-8080-exec-${int(40)}] c.e.ledger.service.PaymentService - Settled transfer ${uuid()} in ${int(80)}ms (build ${hex(40)}, version 3.14.${int(20)})`,
    () => `\tat com.example.ledger.repository.AccountRepository.findById(AccountRepository.java:${int(400)})`,
    () =>
      `${ts()} DEBUG image pulled registry.bank.internal:5000/ledger/api@sha256:${hex(64)} size=${int(1e8)} took ${int(9000)}ms`,
    () =>
      `${ts()} WARN  slow query on /var/lib/postgresql/16/main/base/16384/${int(99999)} took ${int(9000)}ms rows=${int(100000)} plan=seqscan`,
    () =>
      `<30>1 ${ts()} node0${int(9)} kubelet 2211 - - Successfully pulled image "registry.bank.internal/batch:1.${int(40)}.${int(9)}" in ${int(900)}ms`,
  ];
  const access = () =>
    `${ip()} - - [14/Mar/2024:10:${pad(int(60))}:${pad(int(60))} +0000] "GET /api/v2/status?page=${int(9)}&lang=en HTTP/1.1" ${pick([200, 200, 200, 304, 404, 500])} ${int(9000)} "-" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"`;
  const secret: (() => string)[] = [
    () =>
      `${ts()} ERROR db connect failed url=postgres://ledger:${b62(16)}@db0${int(4)}.bank.internal:5432/ledger retry=${int(5)}`,
    () => `${ts()} DEBUG outgoing request headers: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.${b62(60)}.${b62(43)}`,
    () =>
      `time=${ts()} level=debug msg="aws client" aws_access_key_id=AKIA${chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)} region=eu-west-1`,
    () => `{"@timestamp":"${ts()}","message":"config loaded","db":{"user":"app","password":"${b62(20)}"}}`,
    () => `${ts()} INFO user login ok user=${chars('abcdefghij', 6)}@bank.example.com from ${ip()}`,
    () => `${ts()} WARN github webhook rejected token=ghp_${b62(36)}`,
    () => `JAVA_OPTS=-Xmx2g -Djavax.net.ssl.keyStorePassword=${b62(12)} -Dfile.encoding=UTF-8`,
  ];
  const ip6 = () => `2a01:4f8:${hex(3)}:${hex(4)}::${hex(2)}`;
  // Secret-looking values are made up here from each format's documented shape.
  const denseSecret: (() => string)[] = [
    ...secret,
    () => `${ts()} INFO provisioning: the password is ${b62(12)} for user ops`,
    () => `${ts()} DEBUG exec: curl -s -u admin:${b62(14)} https://es0${int(4)}.bank.internal:9200/_cat/indices`,
    () => `${ts()} DEBUG exec: mysql -h db0${int(4)} -u backup -p${b62(12)} ledger -e "select 1"`,
    () => `${ts()} WARN  redis-cli -h cache01 -a ${b62(16)} ping failed`,
    () => `time=${ts()} level=info msg="client connected" remote=[${ip6()}]:${1024 + int(60000)} proto=h2`,
    () =>
      `${ts()} INFO  mail sent to "${chars('abcdefghij', 5)} ${chars('klmnop', 4)}" <${chars('abcdefghij', 6)}+alerts@corp.bank-mail.co.uk>`,
    () => `{"@timestamp":"${ts()}","message":"webhook","stripe":"sk_live_${b62(24)}","twilio":"SK${hex(32)}"}`,
    () => `${ts()} DEBUG slack client xoxb-${int(1e12)}-${int(1e12)}-${b62(24)} posted`,
    () => `${ts()} DEBUG SENDGRID_API_KEY=SG.${b62(22)}.${b62(43)} loaded`,
    () => `${ts()} INFO  keytool -importkeystore -srcstorepass ${b62(10)} -deststorepass ${b62(10)}`,
    () => `${ts()} INFO  client ${ip()} session ${uuid()} user=${chars('abcdefghij', 6)}@bank.example.com`,
  ];
  if (dense) {
    return () => {
      const r = rnd();
      if (r < 0.21) return pick(denseSecret)();
      if (r < 0.33) return access();
      return pick(clean)();
    };
  }
  return () => {
    const r = rnd();
    if (r < 0.03) return pick(secret)();
    if (r < 0.15) return access();
    return pick(clean)();
  };
}

async function writeCorpus(path: string, bytes: number, dense = false): Promise<number> {
  const next = logLineGenerator(42, dense);
  const out = createWriteStream(path);
  let written = 0;
  while (written < bytes) {
    const batch: string[] = [];
    for (let i = 0; i < 2000; i++) batch.push(next());
    const text = `${batch.join('\n')}\n`;
    written += Buffer.byteLength(text);
    if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return written;
}

// A dozen regexes a careful user might write for sed (POSIX ERE).
const sedExpressions = [
  's/AKIA[0-9A-Z]{16}/[REDACTED]/g',
  's/gh[pousr]_[A-Za-z0-9]{36}/[REDACTED]/g',
  's/xox[abpr]-[A-Za-z0-9-]{10,}/[REDACTED]/g',
  's/eyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*/[REDACTED]/g',
  's#(://[^:/ ]+:)[^@ ]+@#\\1[REDACTED]@#g',
  's/([Pp]assword["]?[:=]["]?)[^", &]+/\\1[REDACTED]/g',
  's/([Tt]oken[=:])[^ &"]+/\\1[REDACTED]/g',
  's/([Ss]ecret[=:])[^ &"]+/\\1[REDACTED]/g',
  's/(Authorization: (Bearer|Basic) )[^ ]+/\\1[REDACTED]/g',
  's/sk_live_[A-Za-z0-9]{24,}/[REDACTED]/g',
  's/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}/[EMAIL]/g',
  's/([0-9]{1,3}\\.){3}[0-9]{1,3}/[IP]/g',
];

/** shiplog redact and sed over one file: a row each, shiplog's noting its speed against sed's. */
async function measureMix(ctx: { workDir: string }, input: string, bytes: number, mix: string): Promise<BenchRow[]> {
  const mb = Math.round(bytes / 1e5) / 10;
  const root = join(import.meta.dirname, '..');
  const env = { ...process.env, SHIPLOG_DATA_DIR: join(ctx.workDir, 'data') };
  const node = join(root, 'node_modules', '.bin', 'node');
  const ours = await measureProcess(node, [join(root, 'bin', 'shiplog.js'), 'redact'], {
    stdinFile: input,
    stdoutFile: join(ctx.workDir, 'ours.out'),
    env,
    cwd: root,
  });
  const sedArgs = ['-E', ...sedExpressions.flatMap((expression) => ['-e', expression])];
  const sed = await measureProcess('sed', sedArgs, {
    stdinFile: input,
    stdoutFile: join(ctx.workDir, 'sed.out'),
    env: { ...process.env, LC_ALL: 'C' },
  });
  const oursRow = row('redact', `shiplog redact (${mix})`, mb, 'MB', ours, mix === 'mostly clean' ? { goal: 100 } : {});
  const sedRow = row('redact', `sed -E (12 regexes, ${mix})`, mb, 'MB', sed);
  oursRow.note = `exit ${ours.exit_code}; ${(oursRow.rate / sedRow.rate).toFixed(1)}x sed`;
  sedRow.note = `exit ${sed.exit_code}`;
  return [oursRow, sedRow];
}

const suite: BenchSuite = {
  name: 'redact',
  async run(ctx) {
    const size = (ctx.quick ? 20 : 200) * 1e6;
    const clean = join(ctx.workDir, 'mixed.log');
    const rows = await measureMix(ctx, clean, await writeCorpus(clean, size), 'mostly clean');
    rmSync(clean, { force: true });
    const dense = join(ctx.workDir, 'dense.log');
    rows.push(...(await measureMix(ctx, dense, await writeCorpus(dense, size, true), 'dense, 1/3 sensitive')));
    return rows;
  },
};

export default suite;
