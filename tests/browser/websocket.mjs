// Real-browser WebSocket check, driven by examples/wschat/browser_test.go.
//
//   node tests/browser/websocket.mjs CHAT_URL ECHO_WS_URL [SCREENSHOT.png]
//
// Launches Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH) headless
// through playwright-core, opens the chat example's page at CHAT_URL, waits
// for its WebSocket to connect, types a message into the page's form and
// waits for the broadcast to come back into the page's log. Then, from the
// same page, opens a WebSocket to ECHO_WS_URL (a ws:// echo worker) and
// sends a text, a binary and a 100 KB text message (Chromium offers
// permessage-deflate), checks the echoes, and closes with code 4000.
// Prints one JSON object on stdout:
//
//   {"ok":true,"chatLog":[...],"echo":{"text":..,"binary":[..],"bigLength":N,"extensions":..,"closeCode":N},
//    "console":[...],"screenshot":path|null}
//
// Exit status: 0 when everything arrived, 1 on a timeout or failure (ok:false
// and error), 2 on bad usage. Only the given 127.0.0.1 URLs are contacted.
//
// CHAT_URL may be https:// (the page then opens wss://) and ECHO_WS_URL
// wss:// (see CHROMIUM_TRUST_SPKI in launch.mjs); "connection" in the JSON
// says how the page came (HTTP version, TLS details or null).
import { connection, executablePath, run } from './launch.mjs';

const STEP_TIMEOUT_MS = 15000;
const HARD_LIMIT_MS = 40000;

const [chatURL, echoURL, screenshot] = process.argv.slice(2);
if (!chatURL || !echoURL) {
  process.stderr.write('usage: node websocket.mjs CHAT_URL ECHO_WS_URL [SCREENSHOT.png]\n');
  process.exit(2);
}

const result = { ok: false, chatLog: [], echo: null, console: [], screenshot: null, elapsedMs: 0, connection: null };
await run(result, HARD_LIMIT_MS, screenshot, async (page) => {
  const resp = await page.goto(chatURL, { waitUntil: 'load', timeout: 10000 });
  result.connection = await connection(page, resp);
  const log = () => page.evaluate(() => document.getElementById('log').textContent);
  await page.waitForFunction(() => document.getElementById('log').textContent.includes('joined'),
    null, { timeout: STEP_TIMEOUT_MS, polling: 50 });
  await page.fill('#msg', 'hello from chromium');
  await page.click('button');
  await page.waitForFunction(() => document.getElementById('log').textContent.includes(': hello from chromium'),
    null, { timeout: STEP_TIMEOUT_MS, polling: 50 });
  result.chatLog = (await log()).split('\n').filter((l) => l);

  result.echo = await page.evaluate((url) => new Promise((resolve, reject) => {
    const out = { text: null, binary: null, bigLength: 0, extensions: null, closeCode: null };
    const big = 'x'.repeat(100000);
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    let n = 0;
    ws.onopen = () => {
      out.extensions = ws.extensions;
      ws.send('héllo');
      ws.send(new Uint8Array([0, 255, 16]));
      ws.send(big);
    };
    ws.onmessage = (e) => {
      n++;
      if (n === 1) out.text = e.data;
      if (n === 2) out.binary = Array.from(new Uint8Array(e.data));
      if (n === 3) {
        out.bigLength = e.data === big ? e.data.length : -1;
        ws.close(4000, 'done');
      }
    };
    ws.onclose = (e) => { out.closeCode = e.code; resolve(out); };
    ws.onerror = () => reject(new Error('echo WebSocket error'));
    setTimeout(() => reject(new Error('echo WebSocket timed out')), 10000);
  }), echoURL);

  result.ok = result.echo.text === 'héllo' && result.echo.bigLength === 100000 &&
    JSON.stringify(result.echo.binary) === '[0,255,16]' && result.echo.closeCode === 4000;
  if (!result.ok) result.error = 'echo mismatch';
});
