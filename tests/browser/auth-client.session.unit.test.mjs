// The JS client's session: how a refresh travels (cookie and body mode), what ends a session and
// what does not, sign-out, resume after a reload, revocation and the proactive refresh. Under
// Node's test runner against the scripted server of fake-api.mjs.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { ApiError, memoryStorage } from '../../static/js/auth-client.js';
import { client, deferred, fakeApi, json, signedInWithStaleToken } from './fake-api.mjs';

test('cookie mode refresh carries the CSRF header and no body; the token stays in memory', async () => {
  const api = fakeApi();
  const { auth } = await signedInWithStaleToken(api);
  await auth.me();
  const refresh = api.requests.find((r) => r.path === '/api/auth/refresh');
  assert.equal(refresh.csrf, 'csrf-1');
  assert.equal(refresh.body, '');
  assert.equal(refresh.credentials, 'same-origin');
});

test('body mode sends the stored refresh token and stores the rotated one', async () => {
  const api = fakeApi();
  const storage = memoryStorage();
  const { auth } = await signedInWithStaleToken(api, { mode: 'body', refreshTokenStorage: storage });
  assert.equal(storage.get(), 'r1');
  await auth.me();
  const refresh = api.requests.find((r) => r.path === '/api/auth/refresh');
  assert.deepEqual(JSON.parse(refresh.body), { refresh_token: 'r1' });
  assert.equal(refresh.csrf, null);
  assert.equal(storage.get(), 'r2');
});

test('a refused refresh rejects every waiting call, clears state and calls onLogout once', async () => {
  const api = fakeApi();
  const storage = memoryStorage();
  const { auth, logouts, events } = await signedInWithStaleToken(api, {
    mode: 'body',
    refreshTokenStorage: storage,
  });
  api.refreshGate = deferred();
  api.refreshAnswer = () =>
    json(401, { error: { code: 'invalid_refresh_token', message: 'revoked' } });
  const calls = Array.from({ length: 10 }, () => auth.me());
  while (api.count('/api/auth/me') < 10) await new Promise((r) => setTimeout(r, 1));
  api.refreshGate.resolve();
  const results = await Promise.allSettled(calls);
  assert.ok(results.every((r) => r.status === 'rejected'));
  assert.ok(results.every((r) => r.reason instanceof ApiError && r.reason.code === 'invalid_refresh_token'));
  assert.equal(api.count('/api/auth/refresh'), 1);
  assert.equal(api.count('/api/auth/me'), 10, 'nothing is retried after a refused refresh');
  assert.deepEqual(logouts, [{ reason: 'session_ended', code: 'invalid_refresh_token' }]);
  assert.equal(events.filter((e) => e.type === 'logout').length, 1);
  assert.equal(auth.accessToken, null);
  assert.equal(auth.isAuthenticated, false);
  assert.equal(storage.get(), null);
});

test('a network error during refresh rejects the calls but is not a logout', async () => {
  const api = fakeApi();
  const { auth, logouts, events } = await signedInWithStaleToken(api);
  const held = auth.accessToken;
  api.refreshAnswer = () => {
    throw new TypeError('Failed to fetch');
  };
  const results = await Promise.allSettled([auth.me(), auth.me(), auth.me()]);
  assert.ok(results.every((r) => r.status === 'rejected' && r.reason instanceof TypeError));
  assert.equal(api.count('/api/auth/refresh'), 1);
  assert.deepEqual(logouts, []);
  assert.equal(events.filter((e) => e.type === 'logout').length, 0);
  assert.equal(auth.accessToken, held, 'state is kept');
  // The network is back: the next call refreshes and succeeds.
  api.refreshAnswer = null;
  assert.equal((await auth.me()).email, 'a@example.com');
  assert.equal(api.count('/api/auth/refresh'), 2);
});

test('a transient refresh failure (503) is not a logout either', async () => {
  const api = fakeApi();
  const { auth, logouts } = await signedInWithStaleToken(api);
  api.refreshAnswer = () => json(503, { error: { code: 'internal_error', message: 'busy' } });
  await assert.rejects(auth.me(), { status: 503 });
  assert.deepEqual(logouts, []);
  assert.ok(auth.isAuthenticated);
});

test('logout clears the state and fires logout without calling onLogout', async () => {
  const api = fakeApi();
  const { auth, logouts, events } = client(api);
  await auth.login('a@example.com', 'right');
  const bearer = `Bearer ${auth.accessToken}`;
  assert.equal(await auth.logout(), true);
  const request = api.requests.find((r) => r.path === '/api/auth/logout');
  assert.equal(request.authorization, bearer);
  assert.equal(request.csrf, 'csrf-1');
  assert.equal(auth.accessToken, null);
  assert.deepEqual(logouts, []);
  assert.deepEqual(
    events.map((e) => [e.type, e.reason]),
    [['login', undefined], ['logout', 'user']],
  );
});

test('resume() without a session answers null quietly; with one it loads the user', async () => {
  const api = fakeApi();
  api.refreshAnswer = () => json(401, { error: { code: 'invalid_refresh_token', message: 'x' } });
  const { auth, logouts, events } = client(api);
  assert.equal(await auth.resume(), null);
  assert.deepEqual(logouts, []);
  assert.deepEqual(events, []);
  api.refreshAnswer = null;
  const user = await auth.resume();
  assert.equal(user.email, 'a@example.com');
  assert.equal(auth.sessionId, 'session-1');
  assert.deepEqual(
    events.map((e) => [e.type, e.resumed]),
    [['refresh', undefined], ['login', true]],
  );
});

test('revokeOthers answers the count; revoke of this device signs out', async () => {
  const api = fakeApi();
  const { auth } = client(api);
  await auth.login('a@example.com', 'right');
  assert.equal(await auth.revokeOthers(), 2);
  await assert.rejects(auth.revoke('someone-else'), { code: 'not_found' });
  assert.ok(auth.isAuthenticated);
  await auth.revoke('session-1');
  assert.equal(auth.isAuthenticated, false);
  assert.equal(api.count('/api/auth/refresh'), 0);
});

test('a proactive refresh runs refreshAhead seconds before expiry, at most a few seconds early', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const api = fakeApi();
  const { auth, events } = client(api); // expires_in 300, refreshAhead 30 by default
  await auth.login('a@example.com', 'right');
  const settle = async () => {
    for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
  };
  t.mock.timers.tick(264_000); // 300 - 30 - the largest jitter (5) - 1
  await settle();
  assert.equal(api.count('/api/auth/refresh'), 0);
  t.mock.timers.tick(6_001);
  await settle();
  assert.equal(api.count('/api/auth/refresh'), 1);
  assert.equal(events.filter((e) => e.type === 'refresh').length, 1);
  auth.close();
});

test('no proactive refresh when the token is too short-lived for refreshAhead', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const api = fakeApi();
  const { auth } = client(api, { refreshAhead: 200 }); // 300 s is not more than twice 200 s
  await auth.login('a@example.com', 'right');
  t.mock.timers.tick(300_000);
  for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(api.count('/api/auth/refresh'), 0);
});
