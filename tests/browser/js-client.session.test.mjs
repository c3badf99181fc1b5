// The JS client in headless Chromium against the real app: what ends a session and what does
// not, which answers never lead to a refresh, and where the tokens are (not) kept.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  PASSWORD, WAIT_MS, TEST_TIMEOUT, served, logMark, since, until, register, clientPage, login,
  withApp
} from './client-page.mjs';

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

test('a wrong current password on the password change is answered as is: no refresh, still signed in', TEST_TIMEOUT, () =>
  withApp({}, async (app, browser) => {
    await register(app, 'change@example.com');
    const page = await clientPage(await browser.newContext(), app);
    await login(page, 'change@example.com');

    const mark = await logMark(app);
    const outcome = await page.evaluate(async (password) => {
      const change = (current) =>
        window.client.fetch('/api/auth/password', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ current_password: current, new_password: 'a brand new passphrase' }),
        });
      const wrong = await change('not the password');
      const code = (await wrong.json()).error.code;
      const right = await change(password);
      return {
        wrong: [wrong.status, code],
        right: right.status,
        signedIn: window.client.isAuthenticated,
        events: window.events.map((e) => e.type),
        logouts: window.logouts,
      };
    }, PASSWORD);
    assert.deepEqual(outcome, {
      wrong: [401, 'invalid_credentials'],
      right: 204,
      signedIn: true,
      events: ['login'],
      logouts: [],
    });
    const log = await until('both password changes in the log', () => {
      const text = since(app, mark);
      return served(text, 'POST', '/api/auth/password') >= 2 && text;
    });
    assert.equal(served(log, 'POST', '/api/auth/password'), 2, log);
    assert.equal(served(log, 'POST', '/api/auth/refresh'), 0, log);
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
