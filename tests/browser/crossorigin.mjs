// Real-browser cross-origin check, driven by examples/ssehub/browser_test.go.
//
//   node tests/browser/crossorigin.mjs PAGE_URL
//
// Launches Debian's Chromium headless through playwright-core (see
// launch.mjs), opens PAGE_URL (a page served from one origin whose script
// talks to a server on another origin and fills window.__cross), and waits
// until the page sets window.__cross.done. Prints one JSON object on
// stdout:
//
//   {"ok":true,"url":...,"status":200,"userAgent":...,"page":{...window.__cross...},
//    "console":[...],"elapsedMs":N}
//
// ok means the page finished, whatever it found: the Go test judges what
// the page saw (events received, or the browser's refusal; Chromium logs a
// refusal on the console as "... has been blocked by CORS policy ...").
// Exit status: 0 when the page finished, 1 on a timeout or any failure,
// 2 on bad usage. Only 127.0.0.1 is contacted.
import { executablePath, run } from './launch.mjs';

const PAGE_TIMEOUT_MS = 15000; // from page load to window.__cross.done
const HARD_LIMIT_MS = 35000;   // whole script, launch included

const [url] = process.argv.slice(2);
if (!url) {
  process.stderr.write('usage: node crossorigin.mjs PAGE_URL\n');
  process.exit(2);
}

const result = { ok: false, url, executablePath, status: null, userAgent: null, page: null, console: [], elapsedMs: 0 };
await run(result, HARD_LIMIT_MS, null, async (page) => {
  const resp = await page.goto(url, { waitUntil: 'load', timeout: 10000 });
  result.status = resp ? resp.status() : null;
  result.userAgent = await page.evaluate(() => navigator.userAgent);
  try {
    await page.waitForFunction(() => window.__cross && window.__cross.done, null, { timeout: PAGE_TIMEOUT_MS, polling: 100 });
    result.ok = true;
  } catch (e) {
    result.error = `the page did not finish within ${PAGE_TIMEOUT_MS} ms: ${e.message.split('\n')[0]}`;
  }
  result.page = await page.evaluate(() => window.__cross ?? null);
});
