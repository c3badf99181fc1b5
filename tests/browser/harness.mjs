// The browser-test harness: the real app binary on a fresh SQLite file and a free loopback port,
// and headless Debian Chromium driven by playwright-core. Every *.test.mjs here builds on it.
//
//   const app = await startApp({ env: { ROCKET_ACCESS_TOKEN_TTL: '2' } });
//   const browser = await launchBrowser();
//   try { ... await page.goto(`${app.url}/login`) ... } finally { await browser.close(); await app.stop(); }

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');

/** Absolute path of tests/output/ (gitignored): screenshots and other artefacts. */
export const outputDir = path.join(repoRoot, 'tests', 'output');
mkdirSync(outputDir, { recursive: true });

const STARTUP_TIMEOUT_MS = 30_000;

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

function portAnswers(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts the app binary (`APP_BIN`, else target/debug/rocket-auth-template) on a fresh temp SQLite
 * file and a free loopback port. `env` overrides any variable (e.g. ROCKET_ACCESS_TOKEN_TTL).
 * Returns { url, stop, dbPath, output }: `output()` is everything the server printed so far
 * (stdout and stderr, Rocket's request log included); `stop()` kills it and removes the temp dir.
 */
export async function startApp({ env = {} } = {}) {
  const bin = process.env.APP_BIN || path.join(repoRoot, 'target', 'debug', 'rocket-auth-template');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rat-browser-'));
  const dbPath = path.join(dir, 'app.db');
  const port = await freePort();
  const child = spawn(bin, [], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ROCKET_PROFILE: 'debug',
      ROCKET_ADDRESS: '127.0.0.1',
      ROCKET_PORT: String(port),
      ROCKET_DATABASES: `{app={url="sqlite://${dbPath}"}}`,
      ROCKET_JWT_SECRET: 'browser-tests-secret-browser-tests-secret-0123456789',
      ROCKET_LOG_LEVEL: 'normal',
      ROCKET_CLI_COLORS: 'false',
      ...env,
    },
  });
  const chunks = [];
  child.stdout.on('data', (d) => chunks.push(d));
  child.stderr.on('data', (d) => chunks.push(d));
  const output = () => Buffer.concat(chunks).toString('utf8');
  let exited = null;
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => {
    exited = { code, signal };
    resolve();
  }));
  child.once('error', (e) => { exited = { error: e }; });

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      await Promise.race([exit, sleep(5_000)]);
      if (!exited) { child.kill('SIGKILL'); await exit; }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`the app exited before answering (${JSON.stringify(exited)}):\n${output()}`);
    }
    if (await portAnswers(port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the app did not answer on port ${port} within ${STARTUP_TIMEOUT_MS} ms:\n${output()}`);
    }
    await sleep(100);
  }
  return { url: `http://127.0.0.1:${port}`, stop, dbPath, output };
}

/** Headless Debian Chromium (/usr/bin/chromium), kept off every network but loopback. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
