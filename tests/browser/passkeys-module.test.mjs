// static/js/passkeys.js in headless Chromium with a virtual authenticator, no app: options made
// here as the API would send them, the module turning them into navigator.credentials calls and
// the answers back into JSON. Once with the browser's own parse…FromJSON / toJSON(), once with
// them removed (the module's hand-made base64url path, as on an older browser). The page is
// http://localhost served by Playwright's router, so the relying-party id can be `localhost`.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { launchBrowser } from './harness.mjs';
import { addVirtualAuthenticator } from './webauthn.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const MODULE = readFileSync(path.resolve(here, '..', '..', 'static', 'js', 'passkeys.js'), 'utf8');
const ORIGIN = 'http://localhost';

const b64u = (bytes) => Buffer.from(bytes).toString('base64url');
const clientData = (json) => JSON.parse(Buffer.from(json.response.clientDataJSON, 'base64url').toString('utf8'));

/** Registration options shaped like the server's, `null` members included. */
function creationOptions(userId, exclude = []) {
  return {
    rp: { id: 'localhost', name: 'Module test' },
    user: { id: b64u(userId), name: 'ann@example.com', displayName: 'Ann' },
    challenge: b64u(randomBytes(32)),
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }, { type: 'public-key', alg: -257 }],
    timeout: 60000,
    excludeCredentials: exclude.map((id) => ({ type: 'public-key', id })),
    authenticatorSelection: {
      authenticatorAttachment: null,
      residentKey: 'required',
      requireResidentKey: true,
      userVerification: 'required',
    },
    hints: null,
    attestation: 'none',
    extensions: { credProps: true, uvm: true },
  };
}

/** Sign-in options shaped like the server's: no allow-list. */
function requestOptions() {
  return {
    challenge: b64u(randomBytes(32)),
    timeout: 60000,
    rpId: 'localhost',
    allowCredentials: [],
    userVerification: 'required',
    hints: null,
    extensions: { uvm: true },
  };
}

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

/** A page at http://localhost holding the module as `window.passkeys`; `legacy` removes the
 * browser's JSON helpers first. */
async function modulePage({ legacy }) {
  const context = await browser.newContext();
  await context.route(`${ORIGIN}/**`, (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/passkeys.js') {
      return route.fulfill({ contentType: 'text/javascript', body: MODULE });
    }
    return route.fulfill({
      contentType: 'text/html',
      body: '<!doctype html><title>t</title><script type="module">import * as p from "/passkeys.js"; window.passkeys = p;</script>',
    });
  });
  if (legacy) {
    await context.addInitScript(() => {
      delete window.PublicKeyCredential.parseCreationOptionsFromJSON;
      delete window.PublicKeyCredential.parseRequestOptionsFromJSON;
      delete window.PublicKeyCredential.prototype.toJSON;
    });
  }
  const page = await context.newPage();
  await page.goto(`${ORIGIN}/`);
  await page.waitForFunction(() => window.passkeys);
  const authenticator = await addVirtualAuthenticator(context, page);
  return { context, page, authenticator };
}

for (const legacy of [false, true]) {
  const how = legacy ? 'by hand (no parse…FromJSON, no toJSON)' : "with the browser's JSON helpers";
  test(`create and sign in with a discoverable passkey, ${how}`, { timeout: 60_000 }, async () => {
    const { context, page, authenticator } = await modulePage({ legacy });
    try {
      const native = await page.evaluate(() => [
        typeof PublicKeyCredential.parseCreationOptionsFromJSON,
        typeof PublicKeyCredential.prototype.toJSON,
      ]);
      assert.deepEqual(native, legacy ? ['undefined', 'undefined'] : ['function', 'function']);
      assert.equal(await page.evaluate(() => window.passkeys.passkeysSupported()), true);
      assert.equal(typeof await page.evaluate(() => window.passkeys.autofillSupported()), 'boolean');

      const userId = randomBytes(16);
      const creation = creationOptions(userId);
      const registered = await page.evaluate((o) => window.passkeys.createPasskey(o), creation);
      assert.equal(registered.type, 'public-key');
      assert.equal(registered.id, registered.rawId);
      assert.match(registered.response.attestationObject, /^[A-Za-z0-9_-]+$/);
      assert.ok(Array.isArray(registered.response.transports));
      assert.deepEqual(clientData(registered), {
        ...clientData(registered),
        type: 'webauthn.create',
        challenge: creation.challenge,
        origin: ORIGIN,
      });
      assert.equal(registered.clientExtensionResults.credProps?.rk, true);
      const [stored] = await authenticator.credentials();
      assert.equal(stored.isResidentCredential, true);
      assert.equal(Buffer.from(stored.credentialId, 'base64').toString('base64url'), registered.rawId);

      // The same authenticator refuses a second passkey for an excluded credential.
      const again = await page.evaluate(
        (o) => window.passkeys.createPasskey(o).then(() => 'created', (e) => e.name),
        creationOptions(userId, [registered.rawId]),
      );
      assert.equal(again, 'InvalidStateError');

      const request = requestOptions();
      const signed = await page.evaluate((o) => window.passkeys.getPasskey(o), request);
      assert.equal(signed.rawId, registered.rawId);
      assert.equal(signed.response.userHandle, b64u(userId));
      assert.match(signed.response.signature, /^[A-Za-z0-9_-]+$/);
      assert.match(signed.response.authenticatorData, /^[A-Za-z0-9_-]+$/);
      const data = clientData(signed);
      assert.equal(data.type, 'webauthn.get');
      assert.equal(data.challenge, request.challenge);
      assert.equal(data.origin, ORIGIN);
    } finally {
      await authenticator.remove();
      await context.close();
    }
  });
}

test('base64url by hand: round trip of every byte, unpadded out, padded or not in', async () => {
  const { context, page, authenticator } = await modulePage({ legacy: true });
  try {
    const result = await page.evaluate(() => {
      const { fromBase64url, toBase64url } = window.passkeys;
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const text = toBase64url(all);
      return {
        text,
        back: Array.from(fromBase64url(text)),
        padded: Array.from(fromBase64url('AQI=')),
        view: toBase64url(all.subarray(250, 253)),
      };
    });
    assert.equal(result.text, Buffer.from(Uint8Array.from({ length: 256 }, (_, i) => i)).toString('base64url'));
    assert.deepEqual(result.back, Array.from({ length: 256 }, (_, i) => i));
    assert.deepEqual(result.padded, [1, 2]);
    assert.equal(result.view, Buffer.from([250, 251, 252]).toString('base64url'));
  } finally {
    await authenticator.remove();
    await context.close();
  }
});
