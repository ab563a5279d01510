// What the browser checks share: Debian's Chromium (/usr/bin/chromium, or
// CHROMIUM_PATH) launched headless through playwright-core with a fresh
// profile and no background traffic, a page that records its console, and
// the closing JSON line.
//
// CHROMIUM_TRUST_SPKI, for the HTTPS and wss:// runs: base64 SHA-256
// hashes of public keys (SubjectPublicKeyInfo), comma-separated, whose
// certificates Chromium accepts though no CA it knows signed them
// (--ignore-certificate-errors-spki-list). Any other certificate stays an
// error. Unset, the launch is the same as before.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const trustSPKI = process.env.CHROMIUM_TRUST_SPKI || '';
const started = Date.now();
let userDataDir = null; // made by launch

// launch opens Chromium and its first page; console lines go to
// result.console (at most 50).
export async function launch(result) {
  userDataDir = mkdtempSync(join(tmpdir(), 'gnetworker-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    timeout: 15000,
    viewport: { width: 900, height: 600 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ...(trustSPKI ? [`--ignore-certificate-errors-spki-list=${trustSPKI}`] : []),
    ],
  });
  const page = context.pages()[0] || await context.newPage();
  page.on('console', (m) => { if (result.console.length < 50) result.console.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => { result.console.push(`pageerror: ${e.message}`); });
  return { context, page };
}

// connection describes how page's document came: the HTTP version
// Chromium used (nextHopProtocol: "http/1.1", "h2") and, over TLS, what
// Playwright reports of it ({protocol: "TLS 1.3", subjectName, issuer,
// ...}; null over plain HTTP).
export async function connection(page, response) {
  // Playwright's securityDetails() may be {} rather than null over HTTP.
  const details = response ? await response.securityDetails() : null;
  return {
    nextHopProtocol: await page.evaluate(() => performance.getEntriesByType('navigation')[0]?.nextHopProtocol ?? null),
    tls: details && details.protocol ? details : null,
  };
}

// finish prints result as one JSON line and removes the profile.
export function finish(result, code) {
  result.elapsedMs = Date.now() - started;
  process.stdout.write(JSON.stringify(result) + '\n');
  if (userDataDir) {
    try { rmSync(userDataDir, { recursive: true, force: true }); } catch { /* best effort */ }
  }
  process.exitCode = code;
}

// hardLimit reports and exits should Chromium hang in launch or close.
export function hardLimit(result, ms) {
  const t = setTimeout(() => {
    result.error = `hard limit of ${ms} ms reached`;
    finish(result, 1);
    process.exit(1);
  }, ms);
  t.unref();
  return t;
}

// run launches Chromium, runs check on its page, records a thrown error,
// saves a screenshot when asked, closes the browser and prints the result
// (exit status 0 when result.ok), all within hardMs.
export async function run(result, hardMs, screenshot, check) {
  const hard = hardLimit(result, hardMs);
  let context;
  try {
    let page;
    ({ context, page } = await launch(result));
    await check(page);
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
  finish(result, result.ok ? 0 : 1);
}
