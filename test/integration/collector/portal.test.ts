// The support engineer's morning, in Debian's chromium against a real
// `shiplog-collector serve`: containers on the test engine crash-loop and run
// out of memory, `shiplog dump` bundles them, and the engineer signs in,
// uploads the bundle through the page (resuming an upload that broke off
// halfway), searches for a line and opens the lines around it, reads the
// planted restart-loop and oom-killed findings on the bundle page, accepts
// the site's changed signing key as admin and sees what changed on the site
// page. Keyboard alone must do the search; a read token must not reach the
// admin pages. Screenshots go to .cache/portal-screenshots/.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPortal, screenshot, signIn, type Watched } from '../../helpers/browser.ts';
import { shiplog } from '../../helpers/cli.ts';
import { api, type RunningCollector, startCollector, waitForBundle } from '../../helpers/collector.ts';
import { docker, startShell, untilInspect } from '../../helpers/docker.ts';
import { requireService } from '../../helpers/services.ts';
import { tempDir } from '../../helpers/temp.ts';

const prefix = `shiplog-portal-${randomBytes(3).toString('hex')}-`;
const names = { crash: `${prefix}crash`, oom: `${prefix}oom`, talk: `${prefix}talk` };
const marker = `PORTAL${randomBytes(4).toString('hex').toUpperCase()}`;

async function dump(dir: string, dataDir: string, out: string): Promise<string> {
  const config = join(dir, 'agent.yml');
  writeFileSync(config, `sources:\n  files:\n    paths: [${join(dir, 'messages')}]\n`);
  const result = await shiplog(
    ['dump', '--config', config, '--containers', Object.values(names).join(','), '--since', '1h', '--out', out],
    { env: { SHIPLOG_DATA_DIR: dataDir } },
  );
  if (result.code !== 0) throw new Error(`shiplog dump failed: ${result.stderr}`);
  return out;
}

/** Records every text the element shows, so a message that flashes by is still seen. */
async function recordTexts(page: Page, selector: string): Promise<void> {
  await page.evaluate((target) => {
    const element = document.querySelector(target) as HTMLElement;
    const seen: string[] = [];
    (window as unknown as { __seen: string[] }).__seen = seen;
    new MutationObserver(() => seen.push(element.textContent ?? '')).observe(element, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  }, selector);
}

describe.skipIf(!requireService('docker'))('the portal in a browser', () => {
  const dir = tempDir('shiplog-portal-');
  let collector: RunningCollector;
  let first: string;
  let rekeyed: string;
  let firstId: string;
  let oomFeasible = false;
  let admin: Watched;

  beforeAll(async () => {
    writeFileSync(join(dir, 'messages'), `${new Date().toISOString()} app-01 cron[1]: portal test\n`);
    await startShell(names.crash, 'echo "boom: cannot reach ledger"; exit 3', {
      RestartPolicy: { Name: 'always', MaximumRetryCount: 0 },
    });
    await startShell(
      names.oom,
      'for i in 1 2 3; do (x=$(head -c 100000000 /dev/zero | tr "\\0" a)); echo "worker $i died" >&2; sleep 1; done; exit 1',
      { Memory: 8 * 1024 * 1024, MemorySwap: 8 * 1024 * 1024 },
    );
    await startShell(
      names.talk,
      `echo "line before the hit"; echo "payment gateway timed out ref=${marker}"; echo "line after the hit"; sleep 600`,
    );
    await untilInspect(names.crash, (info) => info.RestartCount >= 3, 'restarted three times');
    await untilInspect(names.oom, (info) => info.State.Status === 'exited', 'exited');
    oomFeasible = await untilInspect(names.oom, (info) => info.State.OOMKilled, 'was marked OOM-killed', 15_000).then(
      () => true,
      () => false,
    );
    first = await dump(dir, join(dir, 'site-key'), join(dir, 'first.tar.gz'));
    // The same host, re-installed: a new signing key.
    rekeyed = await dump(dir, join(dir, 'new-site-key'), join(dir, 'rekeyed.tar.gz'));
    collector = await startCollector();
    await collector.token('acme', 'read');
    admin = await openPortal(collector.url, { confirm: true });
    await signIn(admin.page, collector.url, collector.adminToken);
  }, 240_000);

  afterAll(async () => {
    await admin?.context.close();
    await collector?.stop();
    await Promise.all(
      Object.values(names).map((name) =>
        docker()
          .getContainer(name)
          .remove({ force: true })
          .catch(() => {}),
      ),
    );
  });

  it('uploads a bundle through the page, resuming an upload that broke off halfway, and shows the receipt', async () => {
    const { page } = admin;
    // Half of the file went up before the connection broke (same token, so the same uploader).
    const bytes = readFileSync(first);
    const half = Math.floor(bytes.length / 2);
    const created = await fetch(`${collector.url}/api/v1/uploads?tenant=acme`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${collector.adminToken}`,
        'tus-resumable': '1.0.0',
        'upload-length': String(bytes.length),
        'upload-metadata': `filename ${Buffer.from(basename(first)).toString('base64')}`,
      },
    });
    expect(created.status).toBe(201);
    const location = new URL(created.headers.get('location') as string, collector.url).pathname;
    const patched = await fetch(`${collector.url}${location}`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${collector.adminToken}`,
        'tus-resumable': '1.0.0',
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      body: bytes.subarray(0, half),
    });
    expect(patched.status).toBe(204);
    // The page remembers where that upload stands, under the file's name, size and time.
    const lastModified = Math.floor(statSync(first).mtimeMs);
    await page.goto(`${collector.url}/upload`);
    await page.evaluate(
      ([key, value]) => localStorage.setItem(key as string, value as string),
      [`shiplog-upload:acme:${basename(first)}:${bytes.length}:${lastModified}`, location],
    );
    await page.goto(`${collector.url}/upload`);
    await page.selectOption('#tenant', 'acme');
    await page.setInputFiles('#bundle-file', first);
    await recordTexts(page, '.upload-status');
    await page.click('button[type=submit]');
    await page.waitForSelector('.receipt');
    await screenshot(page, 'upload-receipt');
    const seen = await page.evaluate(() => (window as unknown as { __seen: string[] }).__seen);
    expect(seen.some((text) => text.startsWith('Resuming at 50%'))).toBe(true);
    expect(await page.getAttribute('#upload-progress', 'value')).toBe('100');
    expect(await page.textContent('.receipt')).toContain(createHashOf(bytes));
    firstId = (await page.textContent('.receipt dd a')) as string;
    const done = await waitForBundle(collector, collector.adminToken, firstId, 120_000);
    expect(done.status).toBe('indexed');
    expect(admin.incidents).toEqual([]);
  });

  it('finds a line by search, opens the lines around it, and keeps the results; the address is shareable', async () => {
    const { page } = admin;
    await page.goto(`${collector.url}/search`);
    await page.fill('#q', marker);
    await page.press('#q', 'Enter');
    await page.waitForSelector('li.hit');
    expect(await page.locator('li.hit').count()).toBe(1);
    expect(await page.textContent('li.hit pre')).toContain(`payment gateway timed out ref=${marker}`);
    expect(await page.textContent('li.hit mark')).toBe(marker);
    expect(page.url()).toContain(`q=${marker}`);
    await page.waitForSelector('.facets section');
    expect(await page.textContent('.facets')).toContain(names.talk);
    await page.click('li.hit button');
    await page.waitForSelector('.context-lines li');
    const around = (await page.locator('.context-lines li pre').allTextContents()).map((text) => text.trim());
    const at = around.indexOf(`payment gateway timed out ref=${marker}`);
    expect(around[at - 1]).toBe('line before the hit');
    expect(around[at + 1]).toBe('line after the hit');
    expect(await page.locator('li.hit').count()).toBe(1);
    await screenshot(page, 'search-context');
    // Shared with a colleague: the same search in another session.
    const colleague = await openPortal(collector.url);
    await signIn(colleague.page, collector.url, collector.adminToken);
    await colleague.page.goto(page.url());
    await colleague.page.waitForSelector('li.hit');
    expect(await colleague.page.textContent('li.hit pre')).toContain(marker);
    await colleague.context.close();
  });

  it('narrows a search to the time dragged across on the histogram, and to the time picked with the keyboard', async () => {
    const { page } = admin;
    // Every line of the bundle: the histogram spans the hour the bundle covers.
    await page.goto(`${collector.url}/search?${new URLSearchParams({ q: '', bundle: firstId })}`);
    await page.waitForSelector('.histogram .slot');
    const total = Number(((await page.textContent('.summary')) as string).replace(/[^0-9]/g, ''));
    const box = (await page.locator('.histogram').boundingBox()) as {
      x: number;
      y: number;
      width: number;
      height: number;
    };
    await page.mouse.move(box.x + box.width * 0.02, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.waitForURL(/from=.*to=/);
    const url = new URL(page.url());
    const from = Date.parse(url.searchParams.get('from') as string);
    const to = Date.parse(url.searchParams.get('to') as string);
    expect(to).toBeGreaterThan(from);
    await page.waitForSelector('.chips a:has-text("from")');
    await page.waitForSelector('li.hit');
    const narrowed = Number(((await page.textContent('.summary')) as string).replace(/[^0-9]/g, ''));
    expect(narrowed).toBeLessThanOrEqual(total);
    for (const stamp of await page.locator('li.hit time').allTextContents()) {
      const ms = Date.parse(stamp.replace(' ', 'T'));
      expect(ms).toBeGreaterThanOrEqual(from);
      expect(ms).toBeLessThan(to);
    }
    // The same with the keyboard: focus the histogram, pick two buckets, Enter.
    await page.goto(`${collector.url}/search?${new URLSearchParams({ q: '', bundle: firstId })}`);
    await page.waitForSelector('.histogram .slot');
    await page.focus('.histogram');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Shift+ArrowRight');
    expect(await page.textContent('.histogram-status')).toMatch(/ to .*: [0-9,]+ matches/);
    await page.keyboard.press('Enter');
    await page.waitForURL(/from=.*to=/);
  });

  it('shows the planted restart-loop and oom-killed findings first on the bundle page', async () => {
    const { page } = admin;
    await page.goto(`${collector.url}/bundles/${firstId}`);
    await page.waitForSelector('#findings');
    await page.waitForSelector('#files ul.tree');
    await screenshot(page, 'bundle');
    const findings = await page.locator('#findings li.finding .finding-head').allTextContents();
    const loop = findings.find((text) => text.includes(`container ${names.crash} is restarting in a loop`));
    expect(loop).toContain('restart-loop');
    expect(loop).toContain('critical');
    if (oomFeasible || process.env.CI) {
      expect(findings.some((text) => text.includes(`container ${names.oom} was killed for lack of memory`))).toBe(true);
    }
    // Findings come before everything else on the page.
    const order = await page.evaluate(() =>
      [...document.querySelectorAll('main section')].map((section) => section.id),
    );
    expect(order[0]).toBe('findings');
    expect(await page.textContent('#containers')).toContain(names.crash);
    // Evidence links open the file viewer at the line or field.
    await page.locator('#findings .evidence a').first().click();
    await page.waitForSelector('ol.file-lines li');
    await page.goto(`${collector.url}/bundles/${firstId}/timeline`);
    await page.waitForSelector('ol.timeline li');
    const times = await page.locator('ol.timeline li time').allTextContents();
    expect([...times].sort()).toEqual(times);
    expect(await page.textContent('ol.timeline')).toContain(marker);
    await screenshot(page, 'timeline');
  });

  it('accepts a site key that changed, and the held-back bundle is indexed; the site page says what changed', async () => {
    const { page } = admin;
    const sent = await api(collector, collector.adminToken, '/api/v1/bundles?tenant=acme', {
      method: 'POST',
      body: readFileSync(rekeyed),
    });
    const held = await waitForBundle(collector, collector.adminToken, sent.body.id as string);
    expect(held.status).toBe('quarantined');
    expect(held.error?.code).toBe('COLLECTOR_ERR_SITE_KEY_CHANGED');
    await page.goto(`${collector.url}/admin/keys`);
    await page.waitForSelector('#site-keys table');
    await screenshot(page, 'admin-keys');
    await page.click('button:has-text("Accept the new key")');
    await page.waitForSelector('#site-keys table:not(:has(button))');
    const indexed = await waitForBundle(collector, collector.adminToken, sent.body.id as string, 120_000);
    expect(indexed.status).toBe('indexed');
    await page.goto(`${collector.url}/sites/acme/${encodeURIComponent(held.site as string)}`);
    await page.waitForSelector('#site-changes');
    expect(await page.locator('#site-bundles tbody tr').count()).toBe(2);
    expect(await page.textContent('#site-changes')).toMatch(/since the bundle before/);
    await screenshot(page, 'site');
    expect(admin.incidents).toEqual([]);
  });

  it('works with the keyboard alone: sign in, search, open the context and close it', async () => {
    const session = await openPortal(collector.url);
    const { page } = session;
    await page.goto(`${collector.url}/signin`);
    // The page puts the cursor in the token box once it is drawn; the keyboard starts there.
    await page.waitForFunction(() => document.activeElement?.id === 'token');
    await page.keyboard.type(collector.adminToken);
    await page.keyboard.press('Enter');
    await page.waitForSelector('header .who');
    const tabTo = async (test: (text: string, tag: string) => boolean, what: string) => {
      for (let i = 0; i < 60; i++) {
        await page.keyboard.press('Tab');
        const [text, tag] = await page.evaluate(() => [
          document.activeElement?.textContent?.trim() ?? '',
          document.activeElement?.tagName ?? '',
        ]);
        if (test(text, tag)) return;
      }
      throw new Error(`Tab never reached ${what}`);
    };
    await tabTo((text, tag) => tag === 'A' && text === 'Search', 'the Search link');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#q');
    await tabTo((_text, tag) => tag === 'INPUT', 'the query box');
    await page.keyboard.type(marker);
    await page.keyboard.press('Enter');
    await page.waitForSelector('li.hit');
    await tabTo((text) => text === 'Show the lines around it', 'the context button');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.context-lines li');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Close');
    await page.keyboard.press('Enter');
    expect(await page.isHidden('aside.context')).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Show the lines around it');
    expect(session.incidents).toEqual([]);
    await session.context.close();
  });

  it('keeps a read token out of the admin pages and out of another tenant', async () => {
    const reader = await openPortal(collector.url);
    const token = await collector.token('globex', 'read');
    await signIn(reader.page, collector.url, token);
    expect(await reader.page.textContent('header nav')).not.toContain('Admin');
    await reader.page.goto(`${collector.url}/admin/tokens`);
    await reader.page.waitForSelector('.error');
    expect(await reader.page.textContent('main')).toContain('may not administer');
    await reader.page.goto(`${collector.url}/bundles/${firstId}`);
    await reader.page.waitForSelector('.error');
    expect(await reader.page.textContent('.error')).toContain('COLLECTOR_ERR_NOT_FOUND');
    await reader.page.goto(`${collector.url}/search?q=${marker}`);
    await reader.page.waitForSelector('.summary:has-text("No line matches")');
    await screenshot(reader.page, 'reader-other-tenant');
    await reader.context.close();
  });
});

function createHashOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
