// The dashboard's browser cases, run in order by tests/e2e/run.mjs; later
// cases build on the data of earlier ones (a sync fills the table first).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const env = process.env;
const BASE = env.BASE;
const WAIT = 15000;		// one UI condition
const SYNC_WAIT = 60000;	// one sync to finish

// --- helpers ----------------------------------------------------------------
export const T = {
  slug: (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, ''),
};

async function http(method, url, { body, basic = true, token, timeout = 30000 } = {}) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = 'Bearer ' + token;
  else if (basic) headers.Authorization = 'Basic ' + Buffer.from(env.ADMIN_USER + ':' + env.ADMIN_PASS).toString('base64');
  const r = await fetch(url, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeout),
  });
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  return { status: r.status, data };
}

const fluent = (path, body) => http('POST', env.FLUENT_FAKE + '/__control/' + path, { body, basic: false })
  .then((r) => { assert.equal(r.status, 200, `fake FluentSupport ${path}: ${JSON.stringify(r.data)}`); return r.data; });
const fresh = (path, body) => http('POST', env.FRESH_FAKE + '/__control/' + path, { body, basic: false })
  .then((r) => { assert.equal(r.status, 200, `fake Freshservice ${path}: ${JSON.stringify(r.data)}`); return r.data; });
const apiGet = (path) => http('GET', BASE + path);

function sql(q) {
  return execFileSync('mariadb', ['--no-defaults', '--socket=' + env.DB_SOCKET, '-u', env.DB_ADMIN || 'root',
    '-N', '-B', 'deskhub', '-e', q], { timeout: 20000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function tryEach(qs) {
  for (const q of qs) { try { sql(q); } catch { /* table may not exist yet */ } }
}

async function newPage(ctx, { viewport = { width: 1360, height: 900 } } = {}) {
  const context = await ctx.browser.newContext({ viewport, locale: 'en-US', timezoneId: 'UTC' });
  context.setDefaultTimeout(WAIT);
  const page = await context.newPage();
  ctx.pages.add(page);
  page.on('pageerror', (e) => ctx.errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) ctx.errors.push(m.text());
  });
  return page;
}

async function shot(ctx, page, name, fullPage = false) {
  await page.screenshot({ path: join(ctx.art, name + '.png'), fullPage, timeout: 10000 });
}

async function login(page, email = env.ADMIN_USER, password = env.ADMIN_PASS) {
  await page.goto(BASE + '/', { waitUntil: 'domcontentloaded', timeout: WAIT });
  await page.locator('#login-email').waitFor({ state: 'visible' });
  await page.fill('#login-email', email);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.locator('#app-view').waitFor({ state: 'visible' });
  await idle(page);
}

// Wait until the requests table is not loading.
async function idle(page) {
  await page.waitForFunction(() => document.querySelector('#requests-wrap')?.getAttribute('aria-busy') === 'false', null, { timeout: WAIT });
}

async function waitText(page, sel, re, timeout = WAIT) {
  try {
    await page.waitForFunction(([s, src, flags]) => {
      const n = document.querySelector(s);
      return n && new RegExp(src, flags).test(n.textContent);
    }, [sel, re.source, re.flags], { timeout });
  } catch (e) {
    const got = await page.evaluate((s) => {
      const n = document.querySelector(s);
      return n ? n.textContent.replace(/\s+/g, ' ').trim().slice(0, 300) : '(no such element)';
    }, sel).catch(() => '?');
    throw new Error(`waiting ${timeout} ms for ${sel} to match ${re}: it says "${got}"`);
  }
}

async function rowsText(page, sel) {
  return page.$$eval('#requests-body ' + sel, (ns) => ns.map((n) => n.textContent.trim()));
}

async function search(page, text) {
  await page.fill('#f-q', text);
  await page.waitForFunction((t) => {
    const rows = [...document.querySelectorAll('#requests-body tr')];
    const busy = document.querySelector('#requests-wrap').getAttribute('aria-busy') === 'true';
    return !busy && (t === '' ? rows.length > 0 : rows.length > 0 && rows.every((r) => r.textContent.toLowerCase().includes(t.toLowerCase())));
  }, text, { timeout: WAIT });
}

async function clickSync(page) {
  await page.locator('.toast').evaluateAll((ns) => ns.forEach((n) => n.remove()));
  await page.click('#fluent-sync-btn');
}

function secondsAgo(n) { return new Date(Date.now() - n * 1000).toISOString().replace(/\.\d+Z$/, 'Z'); }

// Seconds since midnight in zone tz.
function clockIn(tz) {
  const [h, m, s] = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hourCycle: 'h23', hour: '2-digit',
    minute: '2-digit', second: '2-digit' }).format(new Date()).split(':').map(Number);
  return h * 3600 + m * 60 + s;
}

// Tickets closed a few seconds ago belong to the business day of now,
// unless that day began less than a minute ago: wait that minute out.
async function clearOfMidnight() {
  const tz = (await apiGet('/api/tickets/closures/period?period=today')).data.timezone;
  const since = clockIn(tz);
  if (since < 60) await new Promise((r) => setTimeout(r, (61 - since) * 1000));
}

// --- the cases ----------------------------------------------------------------
export const cases = [];
const test = (name, fn, timeout) => cases.push({ name, fn, timeout });

const state = {};

test('setup: empty database and fakes', async () => {
  tryEach([
    'DELETE FROM fluent_sync_staging', 'DELETE FROM fluent_tickets', 'DELETE FROM requests',
    'DELETE FROM fluent_sync_status',
    'UPDATE sync_locks SET run_id = NULL, holder_conn = NULL, heartbeat_at = NULL',
    'DELETE FROM ticket_closure', 'DELETE FROM ticket_sync_metadata', 'DELETE FROM ticket_sync_runs',
  ]);
  await fluent('reset', { tickets: 0 });
  await fresh('reset', { tickets: 0 });
  const r = await apiGet('/api/requests?limit=1');
  assert.equal(r.status, 200, 'GET /api/requests: ' + JSON.stringify(r.data));
  assert.equal(r.data.total, 0, 'the requests table is empty');
});

test('log in', async (ctx) => {
  const page = await newPage(ctx);
  await page.goto(BASE + '/', { waitUntil: 'domcontentloaded' });
  await page.locator('#login-form').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#app-view').isVisible(), false, 'the dashboard is hidden before signing in');
  await shot(ctx, page, '01-login');
  await page.fill('#login-email', env.ADMIN_USER);
  await page.fill('#login-password', 'not-the-password');
  await page.click('#login-submit');
  await waitText(page, '#login-error', /wrong email or password/i);
  await shot(ctx, page, '02-login-error');
  await page.fill('#login-password', env.ADMIN_PASS);
  await page.keyboard.press('Enter');
  await page.locator('#app-view').waitFor({ state: 'visible' });
  await idle(page);
  assert.notEqual((await page.textContent('#user-name')).trim(), '', 'the user name is shown');
  assert.equal((await page.textContent('#user-role')).trim(), 'Admin', 'the role is shown');
  assert.ok(!page.url().includes('token') && !page.url().includes('eyJ'), 'no token in the URL');
  const tok = await page.evaluate(() => sessionStorage.getItem('deskhub.token'));
  assert.ok(tok && tok.split('.').length === 3, 'the token is kept in session storage');
  await waitText(page, '#requests-empty', /No tickets yet: run a sync/);
  await waitText(page, '#fluent-status-body', /No sync has run yet/);
  await shot(ctx, page, '03-dashboard-empty');
  // A reload keeps the session (token checked with /api/auth/me).
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.locator('#app-view').waitFor({ state: 'visible' });
});

test('run a sync and see the table fill', async (ctx) => {
  await fluent('reset', { tickets: 60, spacing_minutes: 10 });
  await fluent('tickets', {
    tickets: [
      { id: 61, title: 'Unicorn printer meltdown', content: '<p>The unicorn printer is on fire</p>', priority: 'critical' },
      { id: 62, title: 'Quiet lamp flicker', content: '<p>Lamp flickers a little</p>', priority: 'low' },
    ],
  });
  // Page 2 answers slowly so that the progress indication can be seen.
  await fluent('fault', { kind: 'slow', delay: 2.5, on_page: 2 });
  const page = await newPage(ctx);
  await login(page);
  await clickSync(page);
  await page.locator('#fluent-progress').waitFor({ state: 'visible', timeout: 5000 });
  assert.equal(await page.locator('#fluent-sync-btn').isDisabled(), true, 'the button is disabled while syncing');
  // Page 1 is in, page 2 is slow: the progress of /api/fluent/status shows.
  await waitText(page, '#fluent-progress-label', /50 of 62 tickets fetched/, 8000);
  assert.equal(await page.getAttribute('#fluent-progressbar', 'aria-valuenow'), '81');
  await shot(ctx, page, '04-sync-progress');
  await page.locator('.toast-success').waitFor({ state: 'visible', timeout: SYNC_WAIT });
  const toast = await page.textContent('.toast-success');
  assert.match(toast, /Fetched 62, added 62, updated 0, skipped 0 in/, 'the result notification');
  await waitText(page, '#requests-count', /^62 requests$/);
  await page.locator('#fluent-progress').waitFor({ state: 'hidden' });
  const icons = await page.$$eval('#requests-body .src-icon', (ns) => ns.map((n) => n.getAttribute('title')));
  assert.ok(icons.length >= 50, 'a page of rows: ' + icons.length);
  assert.ok(icons.every((t) => t === 'Via FluentSupport'), 'FluentSupport icon tooltips');
  assert.equal(await page.locator('#requests-body tr').first().locator('.src-fluent svg').count(), 1, 'the purple clipboard icon');
  await waitText(page, '#fluent-status-badge', /Succeeded/);
  await waitText(page, '#fluent-status-body', /Tickets stored\s*62/);
  await waitText(page, '#page-info', /Showing 1–50 of 62/);
  await shot(ctx, page, '05-synced', true);
}, 90000);

test('filter and search', async (ctx) => {
  const page = await newPage(ctx);
  await login(page);
  await waitText(page, '#requests-count', /^62 requests$/);
  // Urgency
  await page.selectOption('#f-urgency', 'HIGH');
  await page.waitForFunction(() => {
    const b = [...document.querySelectorAll('#requests-body .col-urgency .badge')];
    return b.length > 0 && b.every((x) => x.textContent === 'High') && document.querySelector('#requests-wrap').getAttribute('aria-busy') === 'false';
  });
  const high = await apiGet('/api/requests?urgency=HIGH&limit=1');
  await waitText(page, '#requests-count', new RegExp('^' + high.data.total + ' request'));
  // Search within the filter
  await search(page, 'unicorn');
  assert.equal(await page.locator('#requests-body tr').count(), 1, 'one row matches "unicorn"');
  assert.match(await page.textContent('#requests-body tr'), /Unicorn printer meltdown/);
  await shot(ctx, page, '06-filtered');
  // A filter with no match gives the empty state
  await page.selectOption('#f-source', 'sms');
  await waitText(page, '#requests-empty', /No requests match these filters/);
  await page.click('#f-clear');
  await waitText(page, '#requests-count', /^62 requests$/);
  assert.equal(await page.inputValue('#f-q'), '', 'clear empties the search');
  // Category filter and a date range
  await page.selectOption('#f-category', 'Support');
  const sup = await apiGet('/api/requests?category=Support&limit=1');
  await waitText(page, '#requests-count', new RegExp('^' + sup.data.total + ' request'));
  await page.click('#f-clear');
  await page.fill('#f-from', '2001-01-01');
  await page.fill('#f-to', '2001-12-31');
  await waitText(page, '#requests-empty', /No requests match these filters/);
  await page.click('#f-clear');
  await waitText(page, '#requests-count', /^62 requests$/);
  // Sort by urgency, ascending then descending
  await page.click('th.col-urgency button');
  await page.waitForFunction(() => document.querySelector('th.col-urgency').getAttribute('aria-sort') === 'ascending' &&
    document.querySelector('#requests-wrap').getAttribute('aria-busy') === 'false');
  const asc = await rowsText(page, '.col-urgency');
  const api = await apiGet('/api/requests?sort=urgency&order=asc&limit=50');
  const label = { HIGH: 'High', MEDIUM: 'Medium', LOW: 'Low' };
  assert.deepEqual(asc, api.data.requests.map((r) => label[r.urgency]), 'rows in the API order for urgency asc');
  await page.click('th.col-urgency button');
  await page.waitForFunction(() => document.querySelector('th.col-urgency').getAttribute('aria-sort') === 'descending');
  // Sort by description with the keyboard
  await page.focus('th.col-desc button');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('th.col-desc').getAttribute('aria-sort') === 'ascending' &&
    document.querySelector('#requests-wrap').getAttribute('aria-busy') === 'false');
  const d = await apiGet('/api/requests?sort=description&order=asc&limit=1');
  const first = (await page.textContent('#requests-body tr .desc-title')).trim();
  assert.equal(first, d.data.requests[0].description.split('\n')[0].trim(), 'first row sorted by description');
  // Pagination
  await page.selectOption('#page-size', '25');
  await waitText(page, '#page-info', /Showing 1–25 of 62/);
  assert.equal(await page.locator('#page-prev').isDisabled(), true);
  await page.click('#page-next');
  await waitText(page, '#page-info', /Showing 26–50 of 62/);
  await page.click('#page-last');
  await waitText(page, '#page-info', /Showing 51–62 of 62/);
  assert.equal(await page.locator('#page-next').isDisabled(), true);
  assert.equal(await page.locator('#requests-body tr').count(), 12);
  await shot(ctx, page, '07-sorted-paged');
}, 90000);

test('edit hours and category and see the edit survive a re-sync', async (ctx) => {
  const page = await newPage(ctx);
  await login(page);
  await search(page, 'unicorn');
  const row = page.locator('#requests-body tr').first();
  state.unicornId = await row.getAttribute('data-id');
  // An invalid value is refused in the page and not sent
  await row.locator('.hours-edit').fill('1000');
  await row.locator('.hours-edit').press('Enter');
  await waitText(page, '#requests-body tr .cell-flash.error', /0 to 999\.99/);
  // Hours
  await row.locator('.hours-edit').fill('2.5');
  await row.locator('.hours-edit').press('Enter');
  await page.locator('#requests-body tr .col-hours .cell-flash.ok').waitFor({ state: 'visible' });
  // Category
  await row.locator('.cat-edit').selectOption('Hosting');
  await page.locator('#requests-body tr .col-category .cell-flash.ok').waitFor({ state: 'visible' });
  let r = await apiGet('/api/requests?q=unicorn');
  assert.equal(r.data.requests.length, 1);
  assert.equal(Number(r.data.requests[0].hours), 2.5, 'hours saved on the server');
  assert.equal(r.data.requests[0].category, 'Hosting', 'category saved on the server');
  // The provider changes the ticket; a re-sync updates it but keeps the edits.
  await fluent('tickets', { tickets: [{ id: 61, title: 'Unicorn printer meltdown (again)', priority: 'critical' }] });
  await search(page, '');
  await clickSync(page);
  await page.locator('.toast-success').waitFor({ state: 'visible', timeout: SYNC_WAIT });
  assert.match(await page.textContent('.toast-success'), /Fetched 62, added 0, updated [1-9]/, 'the re-sync updated tickets');
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.locator('#app-view').waitFor({ state: 'visible' });
  await idle(page);
  await search(page, 'unicorn');
  const row2 = page.locator('#requests-body tr').first();
  assert.match(await row2.locator('.desc-title').textContent(), /Unicorn printer meltdown \(again\)/, 'the description was updated');
  assert.equal(await row2.locator('.hours-edit').inputValue(), '2.5', 'hours kept across the re-sync');
  assert.equal(await row2.locator('.cat-edit').inputValue(), 'Hosting', 'category kept across the re-sync');
  r = await apiGet('/api/requests?q=unicorn');
  assert.equal(Number(r.data.requests[0].hours), 2.5);
  // Clearing hours sends null
  await row2.locator('.hours-edit').fill('');
  await row2.locator('.hours-edit').press('Enter');
  await page.locator('#requests-body tr .col-hours .cell-flash.ok').waitFor({ state: 'visible' });
  r = await apiGet('/api/requests?q=unicorn');
  assert.equal(r.data.requests[0].hours, null, 'hours cleared');
  await row2.locator('.hours-edit').fill('1.75');
  await row2.locator('.hours-edit').press('Enter');
  await page.locator('#requests-body tr .col-hours .cell-flash.ok').waitFor({ state: 'visible' });
  await shot(ctx, page, '08-edited');
}, 100000);

test('see a failed sync\'s message', async (ctx) => {
  const page = await newPage(ctx);
  await login(page);
  await fluent('fault', { kind: '401', count: 0 });
  await clickSync(page);
  await waitText(page, '#fluent-sync-error', /rejected Deskhub’s credentials/, SYNC_WAIT);
  await page.locator('.toast-error').waitFor({ state: 'visible' });
  assert.match(await page.textContent('.toast-error'), /FLUENT_API_USERNAME/);
  await waitText(page, '#fluent-status-badge', /Failed/);
  assert.equal(await page.locator('#toasts-alert').getAttribute('aria-live'), 'assertive');
  await shot(ctx, page, '09-sync-failed');
  // The provider failing is told apart from bad credentials.
  await fluent('fault', { clear: true });
  await fluent('fault', { kind: '500', count: 0, message: 'Internal error' });
  await page.locator('.toast-error .toast-close').first().click();
  await clickSync(page);
  await waitText(page, '#fluent-sync-error', /FluentSupport could not be reached/, SYNC_WAIT);
  await fluent('fault', { clear: true });
  // The table still has its rows.
  await waitText(page, '#requests-count', /^62 requests$/);
}, 120000);

test('a second sync while one runs is told so', async (ctx) => {
  const page = await newPage(ctx);
  await login(page);
  // Two slow pages (each under the stack's 3 s provider timeout).
  await fluent('fault', { kind: 'slow', delay: 2, on_page: 1 });
  await fluent('fault', { kind: 'slow', delay: 2, on_page: 2 });
  const bg = http('POST', BASE + '/api/fluent/sync', { body: {}, timeout: 60000 });
  await page.waitForFunction(async (b) => {
    const r = await fetch(b + '/api/fluent/status').then((x) => x.json());
    return r.syncStatus && r.syncStatus.last_sync_status === 'in_progress';
  }, BASE, { timeout: WAIT, polling: 200 });
  await clickSync(page);
  await waitText(page, '#fluent-sync-error', /already running/);
  // The page follows the other run until it ends.
  await page.locator('#fluent-progress').waitFor({ state: 'visible' });
  await shot(ctx, page, '10-sync-already-running', false);
  const r = await bg;
  assert.equal(r.status, 200, 'the background sync: ' + JSON.stringify(r.data));
  await page.locator('#fluent-progress').waitFor({ state: 'hidden', timeout: SYNC_WAIT });
  await waitText(page, '#fluent-status-badge', /Succeeded/);
  assert.equal(await page.locator('#fluent-sync-btn').isDisabled(), false);
}, 90000);

test('closures chart and top closer for a known day', async (ctx) => {
  const a1 = 21000000101;
  const a2 = 21000000102;
  await fresh('reset', { tickets: 0 });
  await fresh('agents', {
    agents: [
      { id: a1, first_name: 'Oscar', last_name: 'Solis', email: 'oscar@example.test', active: true },
      { id: a2, first_name: 'Grace', last_name: 'Lee', email: 'grace@example.test', active: true },
    ],
  });
  await clearOfMidnight();
  const closed = (id, agent, secs) => ({
    id, status: 5, responder_id: agent, group_id: 14000012345, subject: 'Closed ' + id,
    created_at: secondsAgo(secs + 30), updated_at: secondsAgo(secs),
    stats: { resolved_at: secondsAgo(secs), closed_at: secondsAgo(secs) },
  });
  await fresh('tickets', {
    tickets: [closed(9001, a1, 5), closed(9002, a1, 6), closed(9003, a1, 7), closed(9004, a2, 8),
      { id: 9005, status: 2, responder_id: a2, group_id: 14000012345, created_at: secondsAgo(20), updated_at: secondsAgo(3) }],
  });
  const page = await newPage(ctx);
  await login(page);
  await page.locator('#closures-section').scrollIntoViewIfNeeded();
  assert.equal(await page.locator('#period-group [aria-pressed="true"]').textContent(), 'Today');
  await page.click('#closures-sync-btn');
  await page.locator('.toast-success').waitFor({ state: 'visible', timeout: SYNC_WAIT });
  assert.match(await page.textContent('.toast-success'), /Closures synced/);
  // Freshservice: Oscar 3, Grace 1.  FluentSupport closures of the synced
  // tickets may be counted as well; the page must agree with the API.
  const api = (await apiGet('/api/tickets/closures/period?period=today')).data;
  assert.ok(api.topCloser, 'the API names a top closer');
  await waitText(page, '#top-closer-name', new RegExp('^' + api.topCloser.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$'));
  assert.equal((await page.textContent('#top-closer-count')).trim(), String(api.topCloser.tickets_closed), 'the top closer count');
  await waitText(page, '#closures-total', new RegExp('^' + api.total + '$'));
  const chart = await page.evaluate(() => {
    const c = window.Chart && window.Chart.getChart(document.querySelector('#closures-chart'));
    if (!c) return null;
    const fs = c.data.datasets.find((d) => d.label === 'Freshservice');
    return { labels: c.data.labels, fresh: fs ? Object.fromEntries(c.data.labels.map((l, i) => [l, fs.data[i]]).filter(([, v]) => v > 0)) : null };
  });
  assert.ok(chart, 'a Chart.js chart is drawn');
  assert.ok(chart.fresh, 'a Freshservice dataset: ' + JSON.stringify(chart));
  const names = Object.keys(chart.fresh);
  assert.equal(names.length, 2, 'two Freshservice agents: ' + JSON.stringify(chart.fresh));
  const oscar = names.find((n) => /Oscar/.test(n));
  const grace = names.find((n) => /Grace/.test(n));
  assert.ok(oscar && grace, 'bars for Oscar and Grace: ' + names.join(', '));
  assert.equal(chart.fresh[oscar], 3, 'Oscar closed 3');
  assert.equal(chart.fresh[grace], 1, 'Grace closed 1');
  assert.ok(chart.labels.indexOf(oscar) < chart.labels.indexOf(grace), 'bars sorted by count');
  if (!api.closures.some((c) => c.source === 'fluent')) {
    await waitText(page, '#top-closer-name', /Oscar/);
    assert.equal((await page.textContent('#top-closer-count')).trim(), '3');
  }
  const sr = await page.$$eval('#closures-table tbody tr', (ns) => ns.length);
  assert.equal(sr, api.closures.filter((c) => c.tickets_closed > 0).length, 'the screen-reader table lists every agent');
  await page.locator('#closures-section').screenshot({ path: join(ctx.art, '11-closures.png') });
  // The other periods
  await page.click('#period-group [data-period="week"]');
  const wk = (await apiGet('/api/tickets/closures/period?period=week')).data;
  await waitText(page, '#closures-total', new RegExp('^' + wk.total + '$'));
  assert.ok(wk.total >= 4, 'the week includes today');
  assert.equal(await page.getAttribute('#period-group [data-period="week"]', 'aria-pressed'), 'true');
  await page.click('#period-group [data-period="month"]');
  const mo = (await apiGet('/api/tickets/closures/period?period=month')).data;
  await waitText(page, '#closures-total', new RegExp('^' + mo.total + '$'));
  await page.click('#period-group [data-period="yesterday"]');
  const yd = (await apiGet('/api/tickets/closures/period?period=yesterday')).data;
  if (yd.total) await waitText(page, '#closures-total', new RegExp('^' + yd.total + '$'));
  else await waitText(page, '#closures-empty', /No closures recorded yesterday/);
  await page.click('#period-group [data-period="today"]');
  await waitText(page, '#closures-total', new RegExp('^' + api.total + '$'));
}, 90000);

test('see the hourly-limit clock', async (ctx) => {
  const page = await newPage(ctx);
  await login(page);
  const btn = page.locator('#closures-sync-btn');
  await page.waitForFunction(() => document.querySelector('#closures-sync-btn').classList.contains('limited'), null, { timeout: WAIT });
  assert.equal(await btn.isDisabled(), true, 'the button is disabled while limited');
  assert.match((await btn.textContent()).trim(), /^\d+ min$/, 'minutes left on the button');
  assert.match(await btn.getAttribute('aria-label'), /available again in \d+ minutes?/);
  const s = await http('GET', BASE + '/api/tickets/sync-status');
  assert.equal(s.data.canSync, false);
  const m = (await btn.textContent()).trim().split(' ')[0];
  assert.ok(Math.abs(Number(m) - Number(s.data.minutesUntilNextSync)) <= 1, 'the minutes agree with the server');
  await waitText(page, '#closures-sync-note', /next sync in \d+ min/);
  await page.locator('#closures-section').screenshot({ path: join(ctx.art, '12-hourly-limit.png') });
});

test('open the admin modal as admin', async (ctx) => {
  const page = await newPage(ctx);
  await login(page);
  const btn = page.locator('#admin-btn');
  await btn.waitFor({ state: 'visible' });
  await btn.focus();
  await page.keyboard.press('Enter');
  await page.locator('#admin-modal[open]').waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => !!document.activeElement.closest('#admin-modal')), true, 'focus moved into the modal');
  await waitText(page, '#admin-body', /Database statistics/);
  for (const h of ['Sync status', 'Database statistics', 'Recent activity']) {
    assert.equal(await page.locator('#admin-body h3', { hasText: h }).count(), 1, h);
  }
  await waitText(page, '#adm-closure-records', /^[1-9]/);
  await page.waitForTimeout(300);
  await shot(ctx, page, '13-admin-modal', false);
  // Tab stays inside the modal
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press(i % 4 === 3 ? 'Shift+Tab' : 'Tab');
    assert.equal(await page.evaluate(() => !!document.activeElement.closest('#admin-modal')), true, 'focus stays in the modal');
  }
  // Force Sync bypasses the hourly limit
  await page.click('#admin-force');
  await page.locator('.toast-success', { hasText: 'Forced closure sync finished' }).waitFor({ state: 'visible', timeout: SYNC_WAIT });
  await waitText(page, '#admin-result', /Force sync finished: \d+ tickets processed/);
  // Refresh User Mappings reports its counts (or a readable error)
  await page.click('#admin-mappings');
  await waitText(page, '#admin-result', /User mappings refreshed|Refreshing the user mappings failed/, SYNC_WAIT);
  await shot(ctx, page, '14-admin-actions', false);
  await page.keyboard.press('Escape');
  await page.locator('#admin-modal').waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'admin-btn', 'focus returns to the button');
}, 100000);

test('no admin modal for a user', async (ctx) => {
  const tool = env.E2E_USER_TOOL;
  const email = 'user@example.test';
  const pw = 'plain-user-pass-123';
  let created = false;
  try {
    execFileSync(tool, ['-c', join(env.STACK_VAR, 'deskhub.conf'), 'add', email, 'Plain User', 'user'],
      { input: pw + '\n', timeout: 20000, stdio: ['pipe', 'pipe', 'pipe'] });
    created = true;
  } catch (e) {
    const msg = String(e.stderr || e.message);
    if (!/exist|duplicate/i.test(msg)) throw new Error('cannot create the user with ' + tool + ': ' + msg.trim());
    created = true;
  }
  assert.ok(created);
  const page = await newPage(ctx);
  await login(page, email, pw);
  assert.equal((await page.textContent('#user-name')).trim(), 'Plain User');
  assert.equal((await page.textContent('#user-role')).trim(), 'User');
  assert.equal(await page.locator('#admin-btn').isVisible(), false, 'no admin button for role user');
  await waitText(page, '#requests-count', /^62 requests$/);
  const tok = await page.evaluate(() => sessionStorage.getItem('deskhub.token'));
  const r = await http('GET', BASE + '/api/tickets/admin-stats', { token: tok });
  assert.equal(r.status, 403, 'admin-stats refused to a user');
  await shot(ctx, page, '15-user-view');
});

test('phone-sized screen', async (ctx) => {
  const page = await newPage(ctx, { viewport: { width: 390, height: 844 } });
  await page.goto(BASE + '/', { waitUntil: 'domcontentloaded' });
  await page.locator('#login-form').waitFor({ state: 'visible' });
  await shot(ctx, page, '16-phone-login', false);
  await login(page);
  await page.selectOption('#page-size', '25');
  await waitText(page, '#page-info', /Showing 1–25 of 62/);
  const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(over <= 1, 'no sideways scrolling on a phone (' + over + 'px too wide)');
  const th = await page.locator('#requests-table thead').boundingBox();
  assert.ok(!th || th.height <= 1, 'rows become cards (no header row)');
  const w = await page.locator('#requests-body tr').first().boundingBox();
  assert.ok(w.width <= 390, 'a card fits the screen');
  await shot(ctx, page, '17-phone-dashboard', false);
  await page.locator('#closures-section').scrollIntoViewIfNeeded();
  await page.locator('#closures-section').screenshot({ path: join(ctx.art, '18-phone-closures.png') });
});

test('log out, and an expired token leads back to the login form', async (ctx) => {
  const page = await newPage(ctx);
  await login(page);
  await page.focus('#logout-btn');
  await page.keyboard.press('Enter');
  await page.locator('#login-form').waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => sessionStorage.getItem('deskhub.token')), null, 'the token is gone');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'login-password', 'focus on the form');
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.locator('#login-form').waitFor({ state: 'visible' });
  // A token the server refuses: back to the form with a message.
  await login(page);
  // Set before the next page's scripts run: set on the live page, a poll
  // sent with it in the moment before the reload got the 401 there, and
  // the new page then started with no token (and no message) at all.
  await page.addInitScript(() => sessionStorage.setItem('deskhub.token', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bad'));
  await page.reload({ waitUntil: 'domcontentloaded' });
  await waitText(page, '#login-error', /session has expired/i);
  await shot(ctx, page, '19-session-expired');
});
