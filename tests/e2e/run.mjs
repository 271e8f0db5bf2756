// Deskhub dashboard end-to-end tests (see tests/e2e/run.sh).
//   node tests/e2e/run.mjs [case-name-substring...]
// Environment (from tests/var/stack/env): BASE, ADMIN_USER, ADMIN_PASS,
// FLUENT_FAKE, FRESH_FAKE, DB_SOCKET, DB_ADMIN, STACK_VAR; plus
// E2E_ARTIFACTS, CHROMIUM, E2E_USER_TOOL from run.sh.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cases, T } from './specs.mjs';

const env = process.env;
const ART = env.E2E_ARTIFACTS || 'tests/artifacts/e2e';
mkdirSync(ART, { recursive: true });

const only = process.argv.slice(2);
const CASE_TIMEOUT = Number(env.E2E_CASE_TIMEOUT || 75000);

function withTimeout(p, ms, what) {
  let t;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise((_, rej) => { t = setTimeout(() => rej(new Error(what + ' timed out after ' + ms + ' ms')), ms); }),
  ]);
}

const browser = await withTimeout(chromium.launch({
  executablePath: env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  timeout: 30000,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-dev-shm-usage'],
}), 40000, 'launching Chromium').catch((e) => {
  console.log('not ok - e2e: launch Chromium');
  console.log('    ' + String(e.message || e).split('\n')[0]);
  console.log('RESULT e2e 0 1');
  process.exit(1);
});

const ctx = { browser, art: ART, env, pages: new Set() };
let pass = 0;
let fail = 0;
for (const c of cases) {
  if (only.length && !only.some((o) => c.name.includes(o))) continue;
  const t0 = Date.now();
  ctx.pages = new Set();
  ctx.errors = [];
  try {
    await withTimeout(Promise.resolve().then(() => c.fn(ctx)), c.timeout || CASE_TIMEOUT, 'the case');
    if (ctx.errors.length) throw new Error('script errors in the page: ' + ctx.errors.slice(0, 3).join(' | '));
    pass++;
    console.log(`ok - e2e: ${c.name}` + (env.E2E_VERBOSE ? ` (${Date.now() - t0} ms)` : ''));
  } catch (e) {
    fail++;
    console.log(`not ok - e2e: ${c.name}`);
    for (const line of String(e && e.stack ? e.message : e).split('\n').slice(0, 8)) console.log('    ' + line);
    let i = 0;
    for (const p of ctx.pages) {
      if (p.isClosed()) continue;
      const f = join(ART, `FAIL-${T.slug(c.name)}${i ? '-' + i : ''}.png`);
      try { await withTimeout(p.screenshot({ path: f, fullPage: true, timeout: 10000 }), 12000, 'screenshot'); console.log('    screenshot: ' + f); } catch { /* page gone */ }
      i++;
    }
  } finally {
    for (const p of ctx.pages) {
      try { await withTimeout(p.context().close(), 10000, 'closing the page'); } catch { /* ignore */ }
    }
  }
}
try { await withTimeout(browser.close(), 15000, 'closing Chromium'); } catch { /* ignore */ }
console.log(`RESULT e2e ${pass} ${fail}`);
process.exit(fail ? 1 : 0);

