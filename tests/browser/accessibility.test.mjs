// Every page the app serves, checked by axe-core in headless Chromium at 1280 and 390 px, signed
// out and signed in: WCAG 2.0/2.1 A and AA and axe's best practices, no serious or critical
// finding; and at both widths the navigation's items each on one line. The pages are the ones
// of pages.json (tests/api/page_list.rs holds that list to the mounted routes and templates);
// the last test fails if one of them was not checked here.
//
// A finding fails with its rule, impact, page, state, width and the elements' selectors;
// moderate and minor ones are printed as diagnostics.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AxeChecker } from './axe.mjs';
import { launchBrowser, startApp, waitForMail, DATA_KEY } from './harness.mjs';
import { currentStep, totp } from './totp.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { pages } = JSON.parse(readFileSync(new URL('./pages.json', import.meta.url), 'utf8'));

const CHROME_LINUX =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ' +
  'Version/17.0 Mobile/15E148 Safari/604.1';
const EMAIL = 'ann@example.com';
const PASSWORD = 'correct horse battery';

let app;
let browser;
const checker = new AxeChecker(pages);
/** The two-factor key Ann enrols with (signed-in test), for her second step (signed-out test). */
let secret;

before(async () => {
  app = await startApp();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

/** Runs `steps`, then fails with what axe found on the way, if it found anything serious. */
async function checking(steps) {
  const before = checker.failures.length;
  await steps();
  const found = checker.failures.slice(before);
  assert.equal(found.length, 0, `axe found serious or critical problems:\n${checker.report(found)}`);
}

/** Opens and checks every page of the list that has a `visit` URL in this state. */
async function checkDirectVisits(page, state) {
  for (const entry of pages.filter((p) => p.visit && p.as.includes(state))) {
    await page.goto(`${app.url}${entry.visit}`);
    if (entry.ready) await page.waitForSelector(entry.ready);
    await checker.check(page, entry.name, state);
  }
}

async function signIn(page, email = EMAIL, password = PASSWORD) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('signed out: the pages anyone can open', { timeout: 120_000 }, () => checking(async () => {
  const context = await browser.newContext({ userAgent: CHROME_LINUX });
  try {
    const page = await context.newPage();
    await checkDirectVisits(page, 'signed-out');

    await page.goto(`${app.url}/login`);
    await signIn(page, 'nobody@example.com', 'not the password');
    await page.locator('.alert').waitFor();
    await checker.check(page, 'sign-in-refused', 'signed-out');

    await page.goto(`${app.url}/forgot-password`);
    await page.getByLabel('Email').fill('nobody@example.com');
    await page.getByRole('button', { name: 'Send me a link' }).click();
    await page.getByRole('heading', { name: 'Check your mail' }).waitFor();
    await checker.check(page, 'forgot-password-sent', 'signed-out');
  } finally {
    await context.close();
  }
}));

test('signed in: the account\'s pages, two devices, two-factor set up, the JS client demo', { timeout: 180_000 }, () => checking(async () => {
  const laptop = await browser.newContext({ userAgent: CHROME_LINUX });
  const phone = await browser.newContext({ userAgent: IPHONE });
  const demo = await browser.newContext();
  try {
    const page = await laptop.newPage();
    await page.goto(`${app.url}/register`);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Name').fill('Ann');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${app.url}/`);
    // The mailed link's page (a button; opening it spends nothing), then the address proved:
    // two-factor sign-in below needs it.
    const verify = await waitForMail(app, EMAIL, /Confirm your email address/);
    await page.goto(verify.link);
    await page.getByRole('button', { name: 'Confirm my address' }).waitFor();
    await checker.check(page, 'mailed-link', 'signed-in');
    await page.getByRole('button', { name: 'Confirm my address' }).click();
    await page.waitForURL(`${app.url}/`);
    // A second device, so the devices page has one to revoke.
    const other = await phone.newPage();
    await other.goto(`${app.url}/login`);
    await signIn(other);
    await other.waitForURL(`${app.url}/`);

    await checkDirectVisits(page, 'signed-in');

    await page.goto(`${app.url}/sessions`);
    await page.getByRole('link', { name: 'Revoke' }).click();
    await page.waitForURL(/\/sessions\/[0-9a-f]+\/revoke$/);
    await checker.check(page, 'revoke', 'signed-in');

    await page.goto(`${app.url}/account`);
    const panel = page.locator('#mfa');
    await panel.getByLabel('Your password').fill(PASSWORD);
    await panel.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    await panel.locator('.mfa-qr svg').waitFor();
    await checker.check(page, 'account-two-factor-setup', 'signed-in');
    secret = (await panel.locator('.mfa-secret').textContent()).trim();
    await panel.getByLabel('Code').fill(totp(secret, currentStep()));
    await panel.getByRole('button', { name: 'Turn two-factor sign-in on' }).click();
    await page.waitForURL(`${app.url}/account/mfa/confirm`);
    await checker.check(page, 'recovery-codes', 'signed-in');
    await page.goto(`${app.url}/account`);
    await panel.getByRole('button', { name: 'Turn two-factor sign-in off' }).waitFor();
    await checker.check(page, 'account-two-factor-on', 'signed-in');

    // The demo signs in through the JSON API (its own account), then shows /me and the devices.
    const demoPage = await demo.newPage();
    await demoPage.goto(`${app.url}/static/demo/index.html`);
    await demoPage.waitForSelector('#signin:not([hidden])');
    await demoPage.fill('#email', 'demo@example.com');
    await demoPage.fill('#password', PASSWORD);
    await demoPage.click('#register-button');
    await demoPage.waitForSelector('#sessions tbody tr.current');
    await checker.check(demoPage, 'js-client-demo-signed-in', 'signed-in');
    // The answer of /me: long lines, a box that scrolls at phone width.
    await demoPage.click('#call-me');
    await demoPage.waitForFunction(() => document.querySelector('#me-output').textContent.includes('{'));
    await checker.check(demoPage, 'js-client-demo-me-answered', 'signed-in');
  } finally {
    await laptop.close();
    await phone.close();
    await demo.close();
  }
}));

test('signed out: the second step and the mailed reset link', { timeout: 120_000 }, () => checking(async () => {
  assert.ok(secret, 'the signed-in test set up two-factor sign-in');
  const context = await browser.newContext({ userAgent: CHROME_LINUX });
  try {
    const page = await context.newPage();
    await page.goto(`${app.url}/login`);
    await signIn(page);
    await page.waitForURL(/\/login\/mfa/);
    await checker.check(page, 'second-step', 'signed-out');
    // A code no step near now gives.
    const near = [-1, 0, 1].map((d) => totp(secret, currentStep() + d));
    let wrong = 123456;
    while (near.includes(String(wrong))) wrong += 1;
    await page.getByLabel('Code').fill(String(wrong));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.alert').waitFor();
    await checker.check(page, 'second-step-refused', 'signed-out');

    await page.goto(`${app.url}/forgot-password`);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByRole('button', { name: 'Send me a link' }).click();
    const mail = await waitForMail(app, EMAIL, /Reset your password/);
    await page.goto(mail.link);
    await page.getByLabel('New password').waitFor();
    await checker.check(page, 'reset-password', 'signed-out');
  } finally {
    await context.close();
  }
}));

test('signed out: the page of a database that cannot serve (503)', { timeout: 60_000 }, () => checking(async () => {
  // The same database, opened read-only by a second app: pages read, and a sign-in, which writes,
  // answers the 503 page (as in tests/api/outage.rs).
  const readOnly = await startApp({
    env: { ROCKET_DATABASES: `{app={url="sqlite://${app.dbPath}?mode=ro"}}` },
  });
  const context = await browser.newContext({ userAgent: CHROME_LINUX });
  try {
    const page = await context.newPage();
    await page.goto(`${readOnly.url}/login`);
    await signIn(page);
    await page.getByRole('heading', { name: 'Back in a moment' }).waitFor();
    await checker.check(page, 'unavailable', 'signed-out');
  } finally {
    await context.close();
    await readOnly.stop();
  }
}));

test('signed in as an admin: the console, a user, a confirmation, the audit log', { timeout: 120_000 }, () => checking(async () => {
  // An operator makes the admin from the shell, on the app's own database.
  const bin = process.env.APP_BIN || path.resolve(here, '..', '..', 'target', 'debug', 'rocket-auth-template');
  execFileSync(bin, ['create-user', '--email', 'root@example.com', '--role', 'admin', '--name', 'Root'], {
    input: `${PASSWORD}\n`,
    env: {
      ...process.env,
      ROCKET_DATABASES: `{app={url="sqlite://${app.dbPath}"}}`,
      ROCKET_JWT_SECRET: 'browser-tests-secret-browser-tests-secret-0123456789',
      ROCKET_DATA_KEY: DATA_KEY,
      ROCKET_LOG_LEVEL: 'critical',
    },
  });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${app.url}/login`);
    await signIn(page, 'root@example.com');
    await page.waitForURL(`${app.url}/`);
    await page.goto(`${app.url}/admin`);
    await checker.check(page, 'admin-users', 'signed-in');
    await page.locator('.admin-table tbody tr a').first().click();
    await page.waitForURL(/\/admin\/users\/\d+$/);
    await checker.check(page, 'admin-user', 'signed-in');
    const confirm = page.locator('main a[href*="/admin/users/"]').filter({ hasNotText: /^$/ });
    const href = await confirm.evaluateAll((links) => links.map((a) => a.getAttribute('href'))
      .find((h) => /\/admin\/users\/\d+\/[a-z-]+/.test(h)));
    assert.ok(href, 'an action with a confirmation page');
    await page.goto(`${app.url}${href}`);
    await checker.check(page, 'admin-confirm', 'signed-in');
    await page.goto(`${app.url}/admin/audit`);
    await checker.check(page, 'admin-audit', 'signed-in');
  } finally {
    await context.close();
  }
}));

test('signed out: linking a provider that does not vouch for the address', { timeout: 90_000 }, () => checking(async () => {
  // The tests' own OpenID Provider (tests/oidc/fake-provider.mjs): it answers at once, here with
  // Ann's address unverified, so the app asks for her password before it links.
  const provider = spawn(process.execPath, ['fake-provider.mjs', '0'], {
    cwd: path.resolve(here, '..', 'oidc'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const first = await new Promise((resolve, reject) => {
    readline.createInterface({ input: provider.stdout }).once('line', resolve);
    provider.once('exit', (code) => reject(new Error(`fake-provider.mjs exited (${code})`)));
  });
  const { issuer } = JSON.parse(first);
  const oidcApp = await startApp({
    env: {
      ROCKET_OIDC_PROVIDERS: `{fake={issuer="${issuer}",client_id="template",client_secret="template-secret",display_name="Fake ID"}}`,
    },
  });
  const context = await browser.newContext();
  try {
    await fetch(`${issuer}/control`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: EMAIL, email_verified: false }),
    });
    const page = await context.newPage();
    await page.goto(`${oidcApp.url}/register`);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${oidcApp.url}/`);
    await context.clearCookies();
    await page.goto(`${oidcApp.url}/login`);
    await page.getByRole('link', { name: 'Continue with Fake ID' }).click();
    await page.waitForURL(/\/login\/oidc\/link/, { timeout: 20_000 }).catch(async (e) => {
      throw new Error(`${e.message}: at ${page.url()}: ${(await page.locator("main").innerText()).slice(0, 300)}`);
    });
    await checker.check(page, 'oidc-link', 'signed-out');
  } finally {
    await context.close();
    await oidcApp.stop();
    provider.kill('SIGTERM');
  }
}));

test('every page of pages.json was checked, in each state it lists', (t) => {
  const unchecked = pages
    .flatMap((p) => p.as.map((state) => `${p.name} (${state})`))
    .filter((key) => !checker.checked.has(key));
  assert.deepEqual(unchecked, [], 'give each a `visit` URL, or a step above that checks it');
  if (checker.notes.length > 0) {
    t.diagnostic(`moderate and minor findings (not failing):\n${checker.report(checker.notes)}`);
  }
});
