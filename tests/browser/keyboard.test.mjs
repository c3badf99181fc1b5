// The keyboard alone, in headless Chromium against the real binary: sign up, sign out, sign in,
// revoke another device, set up two-factor sign-in, sign in through the second step and add a
// passkey (a virtual authenticator answers the browser's prompt), with
// nothing but Tab, Shift+Tab, Enter, Space and typing (page.keyboard). Every element the focus
// lands on shows it (an outline or a shadow under :focus-visible).
//
// The test reads the page (where the focus is, the two-factor key, the URL) but never clicks or
// fills; the one page.goto is the address typed in at the start. The other device signs in with
// the mouse: it is the scenery, not the subject.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, verifyAddress } from './harness.mjs';
import { currentStep, totp } from './totp.mjs';
import { addVirtualAuthenticator, startPasskeyApp } from './webauthn.mjs';

const CHROME_LINUX =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ' +
  'Version/17.0 Mobile/15E148 Safari/604.1';
const EMAIL = 'ann@example.com';
const PASSWORD = 'correct horse battery';
/** More Tab presses than any page here has stops: a page that never reaches its target fails. */
const MAX_PRESSES = 60;

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** How the focused element shows its focus, or why it does not ('' when it does). */
async function focusIndicatorProblem(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return '';
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
    const shadow = style.boxShadow !== 'none';
    if (el.matches(':focus-visible') && (outline || shadow)) return '';
    const name = (el.getAttribute('aria-label') || el.textContent || el.getAttribute('name') || '').trim();
    return `<${el.localName}> "${name.slice(0, 40)}": focus-visible ${el.matches(':focus-visible')}, ` +
      `outline ${style.outlineStyle} ${style.outlineWidth}, box-shadow ${style.boxShadow}`;
  });
}

/**
 * Presses `key` ('Tab' or 'Shift+Tab') until `target` has the focus, checking on the way that
 * every element the focus lands on shows it.
 */
async function moveFocusTo(page, key, target) {
  for (let presses = 0; presses <= MAX_PRESSES; presses += 1) {
    if (await target.evaluate((el) => el === document.activeElement)) {
      assert.equal(await focusIndicatorProblem(page), '', 'the focused element shows its focus');
      return;
    }
    await page.keyboard.press(key);
    const problem = await focusIndicatorProblem(page);
    assert.equal(problem, '', `focus not visible on ${page.url()}`);
  }
  throw new Error(`${key} ×${MAX_PRESSES} on ${page.url()} never reached ${target}`);
}

const tabTo = (page, target) => moveFocusTo(page, 'Tab', target);
const shiftTabTo = (page, target) => moveFocusTo(page, 'Shift+Tab', target);

test('sign up, sign in, revoke a device and pass the second step with the keyboard alone', { timeout: 120_000 }, async () => {
  const app = await startPasskeyApp(); // localhost: a relying party browsers accept
  const laptop = await browser.newContext({ userAgent: CHROME_LINUX });
  const phone = await browser.newContext({ userAgent: IPHONE });
  try {
    const page = await laptop.newPage();
    const nav = page.getByRole('navigation', { name: 'Main' });

    // Sign up (the email field has the focus on arrival).
    await page.goto(`${app.url}/register`);
    await tabTo(page, page.getByLabel('Email'));
    await page.keyboard.type(EMAIL);
    await tabTo(page, page.getByLabel('Name'));
    await page.keyboard.type('Ann');
    await tabTo(page, page.getByLabel('Password'));
    await page.keyboard.type(PASSWORD);
    await tabTo(page, page.getByRole('button', { name: 'Create account' }));
    await page.keyboard.press('Enter');
    await page.waitForURL(`${app.url}/`);

    // Sign out from the navigation, with Space on its button.
    await tabTo(page, nav.getByRole('button', { name: 'Sign out' }));
    await page.keyboard.press('Space');
    await page.waitForURL(`${app.url}/login`);

    // Sign in; Enter in the password field sends the form.
    await tabTo(page, page.getByLabel('Email'));
    await page.keyboard.type(EMAIL);
    await tabTo(page, page.getByLabel('Password'));
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${app.url}/`);

    // Another device (the mouse's doing: scenery).
    const other = await phone.newPage();
    await other.goto(`${app.url}/login`);
    await other.getByLabel('Email').fill(EMAIL);
    await other.getByLabel('Password').fill(PASSWORD);
    await other.getByRole('button', { name: 'Sign in', exact: true }).click();
    await other.waitForURL(`${app.url}/`);
    // The address proved from there too (two-factor sign-in, below, needs it).
    await verifyAddress(app, other, EMAIL);

    // Revoke it: the devices page from the navigation, its Revoke link, then on the confirmation
    // page past Cancel and back to the Revoke button.
    await tabTo(page, nav.getByRole('link', { name: 'Your devices' }));
    await page.keyboard.press('Enter');
    await page.waitForURL(`${app.url}/sessions`);
    await tabTo(page, page.getByRole('link', { name: 'Revoke' }));
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/sessions\/[0-9a-f]+\/revoke$/);
    await tabTo(page, page.getByRole('link', { name: 'Cancel' }));
    await shiftTabTo(page, page.getByRole('button', { name: 'Revoke' }));
    await page.keyboard.press('Space');
    await page.waitForURL(`${app.url}/sessions`);
    assert.equal(await page.locator('.flash').textContent(), 'Signed out from Safari on iPhone.');
    assert.equal(await page.locator('li.device').count(), 1);

    // Two-factor sign-in set up on the account page: password, then the code for the key shown.
    await tabTo(page, nav.getByRole('link', { name: 'Account' }));
    await page.keyboard.press('Enter');
    await page.waitForURL(`${app.url}/account`);
    const panel = page.locator('#mfa');
    await tabTo(page, panel.getByLabel('Your password'));
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await panel.locator('.mfa-qr svg').waitFor();
    const secret = (await panel.locator('.mfa-secret').textContent()).trim();
    const enrolled = currentStep();
    await tabTo(page, panel.getByLabel('Code'));
    await page.keyboard.type(totp(secret, enrolled));
    await page.keyboard.press('Enter');
    await page.waitForURL(`${app.url}/account/mfa/confirm`);
    await tabTo(page, page.getByRole('link', { name: 'Download as text' }));

    // Sign out, sign in: the second step asks for a code.
    await tabTo(page, nav.getByRole('button', { name: 'Sign out' }));
    await page.keyboard.press('Enter');
    await page.waitForURL(`${app.url}/login`);
    await tabTo(page, page.getByLabel('Email')); // the focus is there on arrival: no press
    await page.keyboard.type(EMAIL);
    await tabTo(page, page.getByLabel('Password'));
    await page.keyboard.type(PASSWORD);
    await tabTo(page, page.getByRole('button', { name: 'Sign in', exact: true }));
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/login\/mfa/);
    await tabTo(page, page.getByLabel('Code'));
    // The confirming code spent `enrolled`; a later step's code is within the ±1 window.
    await page.keyboard.type(totp(secret, Math.max(enrolled + 1, currentStep())));
    await tabTo(page, page.getByRole('button', { name: 'Sign in', exact: true }));
    await page.keyboard.press('Space');
    await page.waitForURL(`${app.url}/`);
    assert.equal(await page.locator('h1').textContent(), 'Hello, Ann');

    // A passkey, added from the account page (the sign-in just now is recent authentication);
    // the authenticator's prompt is answered by the virtual one plugged in here.
    const authenticator = await addVirtualAuthenticator(laptop, page);
    await tabTo(page, nav.getByRole('link', { name: 'Account' }));
    await page.keyboard.press('Enter');
    await page.waitForURL(`${app.url}/account`);
    const passkeys = page.locator('#passkeys');
    await tabTo(page, passkeys.getByLabel('Name of the new passkey'));
    await page.keyboard.type('Work laptop');
    await tabTo(page, passkeys.getByRole('button', { name: 'Add a passkey' }));
    const reloaded = page.waitForEvent('load');
    await page.keyboard.press('Enter');
    await reloaded;
    assert.match(await passkeys.locator('.passkey').first().textContent(), /Work laptop/);
    assert.equal((await authenticator.credentials()).length, 1);
  } finally {
    await laptop.close();
    await phone.close();
    await app.stop();
  }
});
