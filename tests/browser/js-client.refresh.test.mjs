// The JS client in headless Chromium against the real app, refreshing: ten concurrent calls with
// an expired token make one refresh, two tabs share one, body mode, the proactive refresh.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  WAIT_MS, TEST_TIMEOUT, served, logMark, since, until, register, clientPage, login,
  waitUntilExpired, withApp
} from './client-page.mjs';

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
