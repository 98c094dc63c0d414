// Log text is attacker-controlled. A bundle signed by a genuine site carries
// the hostile strings of test/fixtures/portal/hostile-strings.json in its
// site name, file names, container facts, collector errors, SUMMARY.txt,
// syslog and container lines, plus a 1 MB line and a 200,000-character word;
// a token's label and a search query carry them too. Every page of the
// portal is opened on them in Debian's chromium: nothing may run, no dialog
// may open, no element or attribute may come from the strings, no request
// may leave the collector, the page may not grow wider than the window, and
// the strings must still be there to read, as text, with the characters
// that act (ANSI escapes, text-direction overrides) shown as marks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManifestDraft } from '../../agent/bundle/seal/seal.ts';
import { sealBundle } from '../../agent/bundle/seal/seal.ts';
import { loadOrCreateSigningKey } from '../../agent/bundle/seal/signing-key.ts';
import { BundleStaging } from '../../agent/bundle/seal/staging.ts';
import { formatContainerLine } from '../../bundle/container-log.ts';
import { openPortal, screenshot, signIn, type Watched } from '../helpers/browser.ts';
import { repoRoot } from '../helpers/cli.ts';
import { api, type RunningCollector, startCollector, waitForBundle } from '../helpers/collector.ts';
import { tempDir } from '../helpers/temp.ts';

const corpus = (
  JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/portal/hostile-strings.json'), 'utf8')) as { strings: string[] }
).strings;
const marker = 'HOSTILEMARK';
const site = `${corpus[0]}/../admin`;
const container = corpus[1] as string;
const now = Date.now();
const stamp = (seconds: number) => new Date(now - 3_600_000 + seconds * 1000).toISOString();

async function hostileBundle(dir: string): Promise<string> {
  const dataDir = join(dir, 'agent');
  const key = loadOrCreateSigningKey(dataDir);
  const staging = BundleStaging.create(dataDir);
  const lines = corpus.map((text, index) => `${marker} ${index} ${text}`);
  const containerLog = [
    ...lines.map((text, index) => formatContainerLine(stamp(index), index % 2 ? 'stderr' : 'stdout', text)),
    formatContainerLine(stamp(100), 'stdout', `${marker} huge ${'A'.repeat(1024 * 1024)}`),
    formatContainerLine(stamp(101), 'stdout', `${marker} word ${'w'.repeat(200_000)}`),
    '',
  ].join('\n');
  const files: Record<string, string> = {
    'SUMMARY.txt': `shiplog support bundle: summary\n\nFindings\n${corpus.map((text) => `RED    ${text}`).join('\n')}\n\nContainers (1)\n`,
    'host/host.json': JSON.stringify({
      hostname: site,
      kernel: corpus[2],
      clock: { timezone: 'UTC', now: stamp(3599) },
    }),
    'containers/web/inspect.json': JSON.stringify({
      Id: 'a'.repeat(64),
      Name: `/${container}`,
      RestartCount: 9,
      Config: { Image: corpus[3] },
      State: { Status: corpus[2], ExitCode: 137, OOMKilled: true, Health: { Status: corpus[10] } },
    }),
    'containers/web/container.log': containerLog,
    'syslog/messages': lines
      .map((text, index) => `${stamp(200 + index).slice(0, 19)}Z app-01 app[1]: ${text}\n`)
      .join(''),
    [`host/${corpus[11]}.txt`]: `${lines.join('\n')}\n`,
    'host/<b>bold</b> name.txt': `${marker} in a file with a tag for a name\n`,
  };
  for (const [path, body] of Object.entries(files)) await staging.add(path, Buffer.from(body), { collector: 'test' });
  const manifest: ManifestDraft = {
    format_version: 1,
    tool: { name: 'shiplog', version: corpus[4] as string },
    created_at: stamp(3600),
    host: { name: site, os: corpus[5], kernel: corpus[6] },
    window: { since: stamp(0), until: stamp(3600) },
    collectors: [
      {
        name: corpus[7] as string,
        status: 'failed',
        duration_ms: 12,
        error: { code: corpus[8] as string, message: corpus[9] as string },
      },
      { name: 'host', status: 'ok', duration_ms: 3 },
    ],
    redaction: {
      packs: [{ name: corpus[12] as string, version: '1', sha256: 'a'.repeat(64) }],
      key_id: 'abcd',
      by_rule: { [corpus[13] as string]: 2 },
      by_category: { [corpus[14] as string]: 2 },
      by_file: {},
      rescan: 'clean',
    },
    truncations: [
      { path: 'containers/web/container.log', original_size: 10, kept_size: 5, reason: corpus[15] as string },
    ],
  };
  const output = join(dir, 'hostile.tar.gz');
  try {
    const sealed = await sealBundle({ staging, manifest, key, output });
    await sealed.release();
  } finally {
    await staging.discard();
  }
  return output;
}

/** What must hold on every page, whatever the strings did. */
async function expectSafe(watched: Watched, name: string): Promise<void> {
  const { page } = watched;
  await page.waitForLoadState('networkidle');
  await screenshot(page, `hostile-${name}`);
  const report = await page.evaluate(() => {
    const all = [...document.querySelectorAll('*')];
    return {
      pwned: (window as unknown as { __pwned?: unknown }).__pwned,
      scripts: [...document.scripts].map((script) => script.getAttribute('src')),
      eventAttributes: all.flatMap((element) =>
        [...element.attributes]
          .filter((attribute) => attribute.name.startsWith('on'))
          .map((attribute) => attribute.name),
      ),
      foreign: all
        .filter(
          (element) =>
            ['IMG', 'SVG', 'IFRAME', 'OBJECT', 'EMBED', 'STYLE', 'BASE', 'META', 'FORM'].includes(
              element.tagName.toUpperCase(),
            ) && !element.closest('head'),
        )
        .map((element) => element.tagName)
        .filter((tag) => tag !== 'FORM'),
      links: [...document.querySelectorAll('a[href]')].map((link) => link.getAttribute('href') as string),
      overflow: document.documentElement.scrollWidth - window.innerWidth,
      text: document.querySelector('main')?.textContent ?? '',
    };
  });
  expect(report.pwned, name).toBeUndefined();
  expect(watched.incidents, name).toEqual([]);
  expect(report.scripts, name).toEqual(['/assets/app.js']);
  expect(report.eventAttributes, name).toEqual([]);
  expect(report.foreign, name).toEqual([]);
  for (const href of report.links) expect(href, name).toMatch(/^(\/(?!\/)|#|blob:)/);
  expect(report.overflow, `${name}: the page is wider than the window`).toBeLessThanOrEqual(1);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the acting characters must not reach the page raw
  expect(report.text, name).not.toMatch(/[\u001b\u202e\u2066\u200f\u0007]/);
}

async function forms(page: Page): Promise<string[]> {
  return page.evaluate(() => [...document.querySelectorAll('form')].map((form) => form.getAttribute('action') ?? ''));
}

describe('the portal on hostile strings', () => {
  let collector: RunningCollector;
  let bundleId: string;
  let watched: Watched;

  beforeAll(async () => {
    collector = await startCollector();
    const upload = await collector.token('acme', 'upload');
    await collector.token('acme', 'read', ['--label', `${corpus[0]} reader`]);
    const path = await hostileBundle(tempDir('shiplog-hostile-portal-'));
    const sent = await api(collector, upload, '/api/v1/bundles', { method: 'POST', body: readFileSync(path) });
    expect(sent.status).toBe(201);
    bundleId = sent.body.id as string;
    const done = await waitForBundle(collector, collector.adminToken, bundleId);
    expect(done.status, JSON.stringify(done.error)).toBe('indexed');
    watched = await openPortal(collector.url);
    await signIn(watched.page, collector.url, collector.adminToken);
  }, 120_000);

  afterAll(async () => {
    await watched?.context.close();
    await collector?.stop();
  });

  it('the start page lists the hostile site as text', async () => {
    await watched.page.goto(`${collector.url}/`);
    await watched.page.waitForSelector('#newest table');
    await expectSafe(watched, 'home');
    expect(await watched.page.textContent('main')).toContain(corpus[0]);
  });

  it('search shows hostile lines as text, with their marks, and their context', async () => {
    const { page } = watched;
    await page.goto(`${collector.url}/search?q=${marker}`);
    await page.waitForSelector('li.hit');
    await expectSafe(watched, 'search');
    const text = (await page.textContent('main')) as string;
    expect(text).toContain(corpus[0]);
    expect(text).toContain('<U+202E>');
    expect(text).toContain('␛[31m');
    expect(await page.locator('li.hit').count()).toBeGreaterThanOrEqual(corpus.length);
    await page.locator('li.hit button', { hasText: 'lines around' }).first().click();
    await page.waitForSelector('.context-lines li');
    await expectSafe(watched, 'search-context');
  });

  it('a hostile query is shown back as text', async () => {
    const { page } = watched;
    await page.goto(`${collector.url}/search?q=${encodeURIComponent(`"${corpus[1]}`)}`);
    await page.waitForSelector('.summary .error, li.hit, .summary:has-text("No line")');
    await expectSafe(watched, 'search-hostile-query');
  });

  it('the bundle page shows every hostile field as text', async () => {
    const { page } = watched;
    await page.goto(`${collector.url}/bundles/${bundleId}`);
    await page.waitForSelector('#files ul.tree');
    await expectSafe(watched, 'bundle');
    const text = (await page.textContent('main')) as string;
    for (const index of [0, 1, 3, 7, 9, 13, 15]) expect(text).toContain(corpus[index]);
    expect(await forms(page)).toEqual([]);
  });

  it('the timeline and the file viewer keep a 1 MB line and a 200,000-character word inside the page', async () => {
    const { page } = watched;
    await page.goto(`${collector.url}/bundles/${bundleId}/timeline`);
    await page.waitForSelector('ol.timeline li');
    await expectSafe(watched, 'timeline');
    for (const path of [
      'containers/web/container.log',
      `host/${corpus[11]}.txt`,
      'host/<b>bold</b> name.txt',
      'SUMMARY.txt',
    ]) {
      await page.goto(`${collector.url}/bundles/${bundleId}/file?${new URLSearchParams({ path })}`);
      await page.waitForSelector('ol.file-lines li');
      await expectSafe(watched, `file-${path.replace(/[^a-z]/gi, '').slice(0, 20)}`);
    }
    expect(await page.textContent('main')).toContain('RED');
  });

  it('the site page and the admin pages show hostile names, labels and queries as text', async () => {
    const { page } = watched;
    await page.goto(`${collector.url}/sites/acme/${encodeURIComponent(site)}`);
    await page.waitForSelector('#site-bundles table');
    await expectSafe(watched, 'site');
    expect(await page.textContent('h1')).toContain(corpus[0]);
    for (const [path, ready] of [
      ['/admin', '#tenants table'],
      ['/admin/tokens', '#tokens table'],
      ['/admin/keys', '#site-keys table'],
      ['/admin/audit', '#audit tbody tr'],
    ] as const) {
      await page.goto(`${collector.url}${path}`);
      await page.waitForSelector(ready);
      await expectSafe(watched, `admin-${path.split('/').at(-1)}`);
    }
    await page.goto(`${collector.url}/admin/tokens`);
    expect(await page.textContent('#tokens')).toContain(`${corpus[0]} reader`);
  });
});
