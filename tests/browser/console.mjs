// console.mjs - the NOC console in headless chromium (playwright-core),
// against a real stack (ingest, correlator, ticketer serving the console)
// started by tests/integration/test_console_browser.sh, which passes:
//   CONSOLE_URL, INGEST_URL, INGEST_TOKEN, TOK_VIEWER, TOK_AGENT,
//   TOK_OPERATOR, CHROMIUM, OUT (screenshots go there).
// Each step prints "ok - ..."; the first failure throws (exit 1).
import { chromium } from 'playwright-core';
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';

const env = process.env;
const URL_ = env.CONSOLE_URL;
const t0 = Date.now();
const ok = (what) => console.log(`ok - ${what} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);

async function postAlert(resource, summary) {
  const body = [{ source: 'browser', resource, check: 'NodeDown', status: 'firing', severity: 'critical', summary,
    labels: { site: 'ams1', runbook_url: 'https://wiki.example.net/runbooks/node-down' } }];
  const r = await fetch(`${env.INGEST_URL}/api/v1/events`, { method: 'POST', headers: { Authorization: `Bearer ${env.INGEST_TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(r.status, 202, `ingest: ${r.status} ${await r.text()}`);
}

async function apiAs(tok, method, path, body) {
  const r = await fetch(`${URL_}/api/v1${path}`, { method, headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  return { status: r.status, body: await r.json() };
}

// page.waitForFunction compiles its predicate with eval, which the console's
// CSP forbids (as it should): poll with evaluate instead.
async function until(page, fn, arg, ms = 10000) {
  const end = Date.now() + ms;
  while (!(await page.evaluate(fn, arg))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${fn}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Every literal catalogue key the code uses exists in both catalogues, and
// the catalogues have the same keys.
{
  const dir = new URL('../../ticketer/console/', import.meta.url);
  const en = JSON.parse(readFileSync(new URL('i18n/en.json', dir)));
  const fa = JSON.parse(readFileSync(new URL('i18n/fa.json', dir)));
  assert.deepEqual(Object.keys(fa).sort(), Object.keys(en).sort(), 'en.json and fa.json differ in keys');
  const html = readFileSync(new URL('index.html', dir), 'utf8');
  const used = [...html.matchAll(/data-i18n="([^"]+)"/g)].map((m) => m[1]);
  for (const f of readdirSync(new URL('js/', dir))) {
    used.push(...[...readFileSync(new URL(`js/${f}`, dir), 'utf8').matchAll(/\bt\('([\w.-]+)'/g)].map((m) => m[1]));
  }
  const missing = used.filter((k) => !(k in en));
  assert.deepEqual(missing, [], 'keys missing from the catalogues');
  ok(`${used.length} catalogue keys used; en and fa complete`);
}

const browser = await chromium.launch({ executablePath: env.CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
const problems = [];
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'en-GB' });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 40[19]/.test(m.text())) problems.push(`console: ${m.text()}`); });
  page.on('dialog', (d) => { problems.push(`dialog opened: ${d.message()}`); d.dismiss(); });

  // ---- sign in ----
  await page.goto(URL_);
  await page.getByLabel('API token').fill('not-a-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('That token is not known.').waitFor();
  ok('a wrong token is refused with a sentence');
  await page.getByLabel('API token').fill(env.TOK_OPERATOR);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#who').getByText('operator-1').waitFor();
  await page.locator('#live[data-state=live]').waitFor({ timeout: 10000 });
  assert.ok(!page.url().includes(env.TOK_OPERATOR), 'token in the URL');
  ok('signed in as operator; live stream connected; token not in the URL');

  // ---- a new alert appears without reload; its HTML stays text ----
  await page.evaluate(() => { window.__noReload = true; });
  const evil = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">core-sw9 down';
  await postAlert('core-sw9', evil);
  const row = page.locator('tr', { hasText: 'core-sw9' }).first();
  await row.waitFor({ timeout: 20000 });
  assert.equal(await page.evaluate(() => window.__noReload), true, 'the page was reloaded');
  ok('the ticket appeared in the queue without reload');
  const title = await row.locator('.c-title').textContent();
  assert.ok(title.includes('<script>window.__xss=1</script>'), `title not shown as text: ${title}`);
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'alert HTML was executed');
  assert.equal(await row.locator('.c-title script, .c-title img').count(), 0, 'alert HTML became elements');
  ok('an alert summary with <script> and <img onerror> renders as text');

  const key = (await row.getAttribute('data-key'));
  const sla = row.locator('.sla');
  assert.equal(await sla.getAttribute('data-running'), 'true', 'SLA not counting');
  const first = await sla.textContent();
  await page.waitForTimeout(1200);
  assert.notEqual(await sla.textContent(), first, 'the SLA countdown does not move');
  ok(`${key}: the response SLA counts down (${first.trim()})`);
  await page.screenshot({ path: `${env.OUT}/console-queue.png` });

  // ---- keyboard: select the row with j, acknowledge with a ----
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  const keys = await page.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.key));
  for (let i = 0; i <= keys.indexOf(key); i++) await page.keyboard.press('j');
  assert.equal(await row.getAttribute('aria-selected'), 'true', 'j did not reach the row');
  await page.keyboard.press('a');
  await row.locator('[data-state=acknowledged]').waitFor({ timeout: 10000 });
  assert.equal(await row.locator('.sla').getAttribute('data-running'), 'false', 'SLA still running after ack');
  const stopped = await row.locator('.sla').textContent();
  await page.waitForTimeout(1100);
  assert.equal(await row.locator('.sla').textContent(), stopped, 'SLA text still changes');
  ok(`j + a acknowledged ${key}; state Acknowledged; the SLA countdown stopped (${stopped})`);

  // ---- filters live in the URL ----
  await page.locator('select[name=priority]').selectOption('P4');
  await until(page, () => location.hash.includes('priority=P4'));
  await page.reload();
  assert.equal(await page.locator('select[name=priority]').inputValue(), 'P4', 'filter lost on reload');
  await page.locator('select[name=priority]').selectOption('');
  await until(page, () => !location.hash.includes('priority='));
  ok('filters are kept in the URL');

  // ---- the ticket page ----
  await page.goto(`${URL_}/#/ticket/${key}`);
  await page.locator('.timeline li').first().waitFor();
  const kinds = await page.locator('.timeline li').evaluateAll((lis) => lis.map((li) => li.dataset.kind));
  for (const k of ['opened', 'alert_joined', 'state_changed']) assert.ok(kinds.includes(k), `timeline lacks ${k}: ${kinds}`);
  await page.locator('.tree li.root').first().waitFor();
  assert.ok((await page.locator('.ticket-head .title').textContent()).includes('<script>'), 'ticket title not text');
  assert.equal(await page.locator('.runbooks a').getAttribute('href'), 'https://wiki.example.net/runbooks/node-down');
  ok(`ticket page: timeline (${kinds.join(', ')}), cause tree, runbook link`);
  await page.screenshot({ path: `${env.OUT}/console-ticket.png`, fullPage: false });

  // ---- optimistic concurrency: someone else changes it while we type ----
  await page.getByPlaceholder('add a comment').fill('my note');
  const other = await apiAs(env.TOK_AGENT, 'POST', `/tickets/${key}/comment`, { text: 'from agent-1' });
  assert.equal(other.status, 200);
  await page.locator('.ticket-head [role=alert]', { hasText: 'changed by agent-1' }).waitFor({ timeout: 10000 });
  await page.getByRole('button', { name: 'Comment' }).click();
  await page.locator('#toast', { hasText: 'changed by agent-1' }).waitFor();
  await page.locator('#toast').getByRole('button', { name: 'Reload' }).click();
  await page.locator('.timeline blockquote', { hasText: 'from agent-1' }).waitFor();
  ok('a concurrent change shows "changed by agent-1, reload" and Reload shows it');

  // ---- silences: create from the ticket's labels, expire ----
  await page.getByRole('link', { name: 'Silence these alerts…' }).click();
  await until(page, () => document.querySelector('#sil-matchers')?.value.includes('labels.site = ams1'));
  await page.locator('#sil-duration').selectOption('1h');
  await page.getByRole('button', { name: 'Create silence' }).click();
  const silRow = page.locator('tr[data-state=active]', { hasText: 'resource = core-sw9' });
  await silRow.waitFor();
  const silId = await silRow.getAttribute('data-id');
  ok(`silence ${silId} created from ${key}'s labels`);
  await silRow.getByRole('button', { name: 'Expire' }).click();
  await page.locator(`tr[data-id="${silId}"]`).waitFor({ state: 'detached' });
  await page.getByLabel('show expired').check();
  await page.locator(`tr[data-id="${silId}"][data-state=expired]`).waitFor();
  await page.locator('.week .win', { hasText: 'sunday-fibre' }).waitFor();
  ok(`silence ${silId} expired; maintenance window on the week view`);
  await page.screenshot({ path: `${env.OUT}/console-silences.png`, fullPage: true });

  // ---- on call and reports ----
  await page.goto(`${URL_}/#/oncall`);
  await page.locator('.oncall h2', { hasText: 'noc' }).waitFor();
  await page.goto(`${URL_}/#/reports`);
  await page.locator('.chart canvas').first().waitFor({ timeout: 10000 });
  assert.ok((await page.locator('.funnel li').count()) === 4);
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${env.OUT}/console-reports.png`, fullPage: true });
  ok('on-call page shows the noc team; reports draw uPlot charts and the funnel');

  // ---- Persian ----
  await page.goto(`${URL_}/#/ticket/${key}`);
  await page.locator('.timeline li').first().waitFor();
  await page.locator('#lang').selectOption('fa');
  await until(page, () => document.documentElement.dir === 'rtl' && document.documentElement.lang === 'fa');
  // The page is drawn again in Persian once its data is back.
  await until(page, () => /[۰-۹]/.test(document.querySelector('.timeline time')?.textContent || ''));
  const faDate = await page.locator('.timeline time').first().textContent();
  const year = new Intl.DateTimeFormat('fa-IR-u-ca-persian-nu-arabext', { year: 'numeric' }).format(new Date(await page.locator('.timeline time').first().getAttribute('datetime')));
  assert.ok(/[۰-۹]/.test(faDate), `no Persian digits: ${faDate}`);
  assert.ok(faDate.includes(year.replace(/[^۰-۹]/g, '')), `not a Persian-calendar date: ${faDate} (year ${year})`);
  assert.equal(await page.locator('nav a[data-route=queue]').textContent(), 'صف');
  ok(`Persian: dir=rtl, Persian-calendar date "${faDate}"`);
  await page.screenshot({ path: `${env.OUT}/console-ticket-fa.png` });
  await page.reload();
  await until(page, () => document.documentElement.dir === 'rtl');
  await page.locator('#lang').selectOption('en');
  ok('the language is remembered across reloads');

  // ---- a viewer sees no actions; a phone-sized screen still works ----
  const vctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const vpage = await vctx.newPage();
  vpage.on('pageerror', (e) => problems.push(`viewer page error: ${e.message}`));
  await vpage.goto(URL_);
  await vpage.getByLabel('API token').fill(env.TOK_VIEWER);
  await vpage.getByRole('button', { name: 'Sign in' }).click();
  await vpage.locator('tbody tr').first().waitFor();
  assert.equal(await vpage.locator('thead input[type=checkbox]').count(), 0, 'viewer has bulk selection');
  await vpage.goto(`${URL_}/#/ticket/${key}`);
  await vpage.locator('.timeline li').first().waitFor();
  assert.equal(await vpage.locator('.actions').count(), 0, 'viewer sees actions');
  const overflow = await vpage.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the phone layout overflows by ${overflow}px`);
  await vpage.screenshot({ path: `${env.OUT}/console-phone-ticket.png` });
  ok('viewer: no actions, no bulk; phone layout without horizontal overflow');

  // ---- bulk: ack + assign from the queue ----
  await postAlert('edge-rt3', 'edge-rt3 down');
  await page.goto(`${URL_}/#/queue`);
  const r2 = page.locator('tr', { hasText: 'edge-rt3' }).first();
  await r2.waitFor({ timeout: 20000 });
  await r2.locator('input[type=checkbox]').check();
  await page.getByPlaceholder('assignee').fill('alice');
  await page.getByRole('toolbar').getByRole('button', { name: 'Assign' }).click();
  await page.locator('tr', { hasText: 'edge-rt3' }).locator('.c-assignee', { hasText: 'alice' }).waitFor();
  ok('bulk assign from the queue');

  assert.deepEqual(problems, [], 'errors in the page');
  ok('no page errors, no CSP violations');
} catch (e) {
  for (const [i, p] of browser.contexts().flatMap((c) => c.pages()).entries()) {
    await p.screenshot({ path: `${env.OUT}/failure-${i}.png` }).catch(() => {});
    console.log(`failure-${i}.png: ${p.url()}`);
  }
  console.log(`page problems: ${JSON.stringify(problems)}`);
  throw e;
} finally {
  await browser.close();
}
console.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
