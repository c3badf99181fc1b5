// What the JS client's browser tests (js-client.*.test.mjs) share: the real app and headless
// Chromium (harness.mjs), a page holding an AuthClient, and requests counted where they land, in
// the server's own request log, never in the page.

import assert from 'node:assert/strict';

import { launchBrowser, startApp } from './harness.mjs';

export const PASSWORD = 'correct horse battery staple';
export const WAIT_MS = 10_000; // upper bound of every wait below
export const TEST_TIMEOUT = { timeout: 90_000 };

/** How many `METHOD /path` requests the server logged (Rocket's request line, log level normal). */
export function served(text, method, path) {
  const escaped = path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return text.match(new RegExp(`^${method} ${escaped}(?=[ :])`, 'gm'))?.length ?? 0;
}

/**
 * A position in the server log after everything already answered has been read: the server
 * writes a request's line before answering, but the pipe is read asynchronously, so wait until
 * the output has been still for a moment (bounded).
 */
export async function logMark(app) {
  const deadline = Date.now() + WAIT_MS;
  let length = app.output().length;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const now = app.output().length;
    if (now === length || Date.now() > deadline) return now;
    length = now;
  }
}

/** The server log from `mark` on. */
export const since = (app, mark) => app.output().slice(mark);

export async function until(what, condition) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function jwtPayload(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

export async function register(app, email) {
  const response = await fetch(`${app.url}/api/auth/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  const text = await response.text();
  assert.equal(response.status, 201, text);
  // Registering signed in a session of its own; end it, so each test counts only its devices.
  const { access_token: token } = JSON.parse(text);
  const logout = await fetch(`${app.url}/api/auth/logout`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
  });
  assert.equal(logout.status, 204);
}

/**
 * A page on the app's origin holding `window.client`, an AuthClient, plus `window.logouts` (what
 * onLogout received) and `window.events`. The page is the module file itself: a same-origin
 * document that runs no script of its own (the demo page would start a second client).
 */
export async function clientPage(context, app, { defaultOnLogout = false, options = {} } = {}) {
  const page = await context.newPage();
  await page.goto(`${app.url}/static/js/auth-client.js`);
  await page.evaluate(async ([useDefault, clientOptions]) => {
    const { AuthClient } = await import('/static/js/auth-client.js');
    window.logouts = [];
    window.events = [];
    const onLogout = (reason, error) => window.logouts.push({ reason, code: error.code });
    window.client = new AuthClient(useDefault ? clientOptions : { ...clientOptions, onLogout });
    for (const type of ['login', 'logout', 'refresh']) {
      window.client.on(type, (e) => window.events.push({ type, ...e.detail, error: undefined }));
    }
  }, [defaultOnLogout, options]);
  return page;
}

export const login = (page, email) =>
  page.evaluate(([e, p]) => window.client.login(e, p).then((r) => r.session.id), [email, PASSWORD]);

/** Waits (bounded) until the server refuses `token` as expired, proving it really is. */
export async function waitUntilExpired(app, token) {
  const { exp } = jwtPayload(token);
  // The server allows no leeway: a token is refused once the clock passes `exp`.
  const wait = (exp + 1) * 1000 + 200 - Date.now();
  assert.ok(wait < WAIT_MS, `token lives too long for this test (${wait} ms)`);
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  const response = await fetch(`${app.url}/api/auth/claims`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  assert.equal(response.status, 401);
  assert.equal((await response.json()).error.code, 'token_expired');
}

export async function withApp(env, body) {
  const app = await startApp({ env });
  const browser = await launchBrowser();
  try {
    await body(app, browser);
  } finally {
    await browser.close();
    await app.stop();
  }
}
