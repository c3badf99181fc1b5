// The browser-test harness: the real app binary on a fresh SQLite file and a free loopback port,
// and headless Debian Chromium driven by playwright-core. Every *.test.mjs here builds on it.
//
//   const app = await startApp({ env: { ROCKET_ACCESS_TOKEN_TTL: '2' } });
//   const browser = await launchBrowser();
//   try { ... await page.goto(`${app.url}/login`) ... } finally { await browser.close(); await app.stop(); }

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');

/** The data key of every app the tests start (and of the commands run on their databases). */
export const DATA_KEY = 'YnJvd3Nlci10ZXN0cy1kYXRhLWtleS0wMTIzNDU2Nzg=';

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
 * file and a free loopback port, its mail going to an outbox in the same temp dir and its links
 * starting with its own URL. `env` overrides any variable (e.g. ROCKET_ACCESS_TOKEN_TTL); `port`
 * picks the port (a test that must know the URL before the app starts: an OIDC redirect URI).
 * `host` names the app in its public URL and in `url`: `localhost` where an IP address will not do
 * (browsers refuse an IP as a WebAuthn relying-party id); it still listens on 127.0.0.1.
 * Returns { url, stop, dbPath, outboxDir, output, mails }: `output()` is everything the server
 * printed so far (stdout and stderr, Rocket's request log included); `mails()` the outbox (see
 * `readMails`); `stop()` kills it and removes the temp dir.
 */
export async function startApp({ env = {}, port: chosenPort, host = '127.0.0.1' } = {}) {
  const bin = process.env.APP_BIN || path.join(repoRoot, 'target', 'debug', 'rocket-auth-template');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rat-browser-'));
  const dbPath = path.join(dir, 'app.db');
  const outboxDir = path.join(dir, 'outbox');
  const port = chosenPort ?? await freePort();
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
      ROCKET_DATA_KEY: DATA_KEY,
      ROCKET_LOG_LEVEL: 'normal',
      ROCKET_CLI_COLORS: 'false',
      ROCKET_PUBLIC_URL: `http://${host}:${port}`,
      ROCKET_MAIL_OUTBOX_DIR: outboxDir,
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
  const mails = () => readMails(outboxDir);
  return { url: `http://${host}:${port}`, port, stop, dbPath, outboxDir, output, mails };
}

/** A MIME body as text: quoted-printable and base64 decoded (the mails are UTF-8). */
function decodeBody(body, encoding) {
  if (/quoted-printable/i.test(encoding)) {
    const bytes = body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  if (/base64/i.test(encoding)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

/**
 * The outbox's mails, oldest first: { file, to, subject, text, link } where `text` is the plain
 * part and `link` its first http(s) link. Enough of MIME for the app's own mails (one
 * multipart/alternative), not a general parser.
 */
export function readMails(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.eml'))
    .sort()
    .map((name) => {
      const raw = readFileSync(path.join(dir, name), 'utf8');
      const [head] = raw.split(/\r?\n\r?\n/);
      const header = (key) => head.replace(/\r?\n[ \t]+/g, ' ').match(new RegExp(`^${key}: (.*)$`, 'im'))?.[1] ?? '';
      const boundary = header('Content-Type').match(/boundary="?([^";]+)"?/)?.[1];
      const part = raw
        .split(`--${boundary}`)
        .find((p) => /Content-Type: text\/plain/i.test(p)) ?? '';
      const [partHead, ...rest] = part.replace(/^\r?\n/, '').split(/\r?\n\r?\n/);
      const encoding = partHead.match(/Content-Transfer-Encoding: (.*)/i)?.[1] ?? '7bit';
      const text = decodeBody(rest.join('\n\n'), encoding);
      return {
        file: name,
        to: header('To').match(/<([^>]+)>/)?.[1] ?? header('To'),
        subject: header('Subject'),
        text,
        link: text.match(/https?:\/\/\S+/)?.[0],
      };
    });
}

/** Polls the outbox until a mail to `to` whose subject matches comes (the app sends in the background). */
export async function waitForMail(app, to, subject, { timeoutMs = 10_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = app.mails().filter((m) => m.to === to && subject.test(m.subject)).pop();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no mail ${subject} to ${to}; outbox: ${JSON.stringify(app.mails())}`);
    await sleep(100);
  }
}

/**
 * Follows the verification link mailed to `email` in `page` and presses its button: the address
 * is proved (two-factor sign-in can be set up only then). The link alone changes nothing.
 */
export async function verifyAddress(app, page, email) {
  const mail = await waitForMail(app, email, /Confirm your email address/);
  await page.goto(mail.link);
  await page.getByRole('button', { name: 'Confirm my address' }).click();
  await page.waitForURL(`${app.url}/`);
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
