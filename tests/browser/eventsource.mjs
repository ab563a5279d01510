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
//    "opens":N,"errors":N,"pageLog":[...],"pageStatus":"open","screenshot":path|null,
//    "connection":{"nextHopProtocol":"http/1.1","tls":null|{"protocol":"TLS 1.3",...}}}
//
// URL may be https:// (see CHROMIUM_TRUST_SPKI in launch.mjs); the
// EventSource then runs over TLS too.
//
// Exit status: 0 when the events arrived, 1 on a timeout or any failure
// (the JSON then has ok:false and error), 2 on bad usage. Only the URL given
// (127.0.0.1) is contacted; Chromium's own background traffic is switched off.
import { connection, executablePath, run } from './launch.mjs';

const WANT = 2;                 // message events to wait for
const EVENTS_TIMEOUT_MS = 15000; // from page load to the WANT-th event
const HARD_LIMIT_MS = 35000;     // whole script, launch included

const [url, screenshot] = process.argv.slice(2);
if (!url) {
  process.stderr.write('usage: node eventsource.mjs URL [SCREENSHOT.png]\n');
  process.exit(2);
}

const result = {
  ok: false, url, executablePath, userAgent: null, events: [], opens: 0, errors: 0,
  pageLog: [], pageStatus: null, console: [], screenshot: null, elapsedMs: 0, connection: null,
};
await run(result, HARD_LIMIT_MS, screenshot, async (page) => {
  const resp = await page.goto(url, { waitUntil: 'load', timeout: 10000 });
  result.status = resp ? resp.status() : null;
  result.connection = await connection(page, resp);
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
});
