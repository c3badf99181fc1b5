// Which answers make the JS client refresh: a `401` `token_expired` or `unauthorized` from the
// app's own non-auth endpoints, and nothing else (auth endpoints, other origins, other 401s such
// as a wrong current password). Under Node's test runner against the scripted server of
// fake-api.mjs.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { client, fakeApi, json, signedInWithStaleToken } from './fake-api.mjs';

test('auth endpoints are never retried and never trigger a refresh', async () => {
  const api = fakeApi();
  const { auth, logouts } = client(api);
  await assert.rejects(auth.login('a@example.com', 'wrong'), { code: 'invalid_credentials' });
  const refresh = await auth.fetch('/api/auth/refresh', { method: 'POST' });
  api.refreshAnswer = () => json(401, { error: { code: 'invalid_refresh_token', message: 'x' } });
  const viaFetch = await auth.fetch('/api/auth/refresh', { method: 'POST' });
  const login = await auth.fetch('/api/auth/login', {
    method: 'POST',
    body: JSON.stringify({ email: 'a', password: 'wrong' }),
  });
  assert.equal(refresh.status, 200);
  assert.equal(viaFetch.status, 401);
  assert.equal(login.status, 401);
  assert.equal(api.count('/api/auth/login'), 2);
  assert.equal(api.count('/api/auth/refresh'), 2, 'only the two explicit calls');
  assert.deepEqual(logouts, []);
});

test('the Bearer token is never sent to another origin, and foreign 401s are not refreshed', async () => {
  const api = fakeApi();
  const { auth } = client(api);
  await auth.login('a@example.com', 'right');
  const response = await auth.fetch('http://elsewhere.test/api/auth/me');
  assert.equal(response.status, 401);
  const foreign = api.requests.at(-1);
  assert.equal(foreign.authorization, null);
  assert.equal(api.count('/api/auth/refresh'), 0);
});

/** `POST /api/auth/password` through the client, as an account page would send it. */
const changePassword = (auth, current) =>
  auth.fetch('/api/auth/password', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ current_password: current, new_password: 'a brand new passphrase' }),
  });

test('401 invalid_credentials from a password change: returned as is, no refresh, still signed in', async () => {
  const api = fakeApi();
  const { auth, logouts, events } = client(api);
  await auth.login('a@example.com', 'right');
  const held = auth.accessToken;
  const response = await changePassword(auth, 'wrong');
  assert.equal(response.status, 401);
  assert.equal((await response.json()).error.code, 'invalid_credentials', 'the body is still readable');
  assert.equal(api.count('/api/auth/password'), 1, 'not retried');
  assert.equal(api.count('/api/auth/refresh'), 0);
  assert.equal(auth.accessToken, held);
  assert.ok(auth.isAuthenticated);
  assert.deepEqual(logouts, []);
  assert.deepEqual(events.map((e) => e.type), ['login']);
});

test('an expired token on the password change is refreshed once and the change sent again', async () => {
  const api = fakeApi();
  const { auth } = await signedInWithStaleToken(api);
  const response = await changePassword(auth, 'right');
  assert.equal(response.status, 204);
  assert.equal(api.count('/api/auth/refresh'), 1);
  assert.equal(api.count('/api/auth/password'), 2);
  const retry = api.requests.filter((r) => r.path === '/api/auth/password').at(-1);
  assert.equal(retry.authorization, `Bearer ${api.valid}`);
  assert.equal(JSON.parse(retry.body).current_password, 'right');
});

test('a 401 unauthorized (a token the server no longer takes) refreshes like token_expired', async () => {
  const api = fakeApi();
  api.staleCode = 'unauthorized';
  const { auth } = await signedInWithStaleToken(api);
  const users = await Promise.all([auth.me(), auth.me(), auth.me()]);
  assert.ok(users.every((u) => u.email === 'a@example.com'));
  assert.equal(api.count('/api/auth/refresh'), 1);
  assert.equal(api.count('/api/auth/me'), 6);
});

test('any other 401, a JSON error with another code or a proxy\'s page, is returned as is', async () => {
  const api = fakeApi();
  const { auth, logouts } = client(api);
  await auth.login('a@example.com', 'right');
  for (const code of ['invalid_credentials', 'invalid_mfa_token', 'some_future_code']) {
    const response = await auth.fetch(`/api/refuse/${code}`);
    assert.equal(response.status, 401, code);
    assert.equal((await response.json()).error.code, code);
  }
  const proxied = await auth.fetch('/api/behind-proxy');
  assert.equal(proxied.status, 401);
  assert.match(await proxied.text(), /Authorization Required/);
  assert.equal(api.count('/api/auth/refresh'), 0);
  assert.equal(api.requests.filter((r) => r.path.startsWith('/api/refuse/')).length, 3, 'none retried');
  assert.deepEqual(logouts, []);
  assert.ok(auth.isAuthenticated);
});
