// The JS client (static/js/auth-client.js) in headless Chromium against the real app: requests
// are counted where they land, in the server's own request log, never in the page.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { launchBrowser, outputDir, startApp } from './harness.mjs';

const PASSWORD = 'correct horse battery staple';
const WAIT_MS = 10_000; // upper bound of every wait below
const TEST_TIMEOUT = { timeout: 90_000 };

/** How many `METHOD /path` requests the server logged (Rocket's request line, log level normal). */
function served(text, method, path) {
  const escaped = path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return text.match(new RegExp(`^${method} ${escaped}(?=[ :])`, 'gm'))?.length ?? 0;
}

/**
 * A position in the server log after everything already answered has been read: the server
 * writes a request's line before answering, but the pipe is read asynchronously, so wait until
 * the output has been still for a moment (bounded).
 */
async function logMark(app) {
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
const since = (app, mark) => app.output().slice(mark);

async function until(what, condition) {
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

async function register(app, email) {
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
async function clientPage(context, app, { defaultOnLogout = false, options = {} } = {}) {
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

const login = (page, email) =>
  page.evaluate(([e, p]) => window.client.login(e, p).then((r) => r.session.id), [email, PASSWORD]);

/** Waits (bounded) until the server refuses `token` as expired, proving it really is. */
async function waitUntilExpired(app, token) {
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

async function withApp(env, body) {
  const app = await startApp({ env });
  const browser = await launchBrowser();
  try {
    await body(app, browser);
  } finally {
    await browser.close();
    await app.stop();
  }
}

test('ten concurrent calls with an expired token: one refresh on the server, all ten succeed', TEST_TIMEOUT, (t) =>
  withApp({ ROCKET_ACCESS_TOKEN_TTL: '4' }, async (app, browser) => {
    await register(app, 'burst@example.com');
    const page = await clientPage(await browser.newContext(), app);
    await login(page, 'burst@example.com');
    const expired = await page.evaluate(() => window.client.accessToken);
    await waitUntilExpired(app, expired);

    const mark = await logMark(app);
    const results = await page.evaluate(() =>
      Promise.allSettled(Array.from({ length: 10 }, () => window.client.me())).then((all) =>
        all.map((r) => (r.status === 'fulfilled' ? r.value.email : `rejected: ${r.reason}`)),
      ),
    );
    assert.deepEqual(results, Array(10).fill('burst@example.com'));

    // Each call: a first attempt refused as expired, then one retry with the new token.
    const log = await until('20 /me requests in the server log', () => {
      const text = since(app, mark);
      return served(text, 'GET', '/api/auth/me') >= 20 && text;
    });
    assert.equal(served(log, 'GET', '/api/auth/me'), 20, log);
    assert.equal(log.match(/failed: TokenExpired/g)?.length, 10, log);
    assert.equal(served(log, 'POST', '/api/auth/refresh'), 1, log);
    t.diagnostic(`server log: ${served(log, 'GET', '/api/auth/me')} GET /api/auth/me, ${served(log, 'POST', '/api/auth/refresh')} POST /api/auth/refresh`);
    const state = await page.evaluate(() => ({
      token: window.client.accessToken,
      refreshes: window.events.filter((e) => e.type === 'refresh').length,
      logouts: window.logouts.length,
    }));
    assert.notEqual(state.token, expired);
    assert.equal(state.refreshes, 1);
    assert.equal(state.logouts, 0);
  }),
);

test('a session revoked from another device: the client refreshes once, fails, calls onLogout', TEST_TIMEOUT, () =>
  withApp({}, async (app, browser) => {
    await register(app, 'revoked@example.com');
    const laptopContext = await browser.newContext();
    const laptop = await clientPage(laptopContext, app);
    const laptopSession = await login(laptop, 'revoked@example.com');
    const phone = await clientPage(await browser.newContext(), app);
    await login(phone, 'revoked@example.com');

    const seen = await phone.evaluate(() => window.client.sessions());
    assert.equal(seen.length, 2);
    assert.ok(seen.some((s) => s.id === laptopSession && !s.current));
    await phone.evaluate((id) => window.client.revoke(id), laptopSession);

    const mark = await logMark(app);
    const outcome = await laptop.evaluate(() =>
      Promise.allSettled([window.client.me(), window.client.sessions(), window.client.me()]).then(
        (all) => ({
          codes: all.map((r) => (r.status === 'rejected' ? r.reason.code : 'fulfilled')),
          logouts: window.logouts,
          signedIn: window.client.isAuthenticated,
          events: window.events.filter((e) => e.type === 'logout'),
        }),
      ),
    );
    assert.deepEqual(outcome.codes, Array(3).fill('invalid_refresh_token'));
    assert.deepEqual(outcome.logouts, [{ reason: 'session_ended', code: 'invalid_refresh_token' }]);
    assert.equal(outcome.signedIn, false);
    assert.deepEqual(outcome.events.map((e) => e.reason), ['session_ended']);
    const log = await until('the refresh in the server log', () => {
      const text = since(app, mark);
      return served(text, 'POST', '/api/auth/refresh') >= 1 && text;
    });
    assert.equal(served(log, 'POST', '/api/auth/refresh'), 1);
    // The refusal cleared the refresh cookie; the other device is untouched.
    const cookies = await laptopContext.cookies(app.url);
    assert.ok(!cookies.some((c) => c.name === 'refresh_token'));
    const phoneUser = await phone.evaluate(() => window.client.me());
    assert.equal(phoneUser.email, 'revoked@example.com');
  }),
);

test('by default a lost session goes to /login?next=<current path>', TEST_TIMEOUT, () =>
  withApp({}, async (app, browser) => {
    await register(app, 'default-hook@example.com');
    const page = await clientPage(await browser.newContext(), app, { defaultOnLogout: true });
    await login(page, 'default-hook@example.com');
    const other = await clientPage(await browser.newContext(), app);
    await login(other, 'default-hook@example.com');
    assert.equal(await other.evaluate(() => window.client.revokeOthers()), 1);

    await page.evaluate(() => {
      window.client.me().catch(() => {});
    });
    await page.waitForURL(`${app.url}/login?next=%2Fstatic%2Fjs%2Fauth-client.js`, { timeout: WAIT_MS });
  }),
);

test('auth endpoints are never retried and never trigger a refresh', TEST_TIMEOUT, () =>
  withApp({}, async (app, browser) => {
    await register(app, 'endpoints@example.com');
    const page = await clientPage(await browser.newContext(), app);

    let mark = await logMark(app);
    const failed = await page.evaluate(() =>
      window.client.login('endpoints@example.com', 'not the password').catch((e) => e.code),
    );
    assert.equal(failed, 'invalid_credentials');
    const taken = await page.evaluate(([e, p]) =>
      window.client.register({ email: e, password: p }).catch((err) => err.code),
    ['endpoints@example.com', PASSWORD]);
    assert.equal(taken, 'email_taken');
    let log = await until('login and register in the log', () => {
      const text = since(app, mark);
      return served(text, 'POST', '/api/auth/register') >= 1 && text;
    });
    assert.equal(served(log, 'POST', '/api/auth/login'), 1);
    assert.equal(served(log, 'POST', '/api/auth/register'), 1);
    assert.equal(served(log, 'POST', '/api/auth/refresh'), 0);

    // Signed in, then signed out behind the client's back: its refresh now answers 401.
    await login(page, 'endpoints@example.com');
    const status = await page.evaluate(() =>
      fetch('/api/auth/logout', {
        method: 'POST',
        headers: { Authorization: `Bearer ${window.client.accessToken}` },
      }).then((r) => r.status),
    );
    assert.equal(status, 204);
    mark = await logMark(app);
    const statuses = await page.evaluate(async () => {
      const refresh = await window.client.fetch('/api/auth/refresh', { method: 'POST' });
      await window.client.logout(); // clears the client's state
      const logout = await window.client.fetch('/api/auth/logout', { method: 'POST' });
      return [refresh.status, logout.status];
    });
    assert.deepEqual(statuses, [401, 401]);
    log = await until('refresh and both logouts in the log', () => {
      const text = since(app, mark);
      return served(text, 'POST', '/api/auth/logout') >= 2 && text;
    });
    assert.equal(served(log, 'POST', '/api/auth/refresh'), 1, log);
    assert.equal(served(log, 'POST', '/api/auth/logout'), 2, log);
    assert.deepEqual(await page.evaluate(() => window.logouts), []);
  }),
);

test('no token in localStorage, sessionStorage, IndexedDB or document.cookie: only the CSRF token', TEST_TIMEOUT, () =>
  withApp({}, async (app, browser) => {
    await register(app, 'storage@example.com');
    const context = await browser.newContext();
    const page = await clientPage(context, app);
    await login(page, 'storage@example.com');
    const seen = await page.evaluate(async () => {
      const token = window.client.accessToken;
      await window.client.refresh();
      await window.client.me();
      const fresh = window.client.accessToken;
      const stored = [];
      for (const storage of [localStorage, sessionStorage]) {
        for (let i = 0; i < storage.length; i += 1) stored.push(storage.getItem(storage.key(i)));
      }
      return {
        changed: fresh !== token,
        stored,
        databases: (await indexedDB.databases()).length,
        cookieNames: document.cookie.split(';').map((c) => c.trim().split('=')[0]),
        cookieHasToken: [token, fresh].some((t) => document.cookie.includes(t)),
      };
    });
    assert.ok(seen.changed, 'the refresh rotated the access token');
    assert.deepEqual(seen.stored, []);
    assert.equal(seen.databases, 0);
    assert.deepEqual(seen.cookieNames, ['csrf_token']);
    assert.equal(seen.cookieHasToken, false);
    // The refresh token does exist, out of scripts' reach.
    const refresh = (await context.cookies(app.url)).find((c) => c.name === 'refresh_token');
    assert.ok(refresh, 'the refresh cookie is set');
    assert.equal(refresh.httpOnly, true);
  }),
);

test('tabs share one refresh: the new token is broadcast, a burst in two tabs stays harmless', TEST_TIMEOUT, (t) =>
  withApp({ ROCKET_ACCESS_TOKEN_TTL: '4' }, async (app, browser) => {
    await register(app, 'tabs@example.com');
    const context = await browser.newContext();
    const first = await clientPage(context, app);
    const second = await clientPage(context, app);
    await login(first, 'tabs@example.com');
    // The second tab adopts the login of the first without a request of its own.
    await second.waitForFunction(() => window.client.isAuthenticated, null, { timeout: WAIT_MS });
    assert.equal(
      await second.evaluate(() => window.client.accessToken),
      await first.evaluate(() => window.client.accessToken),
    );

    let mark = await logMark(app);
    await first.evaluate(() => window.client.refresh());
    const shared = await first.evaluate(() => window.client.accessToken);
    await second.waitForFunction((t) => window.client.accessToken === t, shared, { timeout: WAIT_MS });
    assert.equal((await second.evaluate(() => window.client.me())).email, 'tabs@example.com');
    let log = await until('the second tab\'s /me in the log', () => {
      const text = since(app, mark);
      return served(text, 'GET', '/api/auth/me') >= 1 && text;
    });
    assert.equal(served(log, 'POST', '/api/auth/refresh'), 1, 'the second tab did not refresh');

    await waitUntilExpired(app, shared);
    mark = await logMark(app);
    const burst = (page) =>
      page.evaluate(() =>
        Promise.allSettled(Array.from({ length: 10 }, () => window.client.me())).then((all) =>
          all.filter((r) => r.status === 'fulfilled').length,
        ),
      );
    assert.deepEqual(await Promise.all([burst(first), burst(second)]), [10, 10]);
    log = await until('40 /me requests in the log', () => {
      const text = since(app, mark);
      return served(text, 'GET', '/api/auth/me') >= 40 && text;
    });
    // One refresh per tab at most; with the lock and the broadcast usually one in all.
    const refreshes = served(log, 'POST', '/api/auth/refresh');
    assert.ok(refreshes >= 1 && refreshes <= 2, `${refreshes} refreshes`);
    t.diagnostic(`two tabs, 20 calls: the server logged ${refreshes} refresh(es)`);
    assert.doesNotMatch(log, /reuse/);
    // Both tabs end on the same live token, and nobody was signed out.
    const tokens = await Promise.all([first, second].map((p) => p.evaluate(() => window.client.accessToken)));
    assert.equal(tokens[0], tokens[1]);
    assert.equal((await first.evaluate(() => window.client.me())).email, 'tabs@example.com');
    for (const page of [first, second]) assert.deepEqual(await page.evaluate(() => window.logouts), []);
  }),
);

test('body mode: the refresh token travels in the JSON body, never in a cookie or web storage', TEST_TIMEOUT, () =>
  withApp({ ROCKET_ACCESS_TOKEN_TTL: '3', ROCKET_REFRESH_TOKEN_AS_COOKIE: 'false' }, async (app, browser) => {
    await register(app, 'body@example.com');
    const context = await browser.newContext();
    const page = await clientPage(context, app, { options: { mode: 'body' } });
    await login(page, 'body@example.com');
    const expired = await page.evaluate(() => window.client.accessToken);
    await waitUntilExpired(app, expired);

    const mark = await logMark(app);
    const refreshBodies = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/api/auth/refresh')) refreshBodies.push(r.postData());
    });
    const emails = await page.evaluate(() =>
      Promise.all(Array.from({ length: 5 }, () => window.client.me().then((u) => u.email))),
    );
    assert.deepEqual(emails, Array(5).fill('body@example.com'));
    const log = await until('10 /me requests in the log', () => {
      const text = since(app, mark);
      return served(text, 'GET', '/api/auth/me') >= 10 && text;
    });
    assert.equal(served(log, 'POST', '/api/auth/refresh'), 1, log);
    assert.equal(refreshBodies.length, 1);
    assert.ok(JSON.parse(refreshBodies[0]).refresh_token, 'the refresh token is in the body');
    const names = (await context.cookies(app.url)).map((c) => c.name);
    assert.deepEqual(names, ['csrf_token']);
    assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length]), [0, 0]);
  }),
);

test('proactive refresh before expiry: the next call is never refused as expired', TEST_TIMEOUT, () =>
  withApp({ ROCKET_ACCESS_TOKEN_TTL: '3' }, async (app, browser) => {
    await register(app, 'ahead@example.com');
    const page = await clientPage(await browser.newContext(), app, { options: { refreshAhead: 1 } });
    await login(page, 'ahead@example.com');
    const first = await page.evaluate(() => window.client.accessToken);
    await page.waitForFunction(() => window.events.some((e) => e.type === 'refresh'), null, {
      timeout: WAIT_MS,
    });
    await waitUntilExpired(app, first); // the login's token is dead by now
    const mark = await logMark(app);
    assert.equal((await page.evaluate(() => window.client.me())).email, 'ahead@example.com');
    const log = await until('the /me in the log', () => {
      const text = since(app, mark);
      return served(text, 'GET', '/api/auth/me') >= 1 && text;
    });
    assert.equal(served(log, 'GET', '/api/auth/me'), 1, log);
    assert.doesNotMatch(log, /TokenExpired/);
    await page.evaluate(() => window.client.close());
  }),
);

test('demo page: sign in through the client, call /me, live devices table, sign out others, reload', TEST_TIMEOUT, () =>
  withApp({}, async (app, browser) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${app.url}/static/demo/`);
    await page.waitForSelector('#signin:not([hidden])', { timeout: WAIT_MS });
    await page.fill('#email', 'demo@example.com');
    await page.fill('#password', PASSWORD);
    await page.click('#register-button');
    await page.waitForSelector('#account:not([hidden])', { timeout: WAIT_MS });
    assert.equal(await page.textContent('#status'), 'Signed in as demo@example.com');
    await page.waitForSelector('#sessions tbody tr.current', { timeout: WAIT_MS });

    await page.click('#call-me');
    await page.waitForFunction(() => document.querySelector('#me-output').textContent.includes('{'), null, {
      timeout: WAIT_MS,
    });
    assert.equal(JSON.parse(await page.textContent('#me-output')).email, 'demo@example.com');

    // Another device signs in: the table picks it up on its own.
    const other = await clientPage(await browser.newContext(), app);
    await login(other, 'demo@example.com');
    await page.waitForFunction(() => document.querySelectorAll('#sessions tbody tr').length === 2, null, {
      timeout: WAIT_MS,
    });
    await page.screenshot({ path: `${outputDir}/js-client-demo.png`, fullPage: true });
    await page.click('#revoke-others');
    await page.waitForFunction(() => document.querySelectorAll('#sessions tbody tr').length === 1, null, {
      timeout: WAIT_MS,
    });
    const otherOutcome = await other.evaluate(() =>
      window.client.me().then(() => 'still in', (e) => e.code),
    );
    assert.equal(otherOutcome, 'invalid_refresh_token');
    assert.equal((await other.evaluate(() => window.logouts)).length, 1);

    // A reload loses the in-memory token; the page resumes from the refresh cookie.
    await page.reload();
    await page.waitForSelector('#account:not([hidden])', { timeout: WAIT_MS });
    assert.equal(await page.textContent('#status'), 'Signed in as demo@example.com');
    assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length]), [0, 0]);

    await page.click('#logout');
    await page.waitForSelector('#signin:not([hidden])', { timeout: WAIT_MS });
    await page.reload();
    await page.waitForSelector('#signin:not([hidden])', { timeout: WAIT_MS });
    assert.equal(await page.textContent('#status'), 'Signed out');
    assert.deepEqual(errors, []);
  }),
);
