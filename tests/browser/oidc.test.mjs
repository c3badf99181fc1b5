// Sign-in with an OpenID Connect provider end to end in headless Chromium: the "Continue with"
// button on /login, the provider's own login page (panva's oidc-provider, certified, started here
// on loopback from tests/oidc/), and back to the app, signed in. The devices page says how.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { launchBrowser, startApp } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const providerDir = path.resolve(here, '..', 'oidc');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The certified provider, its client allowed back to `redirectUri`; { issuer, stop }. */
async function startProvider(redirectUri) {
  const child = spawn(process.execPath, ['provider.mjs', '--redirect-uri', redirectUri], {
    cwd: providerDir,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`provider.mjs exited (${code}): npm ci in tests/oidc?`)));
  });
  const { issuer } = JSON.parse(first);
  return { issuer, stop: () => child.kill('SIGTERM') };
}

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('the button on /login, the provider\'s own page, and back signed in', { timeout: 90_000 }, async () => {
  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  const provider = await startProvider(`${appUrl}/login/oidc/certified/callback`);
  const app = await startApp({
    port,
    env: {
      ROCKET_OIDC_PROVIDERS: `{certified={issuer="${provider.issuer}",client_id="template",client_secret="template-secret",display_name="Certified ID"}}`,
    },
  });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${appUrl}/login`);
    await page.getByRole('link', { name: 'Continue with Certified ID' }).click();

    // The provider's own login page (oidc-provider's development interactions).
    await page.waitForURL((url) => url.href.startsWith(provider.issuer));
    await page.locator('input[name="login"]').fill('chromium@example.test');
    await page.locator('input[name="password"]').fill('anything');
    await page.getByRole('button', { name: 'Sign-in' }).click();

    await page.waitForURL((url) => url.href.startsWith(appUrl) && !url.pathname.startsWith('/login'));
    const me = await page.evaluate(async () => (await fetch('/api/auth/me')).json());
    assert.equal(me.user.email, 'chromium@example.test');
    assert.equal(me.user.email_verified, true);
    const cookies = (await context.cookies(appUrl)).map((c) => c.name);
    assert.ok(cookies.some((n) => n.endsWith('refresh_token')), cookies.join());

    await page.goto(`${appUrl}/sessions`);
    const devices = await page.locator('main').innerText();
    assert.match(devices, /Signed in with a provider/);
    assert.match(devices, /Sign-in provider linked/);
  } finally {
    await context.close();
    await app.stop();
    provider.stop();
  }
});
