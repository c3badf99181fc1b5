// The demo page (static/demo/) in headless Chromium against the real app: the JS client as a
// page uses it.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { outputDir } from './harness.mjs';
import { PASSWORD, WAIT_MS, TEST_TIMEOUT, clientPage, login, withApp } from './client-page.mjs';

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
