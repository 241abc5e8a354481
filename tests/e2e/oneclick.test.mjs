// One click from a running service to its analysis, in headless Chromium: for each Go release,
// starts the testdata service testdata/progs/oneclick (which mounts the Go package
// heapwisehttp, with the page embedded), opens the page it serves, clicks "Analyze this
// process now" and checks the exact counts of the service's main.* types and its root paths
// against the truth the service wrote; every request the browser made went to the service.
//
//   node --test tests/e2e/oneclick.test.mjs     (scripts/test-web.sh: after trunk build and
//                                                scripts/embed-page.sh)
//
// Env: HEAPWISE_ONECLICK_VERSIONS (default: scripts/tools.sh versions), HEAPWISE_TOOLS (the Go
// toolchains, through scripts/tools.sh), GOCACHE (default $HEAPWISE_TOOLS/gocache), CHROMIUM.
// Each version's service is built once (go build, cached by GOCACHE).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const OUT = path.join(HERE, 'out');
const PROG = path.join(ROOT, 'testdata', 'progs', 'oneclick');
const TOOLS = process.env.HEAPWISE_TOOLS || path.join(os.homedir(), '.cache', 'heapwise-tools');
// The module (go/go.mod's `go` line) and so the service need that release or later.
const MODULE_GO = fs.readFileSync(path.join(ROOT, 'go', 'go.mod'), 'utf8').match(/^go\s+(\S+)/m)[1];
function atLeast(v, min) {
  const [a, b] = [v, min].map((x) => x.split('.').map(Number));
  for (let i = 0; i < 2; i++) if ((a[i] || 0) !== (b[i] || 0)) return (a[i] || 0) > (b[i] || 0);
  return true;
}
const VERSIONS = (process.env.HEAPWISE_ONECLICK_VERSIONS
  || execFileSync(path.join(ROOT, 'scripts', 'tools.sh'), ['versions'], { encoding: 'utf8' })).trim().split(/\s+/)
  .filter((v) => atLeast(v, MODULE_GO));
const ANALYSIS_TIMEOUT = Number(process.env.HEAPWISE_E2E_TIMEOUT_MS || 180_000);
const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

let context, page, userDir, buildDir;
const exes = new Map(); // version -> executable
const services = [];
let requests = [];
const problems = []; // console errors and uncaught errors of the page and its workers

/** Builds the service with Go `version` into buildDir/<version>/oneclick. */
function build(version) {
  const goroot = execFileSync(path.join(ROOT, 'scripts', 'tools.sh'), ['go', version], { encoding: 'utf8' }).trim();
  const out = path.join(buildDir, version, 'oneclick');
  const t0 = Date.now();
  execFileSync(path.join(goroot, 'bin', 'go'), ['build', '-o', out, '.'], {
    cwd: PROG,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env, GOROOT: goroot, GOTOOLCHAIN: 'local', GOPROXY: 'off', GOSUMDB: 'off', GOFLAGS: '-mod=mod',
      GOENV: 'off', GOWORK: 'off', GOCACHE: process.env.GOCACHE || path.join(TOOLS, 'gocache'),
      GOPATH: process.env.GOPATH || path.join(TOOLS, 'gopath'),
    },
  });
  console.log(`# built oneclick with Go ${version} in ${Date.now() - t0} ms`);
  return out;
}

/** Starts a service; resolves to { proc, url, truth } once it printed READY. */
function startService(exe, truthPath, compress) {
  const env = { ...process.env, HEAPWISE_TRUTH: truthPath, HEAPWISE_SNAPSHOT_COMPRESS: compress };
  const proc = spawn(exe, [], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  services.push(proc);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${exe}: no READY after 60 s: ${out}`)), 60_000);
    proc.on('exit', (code) => reject(new Error(`${exe} exited (${code}) before READY: ${out}`)));
    proc.stdout.on('data', (d) => {
      out += d;
      const url = out.match(/^LISTEN (\S+)$/m);
      if (url && /^READY$/m.test(out)) {
        clearTimeout(timer);
        resolve({ proc, url: url[1], truth: JSON.parse(fs.readFileSync(truthPath, 'utf8')) });
      }
    });
  });
}

async function histogramCount(type) {
  const row = page.locator(`tr.hist-row[data-type="${type}"]`);
  assert.equal(await row.count(), 1, `no histogram row for ${type}`);
  return Number(await row.locator('td.count').innerText());
}

before(async () => {
  const embedded = path.join(ROOT, 'go', 'heapwisehttp', 'page', 'index.html');
  assert.ok(fs.existsSync(embedded), `${embedded} missing: build the page and run scripts/embed-page.sh`);
  fs.mkdirSync(OUT, { recursive: true });
  buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heapwise-oneclick-'));
  for (const v of VERSIONS) exes.set(v, build(v));
  userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heapwise-oneclick-chromium-'));
  context = await chromium.launchPersistentContext(userDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  context.on('request', (r) => requests.push(r.url()));
  page = context.pages()[0] || (await context.newPage());
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('worker', (w) => w.on('console', (m) => { if (m.type() === 'error') problems.push(`worker: ${m.text()}`); }));
  page.on('pageerror', (e) => problems.push(String(e)));
  page.setDefaultTimeout(30_000);
});

after(async () => {
  for (const p of services) p.kill('SIGKILL');
  if (context) await context.close();
  if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  if (buildDir) fs.rmSync(buildDir, { recursive: true, force: true });
});

for (const [i, version] of VERSIONS.entries()) {
  // Every other version's service gzips the snapshot (as for a client across a network); the
  // others send it as it is (heapwisehttp's default for a client on loopback).
  const compress = i % 2 === 0 ? 'always' : 'auto';
  test(`Go ${version} (snapshot compression ${compress}): one click on the service's page analyzes the service: exact counts, root paths, only its origin`, { timeout: ANALYSIS_TIMEOUT + 60_000 }, async () => {
    const truthPath = path.join(buildDir, version, 'truth.json');
    const { proc, url, truth } = await startService(exes.get(version), truthPath, compress);
    try {
      assert.equal(truth.go_version, `go${version}`);
      const origin = new URL(url).origin;
      requests = [];
      problems.length = 0;
      const encodings = [];
      const onResponse = (r) => { if (r.url() === url + 'snapshot') encodings.push(r.headers()['content-encoding'] || 'identity'); };
      page.on('response', onResponse);
      await page.goto(url);
      const button = page.locator('#analyze-process');
      await button.waitFor();
      assert.match(await button.innerText(), /Analyze this process now[\s\S]*stops while its snapshot is written/);
      await page.waitForFunction(() => !document.body.innerText.includes('Starting the analysis worker'));
      const t0 = Date.now();
      await button.click();
      await page.waitForFunction(
        () => document.querySelector('nav a[href="#/histogram"]') || document.querySelector('.errors'),
        null, { timeout: ANALYSIS_TIMEOUT },
      );
      if (await page.locator('.errors').count()) assert.fail(`the page reported: ${await page.locator('.errors').innerText()}`);
      await page.locator('nav a[href="#/histogram"]').click();
      await page.waitForSelector('table#histogram tr.hist-row', { timeout: 60_000 });
      console.log(`# Go ${version}: click to histogram ${Date.now() - t0} ms`);
      // The snapshot is kept: Save snapshot and Save executable links, and the pause.
      assert.match(await page.locator('#save-snapshot').getAttribute('download'), new RegExp(`^oneclick-${truth.pid}\\.dump$`));
      assert.equal(await page.locator('#save-exe').getAttribute('download'), 'oneclick');
      const pause = Number(await page.locator('#snapshot-pause').getAttribute('data-ms'));
      assert.ok(pause > 0, `pause ${pause} ms`);
      console.log(`# Go ${version}: the snapshot stopped the service for ${pause} ms`);

      const types = Object.entries(truth.types);
      assert.ok(types.length >= 4, 'the truth names the service types');
      for (const [type, { count }] of types) {
        assert.equal(await histogramCount(type), count, `histogram count of ${type} (truth ${truthPath})`);
      }
      for (const p of truth.paths) {
        await page.goto(`${url}#/path/${p.addr}`);
        await page.waitForSelector('#path-page ol#path li.root');
        const root = await page.locator('#path-page ol#path li.root').innerText();
        assert.ok(root.includes(p.root_kind) && root.includes(p.root_name), `root of ${p.label}: ${root}, truth ${p.root_kind} ${p.root_name}`);
        const last = page.locator('#path-page ol#path li[value]').last();
        assert.equal(BigInt(await last.locator('a.addr').innerText()), BigInt(p.addr), `the path of ${p.label} ends at it`);
        // li values number the hops after the root (1): the last is the path's length + 1.
        assert.equal(Number(await last.getAttribute('value')), p.length + 1, `length of the path of ${p.label}`);
      }
      await page.screenshot({ path: path.join(OUT, `oneclick-${version}.png`), fullPage: true });

      const foreign = requests.filter((u) => !u.startsWith(origin + '/') && !u.startsWith('data:') && !u.startsWith('blob:'));
      assert.deepEqual(foreign, [], `requests to another origin than the service's ${origin}`);
      for (const endpoint of ['heapwise.json', 'snapshot', 'exe']) {
        assert.equal(requests.filter((u) => u === url + endpoint).length, 1, `one request to ${endpoint}`);
      }
      console.log(`# Go ${version}: ${requests.length} requests, all to ${origin}`);
      page.off('response', onResponse);
      assert.deepEqual(encodings, [compress === 'always' ? 'gzip' : 'identity'], 'the snapshot\'s Content-Encoding');
      assert.deepEqual(problems, [], 'console errors');
    } finally {
      proc.kill('SIGKILL');
    }
  });
}
