// The harness itself: the app starts on its own port and database, Chromium reaches it, and the
// server's output (request log) is readable.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { launchBrowser, outputDir, startApp } from './harness.mjs';

test('harness starts the app and a headless browser reaches it', { timeout: 60_000 }, async () => {
  const app = await startApp();
  const browser = await launchBrowser();
  try {
    assert.ok(existsSync(outputDir));
    const page = await browser.newPage();
    const response = await page.goto(`${app.url}/api/does-not-exist`);
    assert.equal(response.status(), 404);
    const body = JSON.parse(await page.textContent('body'));
    assert.equal(body.error.code, 'not_found');
    assert.match(app.output(), /\/api\/does-not-exist/);
  } finally {
    await browser.close();
    await app.stop();
  }
});
