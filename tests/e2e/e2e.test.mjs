// End-to-end test of the built page (dist/) in headless Chromium, driven by playwright-core.
//
//   node --test tests/e2e/e2e.test.mjs          (scripts/test-web.sh builds dist/ first)
//
// Env: HEAPWISE_DIST (default <repo>/dist); HEAPWISE_E2E_CORE / HEAPWISE_E2E_EXE /
// HEAPWISE_E2E_TRUTH: a core, its executable and its truth JSON to load through the file input
// (default: the bundled demo, web/demo/). HEAPWISE_E2E_GOLEAK: a directory with the goleak
// program's exe, core.gcore and truth.json (default: $HEAPWISE_CORES/1.26.6/goleak, the cores
// directory defaulting to ~/.cache/heapwise-tools/cores). CHROMIUM (default /usr/bin/chromium).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from './serve.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const DIST = process.env.HEAPWISE_DIST || path.join(ROOT, 'dist');
const OUT = path.join(HERE, 'out');
const CORE = process.env.HEAPWISE_E2E_CORE || path.join(ROOT, 'web', 'demo', 'demo.core.zst');
const EXE = process.env.HEAPWISE_E2E_EXE || path.join(ROOT, 'web', 'demo', 'demo.exe');
const TRUTH = process.env.HEAPWISE_E2E_TRUTH || path.join(ROOT, 'web', 'demo', 'truth.json');
const DEMO_TRUTH = path.join(ROOT, 'web', 'demo', 'truth.json');
// A runtime/debug.WriteHeapDump file of the same program, with its truth: required when
// HEAPWISE_REQUIRE_CORES=1 (the test fails without it), else the test is skipped, visibly.
const DUMP = process.env.HEAPWISE_E2E_DUMP || '';
const DUMP_TRUTH = process.env.HEAPWISE_E2E_DUMP_TRUTH || '';
const REQUIRE_INPUTS = process.env.HEAPWISE_REQUIRE_CORES === '1';
// The goleak program (testdata/progs/goleak): goroutines that leak and ones that only block.
const GOLEAK = process.env.HEAPWISE_E2E_GOLEAK
  || path.join(process.env.HEAPWISE_CORES || path.join(os.homedir(), '.cache', 'heapwise-tools', 'cores'), '1.26.6', 'goleak');
const ANALYSIS_TIMEOUT = Number(process.env.HEAPWISE_E2E_TIMEOUT_MS || 180_000);
const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

let server, baseUrl, context, page, userDir;
const requests = [];
// Console messages of type error, from the page and from its workers, and uncaught errors:
// the page's (pageerror) and the workers' (an 'error' event on the Worker object, reported
// by the init script below as a console error of the page).
const consoleErrors = [];
const pageErrors = [];
// Console errors logged by the deliberate crash (the panic message) are expected.
let crashFrom = 0;
let crashTo = 0;

/** The main.* type with the most instances in a truth file: [name, count]. */
function pickType(truthPath) {
  const truth = JSON.parse(fs.readFileSync(truthPath, 'utf8'));
  const entries = Object.entries(truth.types || {}).filter(([t, v]) => t.startsWith('main.') && v.count > 0);
  assert.ok(entries.length > 0, `no main.* type in ${truthPath}`);
  entries.sort((a, b) => b[1].count - a[1].count || a[0].localeCompare(b[0]));
  return { truth, type: entries[0][0], count: entries[0][1].count };
}

async function waitLoaded() {
  // The nav appears once an analysis is loaded; errors appear in .errors.
  await page.waitForFunction(
    () => document.querySelector('nav a[href="#/histogram"]') || document.querySelector('.errors'),
    null,
    { timeout: ANALYSIS_TIMEOUT },
  );
  const err = await page.locator('.errors').count();
  if (err) {
    assert.fail(`the page reported: ${await page.locator('.errors').innerText()}`);
  }
}

/** The overview's named share says what the engine's figures say, and they add up to the live bytes. */
async function checkNamedShare() {
  const share = page.locator('#named-share');
  const num = async (a) => Number(await share.getAttribute(a));
  const [live, named, inferred] = [await num('data-live-bytes'), await num('data-named-bytes'), await num('data-inferred-bytes')];
  const pct = (b) => `${(b * 100 / Math.max(live, 1)).toFixed(1)}%`;
  assert.equal(await share.innerText(), `named: ${pct(named)} of live bytes (inferred by layout: ${pct(inferred)})`);
  const unnamed = (await page.locator('#unnamed tr.unnamed-reason td.bytes').evaluateAll((tds) => tds.map((td) => Number(td.dataset.bytes))));
  const sum = named + inferred + unnamed.reduce((a, b) => a + b, 0);
  console.log(`# named ${named}, inferred ${inferred}, unnamed ${unnamed.join('+') || 0} of ${live} live bytes`);
  assert.equal(sum, live, 'named + inferred + the unnamed reasons account for every live byte');
}

async function histogramCount(type) {
  await page.locator('nav a[href="#/histogram"]').click();
  await page.waitForSelector('table#histogram tr.hist-row', { timeout: 60_000 });
  const row = page.locator(`tr.hist-row[data-type="${type}"]`);
  assert.equal(await row.count(), 1, `no histogram row for ${type}`);
  return Number(await row.locator('td.count').innerText());
}

before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, 'index.html')), `${DIST}/index.html missing: run trunk build first`);
  fs.mkdirSync(OUT, { recursive: true });
  ({ server, url: baseUrl } = await startServer(DIST, 0));
  userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heapwise-e2e-'));
  context = await chromium.launchPersistentContext(userDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
  });
  context.on('request', (r) => requests.push(r.url()));
  // Every Worker the page makes reports its uncaught errors as a console error of the page.
  await context.addInitScript(() => {
    const Native = self.Worker;
    if (!Native) return;
    self.Worker = class extends Native {
      constructor(...args) {
        super(...args);
        this.addEventListener('error', (e) => console.error(`uncaught error in worker ${args[0]}: ${e.message}`));
      }
    };
  });
  page = context.pages()[0] || (await context.newPage());
  page.on('console', (m) => {
    // A worker's messages are taken from the worker (below) when playwright says whose they are.
    if (m.type() === 'error' && !(typeof m.worker === 'function' && m.worker())) consoleErrors.push(m.text());
  });
  page.on('worker', (w) => {
    w.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`worker: ${m.text()}`);
    });
  });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.setDefaultTimeout(30_000);
});

after(async () => {
  if (context) await context.close();
  if (server) server.close();
  if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
});

test('the page loads with no console error', async () => {
  await page.goto(baseUrl);
  await page.waitForSelector('#demo');
  await page.waitForFunction(() => !document.body.innerText.includes('Starting the analysis worker'));
  assert.deepEqual(pageErrors, [], 'uncaught page errors');
  assert.deepEqual(consoleErrors, [], 'console errors (page and worker)');
  // Served as static files (its heapwise.json is the static copy): no process to analyze.
  assert.equal(await page.locator('#analyze-process').count(), 0, 'no "Analyze this process now" from a static server');
});

test('open the demo: histogram has the demo types', { timeout: ANALYSIS_TIMEOUT + 60_000 }, async () => {
  const t0 = Date.now();
  await page.locator('#demo').click();
  await waitLoaded();
  console.log(`# demo analyzed in ${Date.now() - t0} ms`);
  const overview = await page.locator('#overview').innerText();
  assert.match(overview, /Go version\s+go1\.\d+/);
  await page.waitForSelector('svg#breakdown rect');
  await checkNamedShare();
  await page.screenshot({ path: path.join(OUT, 'overview.png'), fullPage: true });
  const { type, count } = pickType(DEMO_TRUTH);
  assert.equal(await histogramCount(type), count, `${type} count`);
});

test('load a core + executable with the file input: exact count, object page, root path', { timeout: ANALYSIS_TIMEOUT + 120_000 }, async () => {
  const { truth, type, count } = pickType(TRUTH);
  await page.goto(baseUrl + '#/');
  await page.reload();
  await page.waitForFunction(() => !document.body.innerText.includes('Starting the analysis worker'));
  // The executable first, then the core: either order works.
  await page.setInputFiles('#files', [EXE]);
  await page.waitForSelector('.notice:has-text("core is missing")');
  const t0 = Date.now();
  await page.setInputFiles('#files', [CORE]);
  await waitLoaded();
  console.log(`# ${path.basename(CORE)} (${fs.statSync(CORE).size} bytes) analyzed in ${Date.now() - t0} ms`);
  await page.waitForSelector('#named-share');
  await checkNamedShare();
  await page.screenshot({ path: path.join(OUT, 'overview-core.png'), fullPage: true });
  assert.equal(await histogramCount(type), count, `histogram count of ${type} (truth: ${TRUTH})`);

  // Sorting: by count, descending then ascending.
  await page.locator('button.sort[data-key="count"]').click();
  let counts = (await page.locator('tr.hist-row td.count').allInnerTexts()).map(Number);
  assert.deepEqual(counts, [...counts].sort((a, b) => b - a), 'sorted by count, descending');
  await page.locator('button.sort[data-key="count"]').click();
  counts = (await page.locator('tr.hist-row td.count').allInnerTexts()).map(Number);
  assert.deepEqual(counts, [...counts].sort((a, b) => a - b), 'sorted by count, ascending');

  // Filtering.
  await page.locator('#filter').fill(type);
  assert.ok((await page.locator('tr.hist-row').count()) >= 1);
  await page.locator('#filter-regex').check();
  await page.locator('#filter').fill('^main\\.');
  const types = await page.locator('tr.hist-row td.type').allInnerTexts();
  assert.ok(types.length > 0 && types.every((t) => t.startsWith('main.')), types.join(','));
  await page.locator('#filter').fill('(');
  await page.waitForSelector('.filter .bad');
  await page.locator('#filter').fill('');

  // A type opens its instances; an instance opens its object page.
  await page.locator(`tr.hist-row[data-type="${type}"] td.type a`).click();
  await page.waitForSelector('#object-list tr.object-row');
  assert.equal(await page.locator('#object-list tr.object-row').count(), Math.min(count, 2000));
  const first = page.locator('#object-list tr.object-row a.addr').first();
  const addr = await first.innerText();
  await first.click();
  await page.waitForSelector('#object h2 .addr');
  assert.equal(await page.locator('#object h2 .addr').innerText(), addr);
  assert.equal(await page.locator('#object h2 .type').innerText(), type);
  assert.match(page.url(), new RegExp(`#/object/${addr}$`));
  await page.waitForSelector('#path li');
  await page.waitForSelector('#hex .hexrow');

  // A known object from the truth file, by its address: type and a root path.
  const known = (truth.objects || []).find((o) => o.type === type) || (truth.objects || [])[0];
  if (known) {
    await page.goto(`${baseUrl}#/object/${known.addr}`);
    await page.waitForSelector('#object h2 .type');
    assert.equal(await page.locator('#object h2 .type').innerText(), known.type, `type of ${known.label}`);
    await page.goto(`${baseUrl}#/path/${known.addr}`);
    await page.waitForSelector('#path-page ol#path li.root');
    const hops = await page.locator('#path-page ol#path li').count();
    assert.ok(hops >= 2, 'a root and at least the object');
    const last = await page.locator('#path-page ol#path li a.addr').last().innerText();
    assert.equal(BigInt(last), BigInt(known.addr), 'the path ends at the object');
    await page.screenshot({ path: path.join(OUT, 'path.png'), fullPage: true });
    // Back goes to the object page again (hash routing).
    await page.goBack();
    await page.waitForSelector('#object h2 .addr');
  }

  // Object page screenshot (the one in the report).
  await page.goto(`${baseUrl}#/object/${addr}`);
  await page.waitForSelector('#path li');
  await page.screenshot({ path: path.join(OUT, 'object.png'), fullPage: true });

  // Goroutines with frames (the groups first, then each goroutine).
  await page.locator('nav a[href="#/goroutines"]').click();
  await page.waitForSelector('#groups tr.group', { timeout: ANALYSIS_TIMEOUT });
  await page.locator('#tab-each').click();
  await page.waitForSelector('#goroutines details.goroutine');
  assert.ok((await page.locator('#goroutines .frames li').count()) > 0);
  await page.screenshot({ path: path.join(OUT, 'goroutines.png'), fullPage: true });
});

/** The groups of the groups view on screen: first id, count, retained bytes, leaked. */
async function groupRows() {
  return page.locator('#groups tr.group').evaluateAll((trs) => trs.map((tr) => ({
    first: Number(tr.dataset.first),
    count: Number(tr.dataset.count),
    retained: Number(tr.querySelector('td.retained').dataset.bytes),
    leaked: tr.dataset.leaked === 'true',
    badge: tr.querySelector('.badge.leaked') !== null,
  })));
}

test('goroutine groups of the demo: retained bytes, sorting by count and retained, a group opens', { timeout: ANALYSIS_TIMEOUT + 60_000 }, async () => {
  await page.goto(baseUrl + '#/');
  await page.reload();
  await page.waitForFunction(() => !document.body.innerText.includes('Starting the analysis worker'));
  await page.locator('#demo').click();
  await waitLoaded();
  const goroutines = await page.evaluate(() => {
    const dt = [...document.querySelectorAll('#overview dt')].find((d) => d.textContent === 'Goroutines');
    return Number(dt.nextElementSibling.textContent);
  });
  // The overview names the leaked goroutines once the leak rule has run.
  await page.waitForSelector('#leaks[data-leaked]', { timeout: ANALYSIS_TIMEOUT });
  await page.locator('nav a[href="#/goroutines"]').click();
  await page.waitForSelector('#groups tr.group', { timeout: ANALYSIS_TIMEOUT });
  let rows = await groupRows();
  const n = Number(await page.locator('#goroutine-groups').getAttribute('data-groups'));
  console.log(`# demo: ${n} goroutine groups of ${goroutines} goroutines: ${rows.map((r) => `${r.count}/${r.retained}B`).join(' ')}`);
  assert.ok(n >= 2, 'the demo has more than one group');
  assert.equal(rows.length, Math.min(n, 50), 'one page of groups');
  assert.equal(rows.reduce((a, r) => a + r.count, 0), goroutines, 'the groups hold every goroutine of the overview');
  assert.ok(rows.some((r) => r.retained > 0), 'some group retains bytes');
  const retained = rows.map((r) => r.retained);
  assert.deepEqual(retained, [...retained].sort((a, b) => b - a), 'by retained, descending (the default)');
  for (const r of rows) assert.equal(r.badge, r.leaked, `group of ${r.first}: a badge exactly when leaked`);
  // Sorting by count: descending, then ascending (a different order: the counts differ).
  await page.locator('#groups button.sort[data-key="count"]').click();
  rows = await groupRows();
  const desc = rows.map((r) => r.count);
  assert.deepEqual(desc, [...desc].sort((a, b) => b - a), 'by count, descending');
  await page.locator('#groups button.sort[data-key="count"]').click();
  rows = await groupRows();
  const asc = rows.map((r) => r.count);
  assert.deepEqual(asc, [...asc].sort((a, b) => a - b), 'by count, ascending');
  assert.notDeepEqual(asc, desc, 'sorting by count changes the order');
  await page.locator('#groups button.sort[data-key="retained"]').click();
  rows = await groupRows();
  assert.deepEqual(rows.map((r) => r.retained), retained, 'by retained again');

  // The group retaining most opens to its goroutines, frames and objects (links to object pages).
  const top = rows[0];
  await page.locator(`#groups tr.group[data-first="${top.first}"] button.toggle`).click();
  const detail = page.locator(`#groups tr.group-detail[data-first="${top.first}"]`);
  await detail.waitFor();
  const ids = (await detail.locator('tr.member td.id').allInnerTexts()).map(Number);
  assert.equal(ids.length, top.count, 'every goroutine of the group is listed');
  assert.ok(ids.includes(top.first));
  assert.ok((await detail.locator('ol.frames li code.func').count()) > 0, 'frames');
  await page.screenshot({ path: path.join(OUT, 'goroutine-groups.png'), fullPage: true });
  const link = detail.locator('.top-objects a.addr').first();
  const addr = await link.innerText();
  const type = await detail.locator('.top-objects tr.top-object td.type').first().innerText();
  await link.click();
  await page.waitForSelector('#object h2 .addr');
  assert.equal(await page.locator('#object h2 .addr').innerText(), addr);
  assert.equal(await page.locator('#object h2 .type').innerText(), type);
  // Back: the group is still open.
  await page.goBack();
  await page.waitForSelector(`#groups tr.group-detail[data-first="${top.first}"]`);
});

test('goroutine groups of the goleak program: leaked badges and ids as its truth says, the overview names the leaked bytes', { timeout: ANALYSIS_TIMEOUT + 120_000 }, async (t) => {
  const [exe, core, truthPath] = ['exe', 'core.gcore', 'truth.json'].map((f) => path.join(GOLEAK, f));
  const missing = [exe, core, truthPath].filter((f) => !fs.existsSync(f));
  if (missing.length) {
    const why = `${missing.join(', ')} missing (HEAPWISE_CORES=... scripts/make-cores.sh --progs goleak --kinds gcore --versions 1.26.6)`;
    assert.ok(!REQUIRE_INPUTS, `HEAPWISE_REQUIRE_CORES=1 and ${why}`);
    t.skip(why);
    return;
  }
  const truth = JSON.parse(fs.readFileSync(truthPath, 'utf8'));
  const want = truth.goroutine_groups;
  assert.ok(want.length > 0, `no goroutine_groups in ${truthPath}`);
  const wantLeaked = want.filter((g) => g.leaked);
  await page.goto(baseUrl + '#/');
  await page.reload();
  await page.waitForFunction(() => !document.body.innerText.includes('Starting the analysis worker'));
  const t0 = Date.now();
  await page.setInputFiles('#files', [core, exe]);
  await waitLoaded();
  console.log(`# goleak core (${fs.statSync(core).size} bytes) analyzed in ${Date.now() - t0} ms`);

  // The overview: how many goroutines leak, in how many groups, and the bytes they retain.
  await page.waitForSelector('#leaks[data-leaked]', { timeout: ANALYSIS_TIMEOUT });
  const leaks = page.locator('#leaks');
  assert.equal(Number(await leaks.getAttribute('data-leaked')), wantLeaked.reduce((a, g) => a + g.goids.length, 0), 'leaked goroutines');
  assert.equal(Number(await leaks.getAttribute('data-groups')), wantLeaked.length, 'leaked groups');
  const leakedBytes = Number(await leaks.getAttribute('data-bytes'));
  assert.ok(leakedBytes > 0);
  assert.match(await leaks.innerText(), new RegExp(`in ${wantLeaked.length} groups retain .*\\(${leakedBytes} bytes\\)`));
  await page.screenshot({ path: path.join(OUT, 'overview-goleak.png'), fullPage: true });

  await page.locator('#leaks a[href="#/goroutines"]').click();
  await page.waitForSelector('#groups tr.group', { timeout: ANALYSIS_TIMEOUT });
  const rows = await groupRows();
  assert.equal(rows.filter((r) => r.badge).length, wantLeaked.length, 'a leaked badge on each leaked group, no other');
  assert.equal(Number(await page.locator('#goroutine-groups').getAttribute('data-leaked-groups')), wantLeaked.length);
  assert.equal(Number(await page.locator('#groups-summary').getAttribute('data-bytes')), leakedBytes, 'the view and the overview agree');
  // Each group of the truth is one group on the page: the same ids, leaked as the truth says,
  // retaining exactly the program's payload objects it names.
  for (const g of want) {
    const row = rows.find((r) => g.goids.includes(r.first));
    assert.ok(row, `${g.label}: no group of goroutines ${g.goids}`);
    const first = row.first;
    assert.equal(row.leaked, g.leaked, `${g.label}: leaked`);
    assert.equal(row.count, g.goids.length, `${g.label}: count`);
    await page.locator(`#groups tr.group[data-first="${first}"] button.toggle`).click();
    const detail = page.locator(`#groups tr.group-detail[data-first="${first}"]`);
    await detail.waitFor();
    const ids = (await detail.locator('tr.member td.id').allInnerTexts()).map(Number).sort((a, b) => a - b);
    assert.deepEqual(ids, [...g.goids].sort((a, b) => a - b), `${g.label}: goroutine ids`);
    const types = await detail.locator('.top-objects tr.top-object td.type').allInnerTexts();
    const held = {};
    for (const ty of types.filter((ty) => ty.startsWith('main.'))) held[ty] = (held[ty] || 0) + 1;
    assert.deepEqual(held, g.held, `${g.label}: the program's objects it retains`);
    if (g.leaked && ['chan receive', 'chan send'].includes(g.wait_reason)) {
      assert.ok((await detail.locator('.blocked-on li a.addr').count()) > 0, `${g.label}: what it blocks on`);
    }
  }
  await page.screenshot({ path: path.join(OUT, 'goroutine-groups-goleak.png'), fullPage: true });
  // Leaked only: the leaked groups.
  await page.locator('#leaked-only').check();
  const only = await groupRows();
  assert.equal(only.length, wantLeaked.length);
  assert.ok(only.every((r) => r.leaked && r.badge));
  await page.locator('#leaked-only').uncheck();
});

/** Reloads the page and opens CORE + EXE through the file input. */
async function loadCoreAndExe() {
  await page.goto(baseUrl + '#/');
  await page.reload();
  await page.waitForFunction(() => !document.body.innerText.includes('Starting the analysis worker'));
  await page.setInputFiles('#files', [CORE, EXE]);
  await waitLoaded();
}

/** `data-bytes` of the first element matching `selector`, as a Number. */
async function dataBytes(selector) {
  return Number(await page.locator(selector).first().getAttribute('data-bytes'));
}

test('leak hunting: retained and cost columns, dominator tree, retained size and what-if, suspects', { timeout: ANALYSIS_TIMEOUT + 120_000 }, async () => {
  const truth = JSON.parse(fs.readFileSync(TRUTH, 'utf8'));
  await loadCoreAndExe();

  // Histogram: shown before the dominator tree exists, then retained and cost columns fill in.
  await page.locator('nav a[href="#/histogram"]').click();
  await page.waitForSelector('table#histogram tr.hist-row');
  await page.waitForSelector('tr.hist-row td.retained[data-bytes]', { timeout: ANALYSIS_TIMEOUT });
  await page.waitForSelector('tr.hist-row td.waste[data-bytes]', { timeout: ANALYSIS_TIMEOUT });
  await page.locator('button.sort[data-key="retained"]').click();
  const rows = await page.locator('tr.hist-row').evaluateAll((trs) => trs.map((tr) => ({
    type: tr.dataset.type,
    bytes: Number(tr.querySelector('td.bytes').dataset.bytes),
    retained: Number(tr.querySelector('td.retained').dataset.bytes),
    waste: Number(tr.querySelector('td.waste').dataset.bytes),
    padding: Number(tr.querySelector('td.padding').dataset.bytes),
  })));
  assert.ok(rows.length > 0);
  const retainedCol = rows.map((r) => r.retained);
  assert.deepEqual(retainedCol, [...retainedCol].sort((a, b) => b - a), 'sorted by retained, descending');
  for (const r of rows) {
    assert.ok(r.retained >= r.bytes, `${r.type}: retained ${r.retained} >= own bytes ${r.bytes}`);
    assert.ok(r.waste + r.padding <= r.bytes, `${r.type}: waste + padding within the bytes`);
  }
  await page.screenshot({ path: path.join(OUT, 'histogram-retained.png'), fullPage: false });

  // Dominator tree: top nodes by retained size; expanding one loads its children.
  await page.locator('nav a[href="#/dominators"]').click();
  await page.waitForSelector('#domtree tr.dom-node', { timeout: ANALYSIS_TIMEOUT });
  const top = await page.locator('#domtree tr.dom-node[data-depth="0"] td.retained').evaluateAll((tds) => tds.map((td) => Number(td.dataset.bytes)));
  assert.deepEqual(top, [...top].sort((a, b) => b - a), 'top nodes by retained, descending');
  const parent = page.locator('#domtree tr.dom-node[data-depth="0"]:has(button.toggle)').first();
  const parentAddr = await parent.getAttribute('data-addr');
  const parentRetained = Number(await parent.locator('td.retained').getAttribute('data-bytes'));
  await parent.locator('button.toggle').click();
  await page.waitForSelector('#domtree tr.dom-node[data-depth="1"]');
  const kids = await page.locator('#domtree tr.dom-node[data-depth="1"] td.retained').evaluateAll((tds) => tds.map((td) => Number(td.dataset.bytes)));
  assert.ok(kids.length > 0 && kids.every((k) => k < parentRetained), `children of ${parentAddr} retain less than it`);
  await page.screenshot({ path: path.join(OUT, 'dominators.png'), fullPage: false });
  // An address is a link to its object page.
  await page.locator('#domtree tr.dom-node[data-depth="1"] a.addr').first().click();
  await page.waitForSelector('#object #retained');
  assert.match(page.url(), /#\/object\/0x[0-9a-f]+$/);
  assert.equal(await page.locator('#domchain li a.addr').first().innerText(), parentAddr, 'its immediate dominator is the expanded node');

  // Object pages: exact retained bytes of the truth's objects; what-if frees exactly that.
  const retained = truth.retained || [];
  if (!process.env.HEAPWISE_E2E_TRUTH) console.log('# (the demo truth has no retained sizes: pass HEAPWISE_E2E_TRUTH for the exact checks)');
  for (const r of retained) {
    await page.goto(`${baseUrl}#/object/${r.addr}`);
    await page.waitForSelector('#object #retained');
    assert.equal(await dataBytes('#object #retained'), r.bytes, `retained bytes of ${r.label}`);
    assert.match(await page.locator('#object #retained').innerText(), new RegExp(`^${r.bytes} bytes`));
  }
  const head = retained.find((r) => r.label === 'list_head');
  if (retained.length) assert.ok(head, 'the truth has list_head');
  if (head) {
    await page.goto(`${baseUrl}#/object/${head.addr}`);
    await page.waitForSelector('#object #retained');
    const size = Number((await page.locator('#object .facts dd').first().innerText()).split(' ')[0]);
    await page.locator('#whatif').click();
    await page.waitForSelector('#whatif-result[data-field=""] #whatif-bytes');
    assert.equal(await dataBytes('#whatif-bytes'), head.bytes, 'what-if frees the retained bytes of list_head');
    assert.equal(await page.locator('#whatif-types tbody tr td.type').first().innerText(), 'main.ListNode');
    // Cutting its `next` pointer frees the rest of the list: everything but the head itself.
    await page.locator('#outbound button.whatif-field[data-field="next"]').click();
    await page.waitForSelector('#whatif-result[data-field="next"] #whatif-bytes');
    assert.equal(await dataBytes('#whatif-bytes'), head.bytes - size, 'what if list_head.next were nil');
    await page.screenshot({ path: path.join(OUT, 'object-leak.png'), fullPage: true });
    // The owners graph: list_head is held by a global, drawn as an SVG on the page.
    await page.locator('#owners-graph-button').click();
    await page.waitForSelector('#owners-graph svg');
    const svgText = await page.locator('#owners-graph svg').textContent();
    assert.ok(svgText.includes('main.listHead'), `owners graph names the global root: ${svgText.slice(0, 200)}`);
    await page.locator('#owners-graph').screenshot({ path: path.join(OUT, 'owners-graph.png') });
    // The far end of the list is dominated by every node before it, list_head last.
    const tail = (truth.objects || []).find((o) => o.label === 'list_tail');
    if (tail) {
      await page.goto(`${baseUrl}#/object/${tail.addr}`);
      await page.waitForSelector('#domchain li a.addr');
      assert.equal(BigInt(await page.locator('#domchain li a.addr').last().innerText()), BigInt(head.addr), 'list_tail is dominated by list_head');
      const box = await page.locator('#domchain').boundingBox();
      await page.screenshot({ path: path.join(OUT, 'object-domchain.png'), fullPage: true, clip: { x: 0, y: Math.max(0, box.y - 80), width: 900, height: box.height + 100 } });
    }
  }

  // Leak suspects: each with its accumulation point and a path from a root.
  await page.locator('nav a[href="#/suspects"]').click();
  await page.waitForSelector('#suspects article.suspect, #no-suspects', { timeout: ANALYSIS_TIMEOUT });
  const suspects = page.locator('#suspects article.suspect');
  const n = await suspects.count();
  console.log(`# ${n} leak suspects: ${(await suspects.locator('h3').allInnerTexts()).join('; ')}`);
  if (truth.retained) assert.ok(n >= 1, 'the zoo has a suspect');
  for (let i = 0; i < n; i++) {
    const s = suspects.nth(i);
    assert.ok(Number(await s.locator('.retained').getAttribute('data-bytes')) > 0);
    await s.locator('ol.path li.root').first().waitFor();
  }
  if (n) assert.ok((await page.locator('#suspects .accumulation a.addr').count()) >= 1, 'an accumulation point');
  await page.screenshot({ path: path.join(OUT, 'suspects.png'), fullPage: true });
  assert.equal(await page.locator('.errors').count(), 0, 'no error shown');
  const mem = await dataBytes('#wasm-memory');
  console.log(`# worker wasm memory: ${(mem / 2 ** 20).toFixed(1)} MiB`);
  assert.ok(mem > 0);
});

test('a heap dump with its executable: exact count', { timeout: ANALYSIS_TIMEOUT + 60_000 }, async (t) => {
  const missing = [['HEAPWISE_E2E_DUMP', DUMP], ['HEAPWISE_E2E_DUMP_TRUTH', DUMP_TRUTH]].filter(([, f]) => !f || !fs.existsSync(f));
  if (missing.length) {
    const why = missing.map(([k, f]) => (f ? `${k}=${f} does not exist` : `${k} not set`)).join(', ');
    assert.ok(!REQUIRE_INPUTS, `HEAPWISE_REQUIRE_CORES=1 and ${why} (scripts/make-cores.sh makes the dumps)`);
    t.skip(why);
    return;
  }
  const { type, count } = pickType(DUMP_TRUTH);
  await page.goto(baseUrl + '#/');
  await page.reload();
  await page.waitForFunction(() => !document.body.innerText.includes('Starting the analysis worker'));
  await page.setInputFiles('#files', [DUMP, EXE]);
  await waitLoaded();
  assert.equal(await histogramCount(type), count, `histogram count of ${type} in the heap dump (truth: ${DUMP_TRUTH})`);
});

test('files dropped anywhere on the page are opened', { timeout: ANALYSIS_TIMEOUT + 60_000 }, async () => {
  await page.goto(baseUrl + '#/');
  await page.reload();
  await page.waitForFunction(() => !document.body.innerText.includes('Starting the analysis worker'));
  // Build File objects in the page (from the bundled demo) and drop them on the page.
  const dt = await page.evaluateHandle(async () => {
    const dt = new DataTransfer();
    for (const name of ['demo.exe', 'demo.core.zst']) {
      const blob = await (await fetch(`./demo/${name}`)).blob();
      dt.items.add(new File([blob], name));
    }
    return dt;
  });
  await page.dispatchEvent('.app', 'dragover', { dataTransfer: dt });
  await page.dispatchEvent('.app', 'drop', { dataTransfer: dt });
  await waitLoaded();
  assert.match(await page.locator('.loaded').innerText(), /demo\.core\.zst \+ demo\.exe/);
});

test('a stripped executable with its separate debug file: exact count; a debug file of another build is refused', { timeout: 2 * ANALYSIS_TIMEOUT + 60_000 }, async () => {
  // What `objcopy --only-keep-debug` makes (the layout of .build-id/xx/yyyy.debug files):
  // the executable's ELF type, no code; and the executable without its DWARF.
  const tmp = (name) => path.join(os.tmpdir(), `heapwise-${process.pid}-${name}`);
  const [debug, stripped, otherDebug] = [tmp('exe.debug'), tmp('exe.stripped'), tmp('demo.debug')];
  execFileSync('objcopy', ['--only-keep-debug', EXE, debug]);
  execFileSync('objcopy', ['--strip-debug', EXE, stripped]);
  execFileSync('objcopy', ['--only-keep-debug', path.join(ROOT, 'web', 'demo', 'demo.exe'), otherDebug]);
  const { type, count } = pickType(TRUTH);
  await page.goto(baseUrl + '#/');
  await page.reload();
  await page.waitForFunction(() => !document.body.innerText.includes('Starting the analysis worker'));
  await page.setInputFiles('#files', [debug]);
  await page.waitForSelector(`.notice:has-text("Got the debug file ${path.basename(debug)}")`);
  await page.setInputFiles('#files', [stripped]);
  await page.waitForSelector(`.notice:has-text("(and the debug file ${path.basename(debug)})")`);
  await page.setInputFiles('#files', [CORE]);
  await waitLoaded();
  const loaded = await page.locator('.loaded .debug-file').innerText();
  assert.ok(loaded.includes(path.basename(debug)), `the loaded line names the debug file: ${loaded}`);
  assert.equal(await histogramCount(type), count, `histogram count of ${type} with the DWARF from the debug file`);

  // The debug file of another program: its build ID is not the executable's.
  await page.setInputFiles('#files', [CORE, stripped, otherDebug]);
  await page.waitForSelector('.errors', { timeout: ANALYSIS_TIMEOUT });
  assert.match(await page.locator('.errors').innerText(), /Could not open the files: .*build ID/);
  await page.locator('.errors button:has-text("Dismiss")').click();
  for (const f of [debug, stripped, otherDebug]) fs.rmSync(f);
});

test('bad input is reported in words, and Cancel restarts the worker', async () => {
  const junk = path.join(os.tmpdir(), `heapwise-junk-${process.pid}.txt`);
  fs.writeFileSync(junk, 'this is not a core');
  await page.setInputFiles('#files', [junk]);
  await page.waitForSelector('.errors');
  assert.match(await page.locator('.errors').innerText(), /neither an ELF core/);
  fs.rmSync(junk);
  await page.locator('.errors button:has-text("Dismiss")').click();

  // An engine error (a truncated executable) comes back in words and the page stays usable.
  const cut = path.join(os.tmpdir(), `heapwise-cut-${process.pid}.exe`);
  fs.writeFileSync(cut, fs.readFileSync(EXE).subarray(0, 64 * 1024));
  await page.setInputFiles('#files', [CORE, cut]);
  await page.waitForSelector('.errors', { timeout: ANALYSIS_TIMEOUT });
  const msg = await page.locator('.errors').innerText();
  console.log(`# truncated executable: ${msg.split('\n')[0]}`);
  assert.match(msg, /Could not open the files: \S+/);
  fs.rmSync(cut);
  await page.locator('.errors button:has-text("Dismiss")').click();

  // Start an analysis and cancel it while it runs: the worker is replaced, the page stays usable.
  await page.setInputFiles('#files', [CORE, EXE]);
  // The progress panel re-renders on every progress message, so under load the button is
  // never "stable" for a Playwright click: click the one in the page at that moment.
  await page.waitForSelector('#cancel', { timeout: 10_000 });
  await page.evaluate(() => document.querySelector('#cancel').click());
  await page.waitForSelector('.notice:has-text("Cancelled.")');
  assert.equal(await page.locator('#progress').count(), 0);
  await page.waitForFunction(() => !document.body.innerText.includes('Starting the analysis worker'));
  await page.locator('#demo').click();
  await waitLoaded();
});

test('a crash of the analysis is reported, and the worker can be restarted', async () => {
  crashFrom = consoleErrors.length;
  const workers = page.workers();
  assert.ok(workers.length >= 1, 'the analysis worker is running');
  await workers[workers.length - 1].evaluate(() => {
    // `wasm_bindgen` is the no-modules global of worker.js (a top-level `let`).
    // eslint-disable-next-line no-undef
    setTimeout(() => wasm_bindgen.heapwiseSelfTestPanic(), 0);
  });
  await page.waitForSelector('#restart');
  const text = await page.locator('.errors').innerText();
  assert.match(text, /self-test panic/);
  assert.match(text, /analysis worker stopped|Restart/);
  await page.screenshot({ path: path.join(OUT, 'crash.png'), fullPage: true });
  await page.locator('#restart').click();
  await page.waitForSelector('.errors', { state: 'detached' });
  await page.locator('#demo').click();
  await waitLoaded();
  crashTo = consoleErrors.length;
  // The listeners see the worker's side of the crash: the panic message it logs as an error.
  const fromCrash = consoleErrors.slice(crashFrom, crashTo);
  console.log(`# console errors of the deliberate crash: ${fromCrash.length}: ${fromCrash.map((m) => m.split('\n')[0]).join(' | ').slice(0, 300)}`);
  assert.ok(fromCrash.some((m) => /self-test panic/.test(m)), 'the panic is seen as a console error');
});

test('nothing left 127.0.0.1 and no console errors', async () => {
  await page.screenshot({ path: path.join(OUT, 'final.png'), fullPage: true });
  const foreign = requests.filter((u) => !u.startsWith('http://127.0.0.1:') && !u.startsWith('data:') && !u.startsWith('blob:'));
  assert.deepEqual(foreign, [], 'requests that left the machine');
  assert.ok(requests.some((u) => u.endsWith('worker_bg.wasm')), 'the worker wasm was loaded');
  console.log(`# ${requests.length} requests, all to 127.0.0.1`);
  assert.deepEqual(pageErrors, [], 'uncaught page errors');
  const unexpected = consoleErrors.filter((m, i) => !(i >= crashFrom && i < crashTo && /self-test panic|RuntimeError|unreachable/.test(m)));
  assert.deepEqual(unexpected, [], 'console errors (page and worker)');
});
