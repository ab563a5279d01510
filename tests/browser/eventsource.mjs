// Real-browser EventSource check, driven by examples/sse/browser_test.go.
//
//   node tests/browser/eventsource.mjs URL [SCREENSHOT.png]
//
// Launches Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH) headless
// through playwright-core (which never downloads a browser here), opens URL
// (the SSE example's page, so the page has the server's origin), creates an
// EventSource on location.origin inside the page and waits until at least
// two "message" events arrived (and the page's own seed client logged two).
// Prints one JSON object on stdout:
//
//   {"ok":true,"url":...,"userAgent":...,"events":[{"type","data","lastEventId","origin","atMs"}],
//    "opens":N,"errors":N,"pageLog":[...],"pageStatus":"open","screenshot":path|null}
//
// Exit status: 0 when the events arrived, 1 on a timeout or any failure
// (the JSON then has ok:false and error), 2 on bad usage. Only the URL given
// (127.0.0.1) is contacted; Chromium's own background traffic is switched off.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const WANT = 2;                 // message events to wait for
const EVENTS_TIMEOUT_MS = 15000; // from page load to the WANT-th event
const HARD_LIMIT_MS = 35000;     // whole script, launch included

const [url, screenshot] = process.argv.slice(2);
if (!url) {
  process.stderr.write('usage: node eventsource.mjs URL [SCREENSHOT.png]\n');
  process.exit(2);
}

const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const userDataDir = mkdtempSync(join(tmpdir(), 'gnetworker-chromium-'));
const result = {
  ok: false, url, executablePath, userAgent: null, events: [], opens: 0, errors: 0,
  pageLog: [], pageStatus: null, console: [], screenshot: null, elapsedMs: 0,
};
const started = Date.now();
let context;

function finish(code) {
  result.elapsedMs = Date.now() - started;
  process.stdout.write(JSON.stringify(result) + '\n');
  try { rmSync(userDataDir, { recursive: true, force: true }); } catch { /* best effort */ }
  process.exitCode = code;
}

// A last resort if Chromium hangs in launch or close: report and exit.
const hard = setTimeout(async () => {
  result.error = `hard limit of ${HARD_LIMIT_MS} ms reached`;
  finish(1);
  process.exit(1);
}, HARD_LIMIT_MS);
hard.unref();

try {
  // launchPersistentContext is Playwright's way to pass a fresh --user-data-dir.
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    timeout: 15000,
    viewport: { width: 900, height: 600 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const page = context.pages()[0] || await context.newPage();
  page.on('console', (m) => { if (result.console.length < 50) result.console.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => { result.console.push(`pageerror: ${e.message}`); });

  const resp = await page.goto(url, { waitUntil: 'load', timeout: 10000 });
  result.status = resp ? resp.status() : null;
  result.userAgent = await page.evaluate(() => navigator.userAgent);

  // Our own EventSource on the page's origin, the way the seed's client does it.
  await page.evaluate(() => {
    const t0 = performance.now();
    window.__sse = { events: [], opens: 0, errors: 0 };
    const es = new EventSource(location.origin);
    window.__es = es;
    es.addEventListener('message', (e) => {
      window.__sse.events.push({
        type: e.type, data: e.data, lastEventId: e.lastEventId, origin: e.origin,
        atMs: Math.round(performance.now() - t0),
      });
    });
    es.onopen = () => { window.__sse.opens++; };
    es.onerror = () => { window.__sse.errors++; };
  });

  try {
    await page.waitForFunction(
      (want) => window.__sse.events.length >= want &&
        document.querySelectorAll('#log li').length >= want,
      WANT, { timeout: EVENTS_TIMEOUT_MS, polling: 100 });
    result.ok = true;
  } catch (e) {
    result.error = `fewer than ${WANT} message events within ${EVENTS_TIMEOUT_MS} ms: ${e.message.split('\n')[0]}`;
  }

  const state = await page.evaluate(() => {
    window.__es.close();
    return {
      sse: window.__sse,
      pageLog: [...document.querySelectorAll('#log li')].map((li) => li.textContent),
      pageStatus: document.getElementById('status')?.textContent ?? null,
    };
  });
  result.events = state.sse.events;
  result.opens = state.sse.opens;
  result.errors = state.sse.errors;
  result.pageLog = state.pageLog;
  result.pageStatus = state.pageStatus;

  if (screenshot) {
    await page.screenshot({ path: screenshot, fullPage: true, timeout: 5000 });
    result.screenshot = screenshot;
  }
} catch (e) {
  result.ok = false;
  result.error = e && e.message ? e.message.split('\n')[0] : String(e);
} finally {
  if (context) {
    await context.close().catch(() => {});
  }
}
clearTimeout(hard);
finish(result.ok ? 0 : 1);
