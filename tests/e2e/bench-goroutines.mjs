// Browser benchmark (not a test) of the goroutine groups view on a core with many goroutines
// (testdata/progs/goscale): time from opening #/goroutines on a loaded core to the group rows
// on screen, then to the rows re-sorted by count, and to the largest group opened; the
// worker's wasm memory.
//
//   node tests/e2e/bench-goroutines.mjs CORE EXE        (scripts/bench-goroutines.sh --browser)
// Env: HEAPWISE_DIST (default <repo>/dist), CHROMIUM (default /usr/bin/chromium).
// Prints one JSON object on a line starting with "BENCH ".
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from './serve.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const DIST = process.env.HEAPWISE_DIST || path.join(ROOT, 'dist');
const [core, exe] = process.argv.slice(2);
if (!core || !exe) {
  console.error('usage: node bench-goroutines.mjs CORE EXE');
  process.exit(2);
}
const TIMEOUT = 30 * 60_000;

const { server, url } = await startServer(DIST, 0);
const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heapwise-bench-'));
const context = await chromium.launchPersistentContext(userDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-dev-shm-usage'],
  viewport: { width: 1280, height: 900 },
});
try {
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(TIMEOUT);
  await page.goto(url + '#/overview');
  await page.waitForFunction(() => !document.body.innerText.includes('Starting the analysis worker'));
  const t0 = Date.now();
  await page.setInputFiles('#files', [core, exe]);
  await page.waitForFunction(() => document.body.innerText.includes('goroutine groups') || document.querySelector('.errors'));
  if (await page.locator('.errors').count()) throw new Error(await page.locator('.errors').innerText());
  const openedMs = Date.now() - t0;
  const t1 = Date.now();
  await page.evaluate(() => { location.hash = '#/goroutines'; });
  await page.waitForSelector('#goroutine-groups table#groups tr.group');
  const groupsMs = Date.now() - t1;
  const shown = await page.locator('tr.group').count();
  const groups = Number(await page.locator('#goroutine-groups').getAttribute('data-groups'));
  const leakedGroups = Number(await page.locator('#goroutine-groups').getAttribute('data-leaked-groups'));
  // Re-sort by count: the count header gains its arrow once the page has re-rendered (the
  // first row may stay: the group retaining most can also be the largest).
  const t2 = Date.now();
  await page.locator('button.sort[data-key="count"]').click();
  await page.waitForFunction(() => /[\u25bc\u25b2]/.test(document.querySelector('button.sort[data-key="count"]')?.textContent || ''));
  const sortMs = Date.now() - t2;
  // Open the first group (2,500 goroutines: the page shows 200 ids at a time).
  const t3 = Date.now();
  await page.locator('tr.group').first().locator('button.toggle').click();
  await page.waitForSelector('tr.group-detail tr.member');
  const openMs = Date.now() - t3;
  const members = await page.locator('tr.group-detail tr.member').count();
  const wasm = Number(await page.locator('#wasm-memory').getAttribute('data-bytes'));
  console.log('BENCH ' + JSON.stringify({ openedMs, groupsMs, sortMs, openMs, groups, leakedGroups, rowsShown: shown, membersShown: members, wasmBytes: wasm }));
} finally {
  await context.close();
  server.close();
  fs.rmSync(userDir, { recursive: true, force: true });
}
