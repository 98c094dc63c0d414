// `npm run bench -- redact`: `shiplog redact` over >= 200 MB of mixed log
// lines (JSON app logs, logfmt, syslog, access logs, Java stack traces; about
// 3% carry a secret and access logs carry client IPs), beside a plain
// `sed -E` with a dozen secret regexes over the same file: the floor a user
// would otherwise reach for. Goal: 100 MB/s with flat memory.
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { type BenchSuite, measureProcess, row } from './harness.ts';

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

export function logLineGenerator(seed = 42): () => string {
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
  return () => {
    const r = rnd();
    if (r < 0.03) return pick(secret)();
    if (r < 0.15) return access();
    return pick(clean)();
  };
}

async function writeCorpus(path: string, bytes: number): Promise<number> {
  const next = logLineGenerator();
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

const suite: BenchSuite = {
  name: 'redact',
  async run(ctx) {
    const input = join(ctx.workDir, 'mixed.log');
    const bytes = await writeCorpus(input, (ctx.quick ? 20 : 200) * 1e6);
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
    const oursRow = row('redact', 'shiplog redact', mb, 'MB', ours, { goal: 100 });
    const sedRow = row('redact', 'sed -E (12 regexes)', mb, 'MB', sed);
    oursRow.note = `exit ${ours.exit_code}; ${(oursRow.rate / sedRow.rate).toFixed(1)}x sed`;
    sedRow.note = `exit ${sed.exit_code}`;
    return [oursRow, sedRow];
  },
};

export default suite;
