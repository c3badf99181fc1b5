// End to end in headless Chromium at a phone's width (390 px): an admin made from the shell
// finds a user in the admin console, signs one of their devices out after confirming, and reads
// the audit log; the user's browser lands on the sign-in page. No CSP violation, nothing wider
// than the screen.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, outputDir, startApp, DATA_KEY } from './harness.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ' +
  'Version/17.0 Mobile/15E148 Safari/604.1';
const PASSWORD = 'correct horse battery';
const PHONE = { width: 390, height: 844 };

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** `create-user --role admin` on the app's database, as an operator would. */
function createAdmin(app, email) {
  const bin = process.env.APP_BIN || path.join(repoRoot, 'target', 'debug', 'rocket-auth-template');
  execFileSync(bin, ['create-user', '--email', email, '--role', 'admin', '--name', 'Root'], {
    input: `${PASSWORD}\n`,
    env: {
      ...process.env,
      ROCKET_DATABASES: `{app={url="sqlite://${app.dbPath}"}}`,
      ROCKET_JWT_SECRET: 'browser-tests-secret-browser-tests-secret-0123456789',
      ROCKET_DATA_KEY: DATA_KEY,
      ROCKET_LOG_LEVEL: 'critical',
    },
  });
}

function watchCsp(page, violations) {
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text());
  });
}

async function signIn(page, url, email) {
  await page.goto(`${url}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${url}/`);
}

async function fitsTheScreen(page) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= PHONE.width, `${page.url()} is ${width} px wide`);
}

test('an admin finds a user and signs a device out, confirmed, at 390 px', { timeout: 120_000 }, async () => {
  const app = await startApp();
  const violations = [];
  const adminContext = await browser.newContext({ viewport: PHONE, userAgent: IPHONE });
  const annContext = await browser.newContext({ userAgent: IPHONE });
  try {
    createAdmin(app, 'root@example.com');
    const ann = await annContext.newPage();
    await ann.goto(`${app.url}/register`);
    await ann.getByLabel('Email').fill('ann@example.com');
    await ann.getByLabel('Name').fill('Ann');
    await ann.getByLabel('Password').fill(PASSWORD);
    await ann.getByRole('button', { name: 'Create account' }).click();
    await ann.waitForURL(`${app.url}/`);
    assert.equal(await ann.getByRole('link', { name: 'Admin' }).count(), 0, 'no admin link for Ann');

    const page = await adminContext.newPage();
    watchCsp(page, violations);
    await signIn(page, app.url, 'root@example.com');
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.waitForURL(`${app.url}/admin`);
    await fitsTheScreen(page);

    await page.getByLabel('Email or name').fill('ANN');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\/admin\?query=ANN/);
    const rows = page.locator('.admin-table tbody tr');
    assert.equal(await rows.count(), 1);
    await fitsTheScreen(page);
    await page.screenshot({ path: path.join(outputDir, 'admin-users.png'), fullPage: true });
    await page.getByRole('link', { name: 'ann@example.com' }).click();
    await page.waitForURL(/\/admin\/users\/\d+$/);
    assert.match(await page.locator('h1').textContent(), /ann@example\.com/);
    await fitsTheScreen(page);

    // Sign her device out: a confirmation first, Cancel goes back.
    await page.locator('li.device').getByRole('link', { name: 'Sign out' }).click();
    await page.waitForURL(/revoke-session\?sid=/);
    assert.equal(await page.locator('h1').textContent(), 'Sign this device out?');
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.waitForURL(/\/admin\/users\/\d+$/);
    assert.equal(await page.locator('li.device').count(), 1);
    await page.locator('li.device').getByRole('link', { name: 'Sign out' }).click();
    await fitsTheScreen(page);
    await page.getByRole('main').getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/admin\/users\/\d+$/);
    assert.equal(await page.locator('.flash').textContent(), 'Signed that device out.');
    assert.equal(await page.locator('li.device').count(), 0);

    // The audit log names who did what to whom.
    await page.goto(`${app.url}/admin/audit`);
    const entry = page.locator('.admin-table tbody tr').first();
    assert.match(await entry.textContent(), /root@example\.com.*session revoked.*ann@example\.com/s);
    await fitsTheScreen(page);
    await page.screenshot({ path: path.join(outputDir, 'admin-audit.png'), fullPage: true });

    // Ann's next navigation lands on the sign-in page.
    await ann.getByRole('link', { name: 'Your devices' }).first().click();
    await ann.waitForURL(/\/login/);
    assert.deepEqual(violations, []);
  } finally {
    await adminContext.close();
    await annContext.close();
    await app.stop();
  }
});
