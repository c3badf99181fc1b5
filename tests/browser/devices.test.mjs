// End to end in headless Chromium: sign up, sign in, see every device, revoke the other one, and
// watch that other browser land on the sign-in page at its next navigation.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launchBrowser, outputDir, startApp } from './harness.mjs';

const CHROME_LINUX =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ' +
  'Version/17.0 Mobile/15E148 Safari/604.1';
const EMAIL = 'ann@example.com';
const PASSWORD = 'correct horse battery';

let app;
let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

async function signIn(page, url) {
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(url);
}

test('two browsers, two devices; revoking one sends it to sign in', { timeout: 90_000 }, async () => {
  app = await startApp();
  const laptop = await browser.newContext({ userAgent: CHROME_LINUX, viewport: { width: 1000, height: 720 } });
  const phone = await browser.newContext({ userAgent: IPHONE, viewport: { width: 1000, height: 720 } });
  try {
    const a = await laptop.newPage();
    const b = await phone.newPage();

    // Sign up: straight to the home page, signed in.
    await a.goto(`${app.url}/register`);
    await a.getByLabel('Email').fill(EMAIL);
    await a.getByLabel('Name').fill('Ann');
    await a.getByLabel('Password').fill(PASSWORD);
    await a.getByRole('button', { name: 'Create account' }).click();
    await a.waitForURL(`${app.url}/`);
    assert.equal(await a.locator('h1').textContent(), 'Hello, Ann');
    assert.match(await a.locator('.flash').textContent(), /Welcome!/);

    // Sign out, then sign in with the form.
    await a.getByRole('button', { name: 'Sign out' }).click();
    await a.waitForURL(`${app.url}/login`);
    assert.equal(await a.locator('.flash').textContent(), 'Signed out.');
    await signIn(a, `${app.url}/`);
    const cookies = Object.fromEntries((await laptop.cookies()).map((c) => [c.name, c]));
    assert.ok(cookies.access_token.httpOnly && cookies.refresh_token.httpOnly);
    assert.equal(cookies.csrf_token.httpOnly, false);

    await a.getByRole('link', { name: 'Your devices' }).first().click();
    await a.waitForURL(`${app.url}/sessions`);
    assert.equal(await a.locator('li.device').count(), 1);

    // The phone asks for the devices page, signs in, and is sent back there.
    await b.goto(`${app.url}/sessions`);
    assert.equal(b.url(), `${app.url}/login?next=/sessions`);
    await signIn(b, `${app.url}/sessions`);
    assert.equal(await b.locator('li.device').count(), 2);
    assert.match(await b.locator('li.device').first().textContent(), /Safari.*on iPhone/s);

    // The laptop sees both, itself first and marked.
    await a.reload();
    const rows = a.locator('li.device');
    assert.equal(await rows.count(), 2);
    const first = rows.nth(0);
    const second = rows.nth(1);
    assert.match(await first.textContent(), /Chrome.*on Linux/s);
    assert.match(await first.locator('.badge').textContent(), /This device/);
    assert.match(await second.textContent(), /Safari.*on iPhone/s);
    assert.match(await second.textContent(), /Smartphone/);
    assert.equal(await second.locator('.badge').count(), 0);
    const lastUsed = second.locator('time').first();
    assert.equal(await lastUsed.textContent(), 'just now');
    assert.match(await lastUsed.getAttribute('title'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    await a.screenshot({ path: path.join(outputDir, 'devices.png'), fullPage: true });

    // Revoke the phone: confirm, then the flash names it.
    await second.getByRole('link', { name: 'Revoke' }).click();
    await a.waitForURL(/\/sessions\/[0-9a-f]+\/revoke$/);
    assert.match(await a.locator('h1').textContent(), /Revoke this device\?/);
    await a.screenshot({ path: path.join(outputDir, 'revoke.png'), fullPage: true });
    await a.getByRole('button', { name: 'Revoke' }).click();
    await a.waitForURL(`${app.url}/sessions`);
    assert.equal(await a.locator('.flash').textContent(), 'Signed out from Safari on iPhone.');
    assert.equal(await a.locator('li.device').count(), 1);

    // The phone's next navigation lands on the sign-in page, its session cookies gone.
    await b.getByRole('link', { name: 'Home' }).click();
    await b.waitForURL(`${app.url}/login`);
    assert.equal(await b.locator('h1').textContent(), 'Sign in');
    const left = (await phone.cookies()).map((c) => c.name);
    assert.ok(!left.includes('access_token') && !left.includes('refresh_token'), String(left));
  } finally {
    await laptop.close();
    await phone.close();
    await app.stop();
  }
});

test('an expired access cookie is renewed silently on navigation', { timeout: 60_000 }, async () => {
  app = await startApp({ env: { ROCKET_ACCESS_TOKEN_TTL: '1' } });
  const context = await browser.newContext({ userAgent: CHROME_LINUX });
  try {
    const page = await context.newPage();
    await page.goto(`${app.url}/register`);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${app.url}/`);
    const before = Object.fromEntries((await context.cookies()).map((c) => [c.name, c.value]));

    await page.waitForTimeout(2_100); // the access cookie (max-age 1 s) is gone by now
    const response = await page.goto(`${app.url}/sessions`);
    assert.equal(response.status(), 200);
    assert.equal(page.url(), `${app.url}/sessions`, 'served, not sent to sign in');
    const afterwards = Object.fromEntries((await context.cookies()).map((c) => [c.name, c.value]));
    assert.ok(afterwards.access_token, 'a new access cookie');
    assert.notEqual(afterwards.refresh_token, before.refresh_token, 'the refresh token rotated');
    // One request for the page: no redirect dance through /login or /auth/refresh.
    const log = app.output();
    assert.equal(log.match(/^\s*GET \/sessions /gm)?.length, 1, log);
    assert.doesNotMatch(log, /^\s*GET \/(login|auth\/refresh)/m);
  } finally {
    await context.close();
    await app.stop();
  }
});
