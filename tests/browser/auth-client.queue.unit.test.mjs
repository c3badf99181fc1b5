// The JS client's one refresh for many calls: concurrent 401s, calls queued behind a refresh in
// flight, late 401s, and what is retried (once, with its body). Under Node's test runner against
// the scripted server of fake-api.mjs.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { deferred, fakeApi, json, signedInWithStaleToken, token } from './fake-api.mjs';

test('ten concurrent 401s cause exactly one refresh, and each call is retried once', async () => {
  const api = fakeApi();
  const { auth, events } = await signedInWithStaleToken(api);
  const stale = auth.accessToken;
  api.refreshGate = deferred();
  const calls = Array.from({ length: 10 }, () => auth.me());
  // Let every first attempt fail before the refresh answers.
  while (api.count('/api/auth/me') < 10) await new Promise((r) => setTimeout(r, 1));
  api.refreshGate.resolve();
  const users = await Promise.all(calls);
  assert.equal(users.length, 10);
  assert.ok(users.every((u) => u.email === 'a@example.com'));
  assert.equal(api.count('/api/auth/refresh'), 1);
  assert.equal(api.count('/api/auth/me'), 20);
  const retries = api.requests.filter((r) => r.path === '/api/auth/me').slice(10);
  assert.ok(retries.every((r) => r.authorization === `Bearer ${api.valid}`));
  assert.notEqual(auth.accessToken, stale);
  assert.equal(events.filter((e) => e.type === 'refresh').length, 1);
});

test('calls started while a refresh is in flight wait for it instead of failing first', async () => {
  const api = fakeApi();
  const { auth } = await signedInWithStaleToken(api);
  api.refreshGate = deferred();
  const first = auth.me();
  while (api.count('/api/auth/refresh') < 1) await new Promise((r) => setTimeout(r, 1));
  const queued = [auth.me(), auth.me()];
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(api.count('/api/auth/me'), 1, 'queued calls are not sent with the stale token');
  api.refreshGate.resolve();
  await Promise.all([first, ...queued]);
  assert.equal(api.count('/api/auth/me'), 4); // 1 failed + 1 retry + 2 sent once with the new token
  assert.equal(api.count('/api/auth/refresh'), 1);
});

test('a 401 that arrives after the refresh finished retries with the new token, no second refresh', async () => {
  const api = fakeApi();
  const { auth } = await signedInWithStaleToken(api);
  const late = deferred();
  const realFetch = api.fetch;
  let meCalls = 0;
  api.fetch = async (input, init) => {
    const path = new URL(new Request(input, init).url).pathname;
    const response = await realFetch(input, init);
    if (path === '/api/auth/me' && ++meCalls === 1) await late.promise;
    return response;
  };
  const slow = auth.me();
  const fast = auth.me();
  await fast; // refreshed and retried
  late.resolve(); // now the slow call sees its 401 from the old token
  await slow;
  assert.equal(api.count('/api/auth/refresh'), 1);
});

test('a 401 arriving after the session ended rejects without another refresh', async () => {
  const api = fakeApi();
  const { auth, logouts } = await signedInWithStaleToken(api);
  const late = deferred();
  const realFetch = api.fetch;
  let held = false;
  api.fetch = async (input, init) => {
    const response = await realFetch(input, init);
    // Hold the first /me answer back until the other call's refresh has been refused.
    if (!held && new URL(new Request(input, init).url).pathname === '/api/auth/me') {
      held = true;
      await late.promise;
    }
    return response;
  };
  api.refreshAnswer = () =>
    json(401, { error: { code: 'invalid_refresh_token', message: 'revoked' } });
  const slow = auth.me();
  const fast = auth.me();
  await assert.rejects(fast, { code: 'invalid_refresh_token' });
  late.resolve();
  await assert.rejects(slow, { code: 'invalid_refresh_token' });
  assert.equal(api.count('/api/auth/refresh'), 1);
  assert.equal(logouts.length, 1);
});

test('a retry is attempted once: a second 401 is returned, not looped', async () => {
  const api = fakeApi();
  const { auth } = await signedInWithStaleToken(api);
  api.refreshAnswer = () => json(200, { access_token: token('useless'), expires_in: 300 });
  const response = await auth.fetch('/api/auth/me');
  assert.equal(response.status, 401);
  assert.equal(api.count('/api/auth/refresh'), 1);
  assert.equal(api.count('/api/auth/me'), 2);
});

test('the request body is sent again on the retry', async () => {
  const api = fakeApi();
  const { auth } = await signedInWithStaleToken(api);
  const response = await auth.fetch('/api/echo', { method: 'POST', body: '{"n":42}' });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { echoed: '{"n":42}' });
  const echoes = api.requests.filter((r) => r.path === '/api/echo');
  assert.equal(echoes.length, 2);
  assert.ok(echoes.every((r) => r.body === '{"n":42}' && r.csrf === 'csrf-1'));
});
