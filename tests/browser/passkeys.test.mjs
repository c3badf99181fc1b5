// Passkeys end to end in headless Chromium against the real binary, with a virtual authenticator
// (DevTools `WebAuthn` domain): add one on /account, sign out, sign in from /login with the
// passkey alone and see "passkey" on the devices page; autofill sign-in; a removed passkey no
// longer signs in; a two-factor user finishes the second step with a passkey.
//
// Then the refusals, each against the API with an assertion forged here with the credential's
// exported private key (webauthn.mjs `forgeAssertion`), so that one part at a time can be wrong:
// a spent or expired challenge, a challenge of another ceremony, another origin or relying party,
// an unknown credential, a bad signature, a counter going back, another user's passkey id, and a
// ceremony started on one instance and finished on another.
//
// The app runs as http://localhost:PORT: browsers refuse an IP address as relying-party id.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';

import { launchBrowser, startApp, verifyAddress, waitForMail } from './harness.mjs';
import { addVirtualAuthenticator, forgeAssertion, startPasskeyApp } from './webauthn.mjs';

const CHROME_LINUX =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const PASSWORD = 'correct horse battery';
const TIMEOUT = { timeout: 120_000 };

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

/** RFC 4648 base32 (no padding) to bytes. */
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  }
  return Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2)));
}

/** RFC 6238 TOTP: HMAC-SHA1, 30-second steps, 6 digits. */
function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/** A JSON request to the app; resolves with { status, body }. */
async function call(app, method, path, { body, token } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(`${app.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed = null;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  return { status: response.status, body: parsed };
}

/**
 * A browser tab with a virtual authenticator, signed up on /register as `email`. Chromium's
 * virtual authenticator answers a conditional (autofill) request at once, which would sign
 * /login in before any button is pressed: the tab says it has no autofill for passkeys until
 * `localStorage['passkey-autofill']` is `on` (as a browser without conditional mediation).
 */
async function signedUpTab(app, email) {
  const context = await browser.newContext({ userAgent: CHROME_LINUX });
  await context.addInitScript(() => {
    let on = false;
    try { on = window.localStorage.getItem('passkey-autofill') === 'on'; } catch { on = false; }
    if (!on && window.PublicKeyCredential) {
      window.PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    }
  });
  const page = await context.newPage();
  const violations = [];
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text());
  });
  const authenticator = await addVirtualAuthenticator(context, page);
  await page.goto(`${app.url}/register`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Name').fill(email.split('@')[0]);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(`${app.url}/`);
  return { context, page, authenticator, violations };
}

/** Adds a passkey from the account page (the session is fresh: no re-authentication asked). */
async function addPasskey(app, page, name) {
  await page.goto(`${app.url}/account`);
  const panel = page.locator('#passkeys');
  if (name) await panel.getByLabel('Name of the new passkey').fill(name);
  const before = await panel.locator('.passkey').count();
  const reloaded = page.waitForEvent('load');
  await panel.getByRole('button', { name: 'Add a passkey' }).click();
  await reloaded;
  assert.equal(await panel.locator('.passkey').count(), before + 1);
}

async function signOut(app, page) {
  await page.goto(`${app.url}/`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${app.url}/login`);
}

test('add a passkey on /account, sign out, sign in with it alone, see "passkey" on the devices page', TIMEOUT, async () => {
  const app = await startPasskeyApp();
  const { context, page, authenticator, violations } = await signedUpTab(app, 'ann@example.com');
  try {
    await addPasskey(app, page, 'Test laptop');
    const panel = page.locator('#passkeys');
    assert.match(await panel.locator('.passkey').first().textContent(), /Test laptop/);
    assert.match(await panel.locator('.passkey').first().textContent(), /never used/i);
    const [stored] = await authenticator.credentials();
    assert.equal(stored.isResidentCredential, true);
    assert.equal(stored.rpId, 'localhost');

    await signOut(app, page);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL(`${app.url}/`);
    assert.match(await page.locator('h1').textContent(), /Hello, ann/);

    await page.goto(`${app.url}/sessions`);
    assert.match(await page.locator('.device-current').textContent(), /passkey/i);

    await page.goto(`${app.url}/account`);
    assert.doesNotMatch(await panel.locator('.passkey').first().textContent(), /never used/i);

    // Rename it from the panel.
    await panel.locator('.passkey').first().getByLabel('New name').fill('Work laptop');
    await panel.locator('.passkey').first().getByRole('button', { name: 'Rename' }).click();
    await page.waitForURL(/\/account/);
    assert.match(await panel.locator('.passkey').first().textContent(), /Work laptop/);
    assert.deepEqual(violations, []);
  } finally {
    await context.close();
    await app.stop();
  }
});

test('autofill: the email field offers the passkey (conditional mediation) and signs in', TIMEOUT, async () => {
  const app = await startPasskeyApp();
  const { context, page } = await signedUpTab(app, 'bob@example.com');
  try {
    await addPasskey(app, page);
    await signOut(app, page);
    assert.equal(await page.getByLabel('Email').getAttribute('autocomplete'), 'username webauthn');
    // With autofill on, /login asks with conditional mediation as it loads; the virtual
    // authenticator answers at once, as a person picking the passkey in the list would.
    await page.evaluate(() => window.localStorage.setItem('passkey-autofill', 'on'));
    const asked = page.waitForRequest((r) => r.url().endsWith('/api/auth/passkey/start'));
    await page.goto(`${app.url}/login`);
    await asked;
    await page.waitForURL(`${app.url}/`, { timeout: 15_000 });
    await page.goto(`${app.url}/sessions`);
    assert.match(await page.locator('.device-current').textContent(), /passkey/i);
  } finally {
    await context.close();
    await app.stop();
  }
});

test('a removed passkey no longer signs in', TIMEOUT, async () => {
  const app = await startPasskeyApp();
  const { context, page } = await signedUpTab(app, 'cy@example.com');
  try {
    await addPasskey(app, page);
    const panel = page.locator('#passkeys');
    await panel.locator('.passkey').first().getByRole('button', { name: 'Remove' }).click();
    await page.waitForURL(/\/account/);
    assert.equal(await panel.locator('.passkey').count(), 0);
    await signOut(app, page);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const message = page.locator('[data-passkey-message]');
    await message.waitFor({ state: 'visible' });
    assert.match(await message.textContent(), /passkey/i);
    assert.match(page.url(), /\/login/);
  } finally {
    await context.close();
    await app.stop();
  }
});

test('two-factor on: the second step after the password with a passkey instead of a code', TIMEOUT, async () => {
  const app = await startPasskeyApp();
  const { context, page } = await signedUpTab(app, 'dee@example.com');
  try {
    await verifyAddress(app, page, 'dee@example.com');
    await page.goto(`${app.url}/account`);
    const mfa = page.locator('#mfa');
    await mfa.getByLabel('Your password').fill(PASSWORD);
    await mfa.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    await mfa.locator('.mfa-qr svg').waitFor();
    const secret = (await mfa.locator('.mfa-secret').textContent()).trim();
    await mfa.getByLabel('Code').fill(totp(secret, Math.floor(Date.now() / 30_000)));
    await mfa.getByRole('button', { name: 'Turn two-factor sign-in on' }).click();
    await page.waitForURL(`${app.url}/account/mfa/confirm`);

    await addPasskey(app, page);
    await signOut(app, page);
    await page.getByLabel('Email').fill('dee@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/login\/mfa/);
    await page.getByRole('button', { name: 'Use a passkey instead' }).click();
    await page.waitForURL(`${app.url}/`);
    await page.goto(`${app.url}/sessions`);
    assert.match(await page.locator('.device-current').textContent(), /password \+ passkey/i);
  } finally {
    await context.close();
    await app.stop();
  }
});

// ---- Refusals -------------------------------------------------------------------------------

/** An app, an account with one passkey (added in the browser), and its exported credential. */
async function accountWithPasskey() {
  // Many ceremonies in a row: the per-IP sign-in quota (30/min) would answer 429 first.
  const app = await startPasskeyApp({ env: { ROCKET_RATE_LIMIT_LOGIN_PER_IP: 'off' } });
  const tab = await signedUpTab(app, 'eve@example.com');
  await addPasskey(app, tab.page);
  const [credential] = await tab.authenticator.credentials();
  await tab.context.close();
  return { app, credential, origin: app.url };
}

async function start(app) {
  const started = await call(app, 'POST', '/api/auth/passkey/start');
  assert.equal(started.status, 200, JSON.stringify(started.body));
  return started.body;
}

async function finish(app, challengeId, credential) {
  return call(app, 'POST', '/api/auth/passkey/finish', {
    body: { challenge_id: challengeId, credential },
  });
}

function refused(answer, what) {
  assert.equal(answer.status, 401, `${what}: ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body.error.code, 'invalid_passkey', what);
}

test('refusals: spent, expired and other-ceremony challenges; origin, relying party, unknown key, signature, counter', TIMEOUT, async () => {
  const { app, credential, origin } = await accountWithPasskey();
  try {
    let counter = 10;
    const assertion = (challenge, extra = {}) =>
      forgeAssertion(credential, { challenge, origin, counter: (counter += 1), ...extra });

    // The forged assertion is good: it signs in (method passkey).
    let { challenge_id: id, options } = await start(app);
    let answer = await finish(app, id, assertion(options.challenge));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.session.method, 'passkey');

    // Spent: the same challenge again, even with a fresh signature.
    refused(await finish(app, id, assertion(options.challenge)), 'a spent challenge');

    // Expired: older than 5 minutes (moved back in the database).
    ({ challenge_id: id, options } = await start(app));
    execFileSync('sqlite3', [app.dbPath, `UPDATE passkey_ceremonies SET expires_at = 1 WHERE id = '${id}'`]);
    refused(await finish(app, id, assertion(options.challenge)), 'an expired challenge');

    // Another ceremony's challenge: a registration's, and a second step's (below, with MFA).
    const login = await call(app, 'POST', '/api/auth/login', { body: { email: 'eve@example.com', password: PASSWORD } });
    const token = login.body.access_token;
    await call(app, 'POST', '/api/auth/reauth', { token, body: { password: PASSWORD } });
    const registration = await call(app, 'POST', '/api/account/passkeys/register/start', { token });
    assert.equal(registration.status, 200, JSON.stringify(registration.body));
    refused(
      await finish(app, registration.body.challenge_id, assertion(registration.body.options.challenge)),
      "a registration's challenge",
    );

    // Another origin, another relying party, a wrong ceremony type.
    ({ challenge_id: id, options } = await start(app));
    refused(await finish(app, id, assertion(options.challenge, { origin: 'http://localhost:1' })), 'another origin');
    ({ challenge_id: id, options } = await start(app));
    refused(await finish(app, id, assertion(options.challenge, { rpId: 'example.com' })), 'another relying party');
    ({ challenge_id: id, options } = await start(app));
    refused(await finish(app, id, assertion(options.challenge, { type: 'webauthn.create' })), 'a registration clientData');
    ({ challenge_id: id, options } = await start(app));
    refused(await finish(app, id, assertion(options.challenge, { flags: 0x01 })), 'no user verification');

    // An unknown credential; a bad signature; the challenge of another start.
    ({ challenge_id: id, options } = await start(app));
    refused(await finish(app, id, assertion(options.challenge, { rawId: randomBytes(32) })), 'an unknown credential');
    ({ challenge_id: id, options } = await start(app));
    const tampered = assertion(options.challenge);
    const signature = Buffer.from(tampered.response.signature, 'base64url');
    signature[signature.length - 1] ^= 1;
    tampered.response.signature = signature.toString('base64url');
    refused(await finish(app, id, tampered), 'a bad signature');
    const other = await start(app);
    ({ challenge_id: id } = await start(app));
    refused(await finish(app, id, assertion(other.options.challenge)), "another start's challenge");

    // A counter that goes back: refused and recorded.
    ({ challenge_id: id, options } = await start(app));
    answer = await finish(app, id, assertion(options.challenge, { counter: 100 }));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    ({ challenge_id: id, options } = await start(app));
    refused(await finish(app, id, assertion(options.challenge, { counter: 50 })), 'a counter going back');
    const events = await call(app, 'GET', '/api/security-events', { token: answer.body.access_token });
    assert.ok(
      events.body.events.some((e) => e.kind === 'passkey_counter_regressed'),
      JSON.stringify(events.body),
    );
  } finally {
    await app.stop();
  }
});

test("refusals: another user's passkey id is 404 on rename and remove", TIMEOUT, async () => {
  const { app } = await accountWithPasskey();
  try {
    const eve = await call(app, 'POST', '/api/auth/login', { body: { email: 'eve@example.com', password: PASSWORD } });
    const list = await call(app, 'GET', '/api/account/passkeys', { token: eve.body.access_token });
    assert.equal(list.body.passkeys.length, 1);
    const { id } = list.body.passkeys[0];
    const mallory = await call(app, 'POST', '/api/auth/register', { body: { email: 'mal@example.com', password: PASSWORD } });
    const token = mallory.body.access_token;
    const rename = await call(app, 'PATCH', `/api/account/passkeys/${id}`, { token, body: { name: 'mine' } });
    assert.equal(rename.status, 404, JSON.stringify(rename.body));
    const remove = await call(app, 'DELETE', `/api/account/passkeys/${id}`, { token });
    assert.equal(remove.status, 404, JSON.stringify(remove.body));
    const still = await call(app, 'GET', '/api/account/passkeys', { token: eve.body.access_token });
    assert.equal(still.body.passkeys[0].name, list.body.passkeys[0].name);
  } finally {
    await app.stop();
  }
});

test("refusals: a second step's challenge does not sign in with a passkey alone", TIMEOUT, async () => {
  const { app, credential, origin } = await accountWithPasskey();
  try {
    // Two-factor on for eve, through the API, on her address proved by the mailed link.
    const verify = await waitForMail(app, 'eve@example.com', /Confirm your email address/);
    const verified = await call(app, 'POST', '/api/auth/email/verify', { body: { token: new URL(verify.link).searchParams.get('token') } });
    assert.equal(verified.status, 204, JSON.stringify(verified.body));
    const login = await call(app, 'POST', '/api/auth/login', { body: { email: 'eve@example.com', password: PASSWORD } });
    const token = login.body.access_token;
    const setup = await call(app, 'POST', '/api/auth/mfa/totp/setup', { token, body: { password: PASSWORD } });
    const confirm = await call(app, 'POST', '/api/auth/mfa/totp/confirm', {
      token,
      body: { code: totp(setup.body.secret, Math.floor(Date.now() / 30_000)) },
    });
    assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
    const again = await call(app, 'POST', '/api/auth/login', { body: { email: 'eve@example.com', password: PASSWORD } });
    assert.equal(again.status, 202);
    const step = await call(app, 'POST', '/api/auth/mfa/passkey/start', { body: { mfa_token: again.body.mfa_token } });
    assert.equal(step.status, 200, JSON.stringify(step.body));
    assert.equal(step.body.options.allowCredentials.length, 1);
    const signed = forgeAssertion(credential, { challenge: step.body.options.challenge, origin, counter: 20 });
    refused(await finish(app, step.body.challenge_id, signed), "a second step's challenge");

    // The same kind of assertion on its own route finishes the second step.
    const next = await call(app, 'POST', '/api/auth/mfa/passkey/start', { body: { mfa_token: again.body.mfa_token } });
    const done = await call(app, 'POST', '/api/auth/mfa/passkey/finish', {
      body: {
        mfa_token: again.body.mfa_token,
        challenge_id: next.body.challenge_id,
        credential: forgeAssertion(credential, { challenge: next.body.options.challenge, origin, counter: 21 }),
      },
    });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.session.method, 'password+passkey');
  } finally {
    await app.stop();
  }
});

test('a ceremony started on one instance finishes on another (one database)', TIMEOUT, async () => {
  const { app, credential, origin } = await accountWithPasskey();
  // The second instance shares the first one's database and keys, as instances behind a load
  // balancer do; it answers on its own port, so origin checks use the first one's public URL.
  const second = await startApp({
    env: {
      ROCKET_DATABASES: `{app={url="sqlite://${app.dbPath}"}}`,
      ROCKET_PUBLIC_URL: origin,
      ROCKET_RATE_LIMIT_LOGIN_PER_IP: 'off',
    },
  });
  try {
    const { challenge_id: id, options } = await start(app);
    const answer = await finish(second, id, forgeAssertion(credential, { challenge: options.challenge, origin, counter: 30 }));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    refused(await finish(app, id, forgeAssertion(credential, { challenge: options.challenge, origin, counter: 31 })), 'spent on the other instance');
  } finally {
    await second.stop();
    await app.stop();
  }
});
