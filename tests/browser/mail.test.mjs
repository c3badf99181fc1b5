// The account's life by mail, end to end in headless Chromium against the real binary: the
// verification link mailed at sign-up, a forgotten password reset through the mailed link, and
// `require_verified_email`'s "check your mail" page. The links come from the app's outbox.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launchBrowser, outputDir, startApp, waitForMail } from './harness.mjs';

const CHROME_LINUX =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const EMAIL = 'ann@example.com';
const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new passphrase';

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

async function signUp(page, app) {
  await page.goto(`${app.url}/register`);
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Name').fill('Ann');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(`${app.url}/`);
}

async function signIn(page, password) {
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('verify by the mailed link, then forget the password and reset it by mail', { timeout: 90_000 }, async () => {
  const app = await startApp();
  const context = await browser.newContext({ userAgent: CHROME_LINUX });
  try {
    const page = await context.newPage();
    await signUp(page, app);
    assert.match(await page.locator('.flash').textContent(), /We sent a link to ann@example\.com/);
    assert.match(await page.locator('.facts').textContent(), /not verified yet/);

    // The verification mail: in the outbox, its link in the log too, starting with public_url.
    const verify = await waitForMail(app, EMAIL, /Confirm your email address/);
    assert.ok(verify.link.startsWith(`${app.url}/verify-email?token=`), verify.link);
    assert.ok(app.output().includes(verify.link), 'the link is printed in the log');
    // The link opens a page and changes nothing (a mail scanner following it spends nothing);
    // its button confirms.
    await page.goto(verify.link);
    assert.equal(await page.locator('h1').textContent(), 'Confirm your email address');
    await page.reload();
    await page.getByRole('button', { name: 'Confirm my address' }).click();
    await page.waitForURL(`${app.url}/`);
    assert.equal(await page.locator('.flash').textContent(), 'Your email address is confirmed.');
    assert.doesNotMatch(await page.locator('.facts').textContent(), /not verified/);

    // The account page, from the navigation.
    await page.getByRole('link', { name: 'Account', exact: true }).click();
    await page.waitForURL(`${app.url}/account`);
    assert.equal(await page.locator('h1').textContent(), 'Your account');
    await page.screenshot({ path: path.join(outputDir, 'account.png'), fullPage: true });

    // Signed out, the password forgotten.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${app.url}/login`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.waitForURL(`${app.url}/forgot-password`);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByRole('button', { name: 'Send me a link' }).click();
    assert.equal(await page.locator('h1').textContent(), 'Check your mail');

    const reset = await waitForMail(app, EMAIL, /Reset your password/);
    assert.ok(reset.link.startsWith(`${app.url}/reset-password?token=`), reset.link);
    await page.goto(reset.link);
    assert.equal(await page.locator('h1').textContent(), 'Choose a new password');
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.waitForURL(`${app.url}/login`);
    assert.match(await page.locator('.flash').textContent(), /Your password is changed/);

    // The link is spent; the old password is refused; the new one signs in.
    const again = await page.goto(reset.link);
    assert.equal(again.status(), 400);
    await page.goto(`${app.url}/login`);
    await signIn(page, PASSWORD);
    assert.match(await page.locator('.alert').textContent(), /incorrect/);
    await signIn(page, NEW_PASSWORD);
    await page.waitForURL(`${app.url}/`);
    assert.equal(await page.locator('h1').textContent(), 'Hello, Ann');
  } finally {
    await context.close();
    await app.stop();
  }
});

test('with require_verified_email, pages say to check the mail until the link is followed', { timeout: 60_000 }, async () => {
  const app = await startApp({ env: { ROCKET_REQUIRE_VERIFIED_EMAIL: 'true' } });
  const context = await browser.newContext({ userAgent: CHROME_LINUX });
  try {
    const page = await context.newPage();
    await signUp(page, app);
    assert.equal(await page.locator('h1').textContent(), 'Check your mail');
    assert.match(await page.locator('main').textContent(), /ann@example\.com/);
    await page.screenshot({ path: path.join(outputDir, 'check-email.png'), fullPage: true });
    await waitForMail(app, EMAIL, /Confirm your email address/);

    await page.getByRole('button', { name: 'Send the link again' }).click();
    await page.waitForURL(`${app.url}/verify-email`);
    assert.equal(await page.locator('.flash').textContent(), 'We sent a new link to ann@example.com.');
    // Only the newest link works.
    let mails = [];
    for (let i = 0; i < 100 && mails.length < 2; i += 1) {
      mails = app.mails().filter((m) => /Confirm your email/.test(m.subject));
      await page.waitForTimeout(100);
    }
    assert.equal(mails.length, 2);
    assert.equal((await page.goto(mails[0].link)).status(), 400);
    await page.goto(mails[1].link);
    await page.getByRole('button', { name: 'Confirm my address' }).click();
    await page.waitForURL(`${app.url}/`);
    assert.equal(await page.locator('h1').textContent(), 'Hello, Ann');
  } finally {
    await context.close();
    await app.stop();
  }
});
