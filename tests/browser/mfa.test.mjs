// Two-factor sign-in end to end in headless Chromium against the real binary: enrol on the
// account page (the manual key read from the page, the code computed here with RFC 6238), sign
// out, sign in through the second step, and see "MFA" on the devices page. No CSP violation on
// the way (the QR code is an inline <svg>, no image from elsewhere).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startApp, verifyAddress } from './harness.mjs';
import { totp } from './totp.mjs';

const CHROME_LINUX =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const EMAIL = 'ann@example.com';
const PASSWORD = 'correct horse battery';

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

test('enrol on the account page, sign out, sign in with the second step, see MFA on the devices page', { timeout: 90_000 }, async () => {
  const app = await startApp();
  const context = await browser.newContext({ userAgent: CHROME_LINUX });
  const violations = [];
  try {
    const page = await context.newPage();
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${app.url}/register`);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Name').fill('Ann');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${app.url}/`);
    // Two-factor sign-in guards a proved address only.
    await verifyAddress(app, page, EMAIL);

    await page.goto(`${app.url}/account`);
    const panel = page.locator('#mfa');
    await panel.getByLabel('Your password').fill(PASSWORD);
    await panel.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    // Back on the account page (at #mfa), now with the QR code.
    await panel.locator('.mfa-qr svg').waitFor();
    const secret = (await panel.locator('.mfa-secret').textContent()).trim();
    const step = Math.floor(Date.now() / 1000 / 30);
    await panel.getByLabel('Code').fill(totp(secret, step));
    await panel.getByRole('button', { name: 'Turn two-factor sign-in on' }).click();
    await page.waitForURL(`${app.url}/account/mfa/confirm`);
    assert.equal(await page.locator('.recovery-codes li').count(), 10);
    const download = page.getByRole('link', { name: 'Download as text' });
    assert.match(await download.getAttribute('href'), /^data:text\/plain;charset=utf-8,Recovery%20codes/);

    await page.goto(`${app.url}/sessions`);
    await page.getByRole('button', { name: 'Sign out', exact: true }).first().click();
    await page.waitForURL(/\/login/);

    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/login\/mfa/);
    // The confirming code spent `step`; the next step's code is within the ±1 window.
    await page.getByLabel('Code').fill(totp(secret, step + 1));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${app.url}/`);

    await page.goto(`${app.url}/sessions`);
    const current = page.locator('.device-current');
    assert.match(await current.textContent(), /MFA/);
    assert.deepEqual(violations, []);
  } finally {
    await context.close();
    await app.stop();
  }
});
