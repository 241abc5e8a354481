// Browser benchmark (not a test): time from file selection to the histogram on screen, then to
// the retained sizes, in headless Chromium; the worker's wasm memory as it reports it.
//
//   node tests/e2e/bench.mjs CORE EXE [RUNS]        (scripts/bench-web.sh builds dist/ and adds
//                                                    the native baseline)
// Env: HEAPWISE_DIST (default <repo>/dist), CHROMIUM (default /usr/bin/chromium).
// Prints one JSON object per run on lines starting with "BENCH ".
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from './serve.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const DIST = process.env.HEAPWISE_DIST || path.join(ROOT, 'dist');
const [core, exe, runsArg] = process.argv.slice(2);
if (!core || !exe) {
  console.error('usage: node bench.mjs CORE EXE [RUNS]');
  process.exit(2);
}
const RUNS = Number(runsArg || 1);
// The core's truth.json (scripts/make-cores.sh), when beside it: main.* counts must match.
const truthPath = path.join(path.dirname(core), 'truth.json');
const truth = fs.existsSync(truthPath) ? JSON.parse(fs.readFileSync(truthPath, 'utf8')) : null;
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
  page.on('console', (m) => {
    if (m.type() === 'error' || m.text().startsWith('heapwise')) console.error(`# console: ${m.text()}`);
  });
  for (let run = 1; run <= RUNS; run++) {
    // A fresh page (and worker) per run: the histogram route is open before the files come.
    await page.goto(url + '#/histogram');
    await page.reload();
    await page.waitForFunction(() => !document.body.innerText.includes('Starting the analysis worker'));
    // Phases as the progress bar shows them (sampled by the page itself on each change).
    await page.evaluate(() => {
      window.__phases = [];
      const t0 = performance.now();
      const seen = new Set();
      new MutationObserver(() => {
        const p = document.querySelector('#progress .phase');
        if (p && !seen.has(p.textContent)) {
          seen.add(p.textContent);
          window.__phases.push([p.textContent, performance.now() - t0]);
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
      window.__t0 = t0;
    });
    const t0 = Date.now();
    await page.setInputFiles('#files', [core, exe]);
    await page.waitForSelector('table#histogram tr.hist-row, .errors', { timeout: TIMEOUT });
    const histogramMs = Date.now() - t0;
    if (await page.locator('.errors').count()) throw new Error(await page.locator('.errors').innerText());
    const counts = Object.fromEntries(await page.locator('tr.hist-row').evaluateAll((trs) =>
      trs.map((tr) => [tr.dataset.type, Number(tr.querySelector('td.count').textContent)])));
    const rows = Object.keys(counts).length;
    for (const [t, v] of Object.entries(truth?.types || {})) {
      if (t.startsWith('main.') && counts[t] !== v.count) throw new Error(`histogram count of ${t}: ${counts[t]}, truth ${v.count}`);
    }
    const memHistogram = Number(await page.locator('#wasm-memory').getAttribute('data-bytes'));
    await page.waitForSelector('tr.hist-row td.retained[data-bytes], .errors', { timeout: TIMEOUT });
    const retainedMs = Date.now() - t0;
    if (await page.locator('.errors').count()) throw new Error(await page.locator('.errors').innerText());
    await page.waitForFunction(() => {
      const m = document.querySelector('#wasm-memory');
      return m && document.querySelector('tr.hist-row td.retained[data-bytes]');
    });
    const memRetained = Number(await page.locator('#wasm-memory').getAttribute('data-bytes'));
    const extra = await page.locator('#hist-extra').innerText();
    const phases = await page.evaluate(() => window.__phases.map(([p, t]) => [p, Math.round(t)]));
    console.log('BENCH ' + JSON.stringify({ run, histogramMs, retainedMs, memHistogram, memRetained, rows, phases, extra }));
    await page.screenshot({ path: path.join(HERE, 'out', 'bench-histogram.png') });
  }
} finally {
  await context.close();
  server.close();
  fs.rmSync(userDir, { recursive: true, force: true });
}
