// `npm run bench -- ship-spool ship-es`: the 1,000,000-line mixed corpus
// (bench/corpus.ts) through `shiplog ship FILE`, beside rsyslog reading the
// same file with imfile:
//   ship-spool  shiplog into its local spool   vs  imfile -> omfile
//   ship-es     shiplog into Elasticsearch     vs  imfile -> omelasticsearch
// Goals: ship-spool >= 400,000 lines/s with peak RSS < 150 MB, ship-es >=
// 100,000 docs/s, and faster than rsyslog in both.
//
// rsyslogd is a daemon that never says it is done, so it is measured as a
// whole process: started under /usr/bin/time, its output polled until every
// line has arrived (bounded), then sent SIGTERM; the figures are what
// /usr/bin/time reports, so they include its start-up and shut-down, as
// shiplog's include its own. Peers install with `bash bench/peers.sh`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCorpus } from './corpus.ts';
import {
  asUser,
  type BenchRow,
  type BenchSuite,
  ensurePeers,
  ensureService,
  measureProcess,
  type ProcessMeasure,
  row,
} from './harness.ts';

export const ES_URL = process.env.SHIPLOG_BENCH_ES_URL ?? 'http://127.0.0.1:9250';
const ROOT = join(import.meta.dirname, '..');
const SHIPLOG = join(ROOT, 'bin', 'shiplog.js');
const RSYSLOG_DONE_TIMEOUT_MS = 600_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The corpus, generated once per suite run. */
async function corpus(ctx: {
  workDir: string;
  quick: boolean;
}): Promise<{ path: string; lines: number; bytes: number }> {
  const lines = ctx.quick ? 100_000 : 1_000_000;
  const path = join(ctx.workDir, `corpus-${lines}.log`);
  const bytes = await writeCorpus(path, lines);
  return { path, lines, bytes };
}

/** The pid of the command /usr/bin/time runs (its only child). */
function childOf(pid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
    const first = Number(children[0]);
    return Number.isInteger(first) && first > 0 ? first : undefined;
  } catch {
    return undefined;
  }
}

export interface DaemonRun<T> {
  measure: ProcessMeasure;
  /** What `until` returned last. */
  result: T;
  /** Seconds from start until `until` said done (undefined: it never did). */
  done_s: number | undefined;
}

/**
 * Runs a daemon under /usr/bin/time, calls `until` every `pollMs` until it
 * returns { done: true } or `timeoutMs` passes, then sends the daemon (not
 * /usr/bin/time, which would die without reporting) SIGTERM and returns
 * what /usr/bin/time measured.
 */
export async function measureDaemon<T>(
  command: string,
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    pollMs?: number;
    timeoutMs: number;
    until: (elapsedMs: number) => Promise<{ done: boolean; result: T }>;
  },
): Promise<DaemonRun<T>> {
  const timeFile = join(tmpdir(), `shiplog-bench-daemon-time-${process.pid}-${Date.now()}`);
  const started = Date.now();
  const child = spawn('/usr/bin/time', ['-o', timeFile, '-f', '%e %U %S %M', command, ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
  let running = true;
  void exited.finally(() => {
    running = false;
  });
  try {
    let done_s: number | undefined;
    let last: { done: boolean; result: T } | undefined;
    while (running && Date.now() - started < options.timeoutMs) {
      await sleep(options.pollMs ?? 100);
      last = await options.until(Date.now() - started);
      if (last.done) {
        done_s = (Date.now() - started) / 1000;
        break;
      }
    }
    const pid = child.pid === undefined ? undefined : childOf(child.pid);
    if (pid !== undefined) process.kill(pid, 'SIGTERM');
    const killer = setTimeout(() => {
      const again = child.pid === undefined ? undefined : childOf(child.pid);
      if (again !== undefined) process.kill(again, 'SIGKILL');
    }, 30_000);
    const exitCode = await exited;
    clearTimeout(killer);
    const [wall, user, sys, rssKb] = (readFileSync(timeFile, 'utf8').trim().split('\n').at(-1) ?? '')
      .split(' ')
      .map(Number);
    last ??= await options.until(Date.now() - started);
    return {
      measure: {
        wall_s: wall ?? Number.NaN,
        cpu_s: (user ?? 0) + (sys ?? 0),
        peak_rss_mb: (rssKb ?? 0) / 1024,
        exit_code: exitCode,
      },
      result: last.result,
      done_s,
    };
  } finally {
    rmSync(timeFile, { force: true });
  }
}

function requireRsyslog(module: string): void {
  const found = spawnSync('bash', ['-c', `find /usr/lib -name ${module}.so -print -quit`], { encoding: 'utf8' });
  if (!existsSync('/usr/sbin/rsyslogd') || !found.stdout.trim()) {
    throw new Error(`rsyslog ${module} is not installed: run \`bash bench/peers.sh\``);
  }
}

/** rsyslog's global part: its own state directory, no escaping (the output must equal the input), big messages. */
function rsyslogGlobal(dir: string): string {
  return `global(workDirectory="${dir}" maxMessageSize="64k" parser.escapeControlCharactersOnReceive="off")
main_queue(queue.type="FixedArray" queue.size="100000" queue.dequeueBatchSize="2048")
module(load="imfile" mode="inotify")
`;
}

/**
 * imfile for the corpus, from its start, one line a message. imfile in 8.2302
 * has no rate limiter of its own (its ratelimit.* parameters are refused: only
 * imuxsock/imjournal/omfwd-side limits exist), and maxLinesAtOnce="0" lets it
 * read the file without yielding.
 */
function rsyslogInput(file: string): string {
  return `input(type="imfile" file="${file}" tag="bench" ruleset="bench" freshStartTail="off" readMode="0"
      maxLinesAtOnce="0" maxSubmitAtOnce="2048")
`;
}

function rate(r: BenchRow): number {
  return r.rate;
}

function ratioNote(ours: BenchRow, peer: BenchRow, extra: string): void {
  ours.note = `${extra}; ${(rate(ours) / rate(peer)).toFixed(2)}x ${peer.subject}`;
}

// ------------------------------------------------------------------ ship-spool

async function shiplogToSpool(ctx: { workDir: string }, file: string, lines: number): Promise<BenchRow> {
  const dataDir = join(ctx.workDir, `spool-data-${Date.now()}`);
  const out = join(ctx.workDir, 'ship-spool.out');
  const env: NodeJS.ProcessEnv = { ...process.env, SHIPLOG_DATA_DIR: dataDir };
  delete env.SHIPLOG_ELASTICSEARCH_URL;
  const measure = await measureProcess(SHIPLOG, ['ship', file], { stdoutFile: out, env: asUser(env), cwd: ROOT });
  const said = readFileSync(out, 'utf8').trim();
  const shipped = Number(/shipped (\d+) lines/.exec(said)?.[1] ?? Number.NaN);
  rmSync(dataDir, { recursive: true, force: true });
  return row('ship-spool', 'shiplog ship -> spool', lines, 'lines', measure, {
    goal: 400_000,
    note: `exit ${measure.exit_code}; ${shipped === lines ? 'all lines' : `shipped ${shipped}`}; RSS goal < 150 MB`,
  });
}

async function rsyslogToFile(ctx: { workDir: string }, file: string, lines: number, bytes: number): Promise<BenchRow> {
  requireRsyslog('imfile');
  const dir = join(ctx.workDir, `rsyslog-file-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'out.log');
  const conf = join(dir, 'rsyslog.conf');
  writeFileSync(
    conf,
    `${rsyslogGlobal(dir)}${rsyslogInput(file)}
template(name="raw" type="string" string="%rawmsg%\\n")
ruleset(name="bench") {
  action(type="omfile" file="${out}" template="raw" ioBufferSize="256k" flushOnTXEnd="on"
         asyncWriting="off")
}
`,
  );
  const size = () => (existsSync(out) ? statSync(out).size : 0);
  let lastSize = -1;
  let stalledSince = Date.now();
  const run = await measureDaemon('/usr/sbin/rsyslogd', ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], {
    timeoutMs: RSYSLOG_DONE_TIMEOUT_MS,
    pollMs: 50,
    until: async () => {
      const now = size();
      if (now !== lastSize) {
        lastSize = now;
        stalledSince = Date.now();
      }
      // Done when every byte is there; give up after 20 s without growth.
      return { done: now >= bytes || Date.now() - stalledSince > 20_000, result: now };
    },
  });
  const got = countLines(out);
  rmSync(dir, { recursive: true, force: true });
  return row('ship-spool', 'rsyslog imfile -> omfile', lines, 'lines', run.measure, {
    note: `${got === lines ? 'all lines' : `wrote ${got} lines`}; done at ${run.done_s?.toFixed(2) ?? 'never'} s`,
  });
}

function countLines(path: string): number {
  if (!existsSync(path)) return 0;
  const wc = spawnSync('wc', ['-l', path], { encoding: 'utf8' });
  return Number(wc.stdout.trim().split(/\s+/)[0]);
}

export const shipSpool: BenchSuite = {
  name: 'ship-spool',
  async run(ctx) {
    ensurePeers();
    const { path, lines, bytes } = await corpus(ctx);
    const ours = await shiplogToSpool(ctx, path, lines);
    const peer = await rsyslogToFile(ctx, path, lines, bytes);
    ratioNote(ours, peer, ours.note ?? '');
    return [ours, peer];
  },
};

// ------------------------------------------------------------------ ship-es

async function es(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${ES_URL}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, json };
}

async function docCount(target: string): Promise<number> {
  await es('POST', `/${target}/_refresh?ignore_unavailable=true`);
  const { status, json } = await es('GET', `/${target}/_count?ignore_unavailable=true`);
  return status === 200 ? Number((json as { count?: number }).count ?? 0) : 0;
}

async function shiplogToEs(ctx: { workDir: string }, file: string, lines: number, run: string): Promise<BenchRow> {
  const namespace = `bench${run}`;
  const dataDir = join(ctx.workDir, `es-data-${run}`);
  const out = join(ctx.workDir, 'ship-es.out');
  const env = {
    ...process.env,
    SHIPLOG_DATA_DIR: dataDir,
    SHIPLOG_ELASTICSEARCH_URL: ES_URL,
    SHIPLOG_ELASTICSEARCH_NAMESPACE: namespace,
  };
  const measure = await measureProcess(SHIPLOG, ['ship', file], { stdoutFile: out, env: asUser(env), cwd: ROOT });
  const said = readFileSync(out, 'utf8').trim();
  const target = /\(([^()\s]+)\) in /.exec(said)?.[1] ?? `logs-*-${namespace}`;
  const docs = await docCount(target);
  rmSync(dataDir, { recursive: true, force: true });
  return row('ship-es', 'shiplog ship -> ES', lines, 'docs', measure, {
    goal: 100_000,
    note: `exit ${measure.exit_code}; ${docs === lines ? 'all docs' : `${docs} docs`} in ${target}`,
  });
}

async function rsyslogToEs(ctx: { workDir: string }, file: string, lines: number, run: string): Promise<BenchRow> {
  requireRsyslog('omelasticsearch');
  const target = `logs-rsyslogbench-${run}`;
  // Data streams as shiplog writes them (op_type create, @timestamp), same
  // message type as shiplog picks here (text: no mapper-extras on the test
  // build); the test build has no built-in "logs" template.
  const template = await es('PUT', '/_index_template/shiplog-bench-rsyslog', {
    index_patterns: ['logs-rsyslogbench-*'],
    priority: 300,
    data_stream: {},
    template: {
      settings: { number_of_replicas: 0 },
      mappings: {
        dynamic: 'false',
        properties: { '@timestamp': { type: 'date' }, message: { type: 'text' } },
      },
    },
  });
  if (template.status !== 200)
    throw new Error(`index template: HTTP ${template.status} ${JSON.stringify(template.json)}`);
  const dir = join(ctx.workDir, `rsyslog-es-${run}`);
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'rsyslog.conf');
  const url = new URL(ES_URL);
  writeFileSync(
    conf,
    `${rsyslogGlobal(dir)}module(load="omelasticsearch")
${rsyslogInput(file)}
template(name="doc" type="list" option.jsonf="on") {
  property(outname="@timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="message" name="rawmsg" format="jsonf")
}
ruleset(name="bench" queue.type="LinkedList" queue.size="200000" queue.dequeueBatchSize="2000"
        queue.workerThreads="2") {
  action(type="omelasticsearch" server="${url.hostname}" serverport="${url.port}" searchIndex="${target}"
         template="doc" bulkmode="on" maxbytes="4m" esVersion.major="8" writeoperation="create"
         errorFile="${join(dir, 'errors.json')}" action.resumeRetryCount="-1")
}
`,
  );
  let docs = 0;
  let lastDocs = -1;
  let stalledSince = Date.now();
  const result = await measureDaemon('/usr/sbin/rsyslogd', ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], {
    timeoutMs: RSYSLOG_DONE_TIMEOUT_MS,
    pollMs: 500,
    until: async () => {
      docs = await docCount(target);
      if (docs !== lastDocs) {
        lastDocs = docs;
        stalledSince = Date.now();
      }
      return { done: docs >= lines || Date.now() - stalledSince > 30_000, result: docs };
    },
  });
  const errors = existsSync(join(dir, 'errors.json')) ? countLines(join(dir, 'errors.json')) : 0;
  rmSync(dir, { recursive: true, force: true });
  return row('ship-es', 'rsyslog imfile -> omelasticsearch', lines, 'docs', result.measure, {
    note: `${result.result === lines ? 'all docs' : `${result.result} docs`} in ${target}; done at ${
      result.done_s?.toFixed(2) ?? 'never'
    } s${errors > 0 ? `; ${errors} error lines` : ''}`,
  });
}

export const shipEs: BenchSuite = {
  name: 'ship-es',
  async run(ctx) {
    ensurePeers();
    ensureService('elasticsearch');
    const { path, lines } = await corpus(ctx);
    const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;
    const ours = await shiplogToEs(ctx, path, lines, run);
    const peer = await rsyslogToEs(ctx, path, lines, run);
    ratioNote(ours, peer, ours.note ?? '');
    return [ours, peer];
  },
};
