// Benchmark (not a test) of one click on a service's heapwisehttp page, in headless Chromium:
// time from the click to the downloads done and to the histogram on screen, and the pause the
// snapshot caused in the service (the longest gap of a goroutine that ticks every millisecond,
// testdata/progs/oneclick/serve.go's /debug/pause), next to the longest gap of an idle window
// of the same length right before (the noise of the machine).
//
//   node tests/e2e/bench-handler.mjs PAGE_URL PAUSE_URL [RUNS]   (scripts/bench-handler.sh)
// Env: CHROMIUM (default /usr/bin/chromium). Prints one JSON object per run on "BENCH " lines.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [pageUrl, pauseUrl, runsArg] = process.argv.slice(2);
if (!pageUrl || !pauseUrl) {
  console.error('usage: node bench-handler.mjs PAGE_URL PAUSE_URL [RUNS]');
  process.exit(2);
}
const RUNS = Number(runsArg || 1);
const TIMEOUT = 30 * 60_000;
const pause = async () => (await fetch(pauseUrl)).json();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heapwise-bench-handler-'));
const context = await chromium.launchPersistentContext(userDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-dev-shm-usage'],
});
try {
  for (let run = 1; run <= RUNS; run++) {
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    await page.goto(pageUrl);
    await page.locator('#analyze-process').waitFor();
    await page.waitForFunction(() => !document.body.innerText.includes('Starting the analysis worker'));
    await pause(); // starts a measurement
    const t0 = Date.now();
    await page.locator('#analyze-process').click();
    await page.locator('#save-snapshot').waitFor(); // both downloads in, the worker opening them
    const downloaded = Date.now() - t0;
    await page.waitForFunction(
      () => document.querySelector('nav a[href="#/histogram"]') || document.querySelector('.errors'),
      null, { timeout: TIMEOUT },
    );
    if (await page.locator('.errors').count()) throw new Error(await page.locator('.errors').innerText());
    await page.locator('nav a[href="#/histogram"]').click();
    await page.waitForSelector('table#histogram tr.hist-row', { timeout: TIMEOUT });
    const histogram = Date.now() - t0;
    const during = await pause();
    const dumpMs = Number(await page.locator('#snapshot-pause').getAttribute('data-ms'));
    const dumpBytes = Number(await page.locator('#save-snapshot').getAttribute('data-bytes'));
    await page.close();
    // The same length of time with no snapshot: the machine's own longest gap.
    await sleep(Math.min(histogram, 20_000));
    const idle = await pause();
    console.log('BENCH ' + JSON.stringify({
      run, click_to_downloaded_ms: downloaded, click_to_histogram_ms: histogram,
      dump_ms: dumpMs, dump_bytes: dumpBytes,
      max_tick_gap_ms: during.max_gap_us / 1000, idle_max_tick_gap_ms: idle.max_gap_us / 1000,
    }));
  }
} finally {
  await context.close();
  fs.rmSync(userDir, { recursive: true, force: true });
}
